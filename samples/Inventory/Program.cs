using FluentValidation;
using Inventory.Domain;
using Inventory.Tools;
using Microsoft.AspNetCore.Authorization;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddSingleton<IInventoryStore, InMemoryInventoryStore>();
builder.Services.AddValidatorsFromAssemblyContaining<StockAdjustmentValidator>();
builder.Services.AddSingleton<IAuthorizationHandler, OwnWarehouseHandler>();
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(OwnWarehouseRequirement.PolicyName, policy => policy.AddRequirements(new OwnWarehouseRequirement()));

builder.AddMcpService()
    .WithTools<InventoryTools>();

var app = builder.Build();
app.MapMcpService();
app.Run();
