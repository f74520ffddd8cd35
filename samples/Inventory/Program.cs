using FluentValidation;
using Inventory.Domain;
using Inventory.Tools;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddSingleton<IInventoryStore, InMemoryInventoryStore>();
builder.Services.AddValidatorsFromAssemblyContaining<StockAdjustmentValidator>();

builder.AddMcpService()
    .WithTools<InventoryTools>();

var app = builder.Build();
app.MapMcpService();
app.Run();
