using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using McpServices.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Snippets;

// docs/getting-started.md, "Add it to an existing ASP.NET Core API": the same two calls expose an existing API to agents; tools
// are resolved from the application's container and call the services its controllers already use.

public sealed record OrderDto(string Number, string Status);

public interface IOrderService
{
    Task<OrderDto?> FindAsync(string number);
}

public sealed class OrderService : IOrderService
{
    public Task<OrderDto?> FindAsync(string number) => Task.FromResult<OrderDto?>(new OrderDto(number, "shipped"));
}

public class OrderTools(IOrderService orders)
{
    [Description("Gets an order by its number."), RequireScopes("orders:read")]
    public Task<OrderDto?> GetOrder([Required, StringLength(20)] string number) => orders.FindAsync(number);
}

public static class ExistingApi
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddControllers();
        builder.Services.AddScoped<IOrderService, OrderService>();             // your existing services
        builder.Services.AddAuthentication("Orders").AddJwtBearer("Orders");   // your API's own authentication, if any

        builder.AddMcpService().WithTools<OrderTools>();

        var app = builder.Build();
        app.MapControllers();
        app.MapMcpService();                                                   // POST /mcp, /livez, /readyz, protected resource metadata
        return app;
    }
}
