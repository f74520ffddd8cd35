using McpServices.AspNetCore;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>Adds an MCP service to a host application builder (for example <c>WebApplication.CreateBuilder(args)</c>).</summary>
public static class McpServiceHostApplicationBuilderExtensions
{
    /// <summary>
    /// Adds a governed MCP service (see <see cref="McpServiceServiceCollectionExtensions.AddMcpService(IServiceCollection, Action{McpServiceOptions}?)"/>)
    /// and production logging defaults: structured JSON console logs outside Development, and per-request framework logs at Warning
    /// (both overridable in configuration).
    /// </summary>
    /// <param name="builder">The host application builder.</param>
    /// <param name="configure">Sets option defaults in code; the <c>McpService</c> configuration section overrides them.</param>
    /// <returns>A builder to add tools with <c>WithTools&lt;T&gt;()</c>.</returns>
    public static IMcpServiceBuilder AddMcpService(this IHostApplicationBuilder builder, Action<McpServiceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Defaults at the lowest precedence: any configuration source overrides them.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore.Routing"] = "Warning",
                ["Logging:LogLevel:ModelContextProtocol"] = "Warning",

                // The SDK logs every JSON-RPC error a handler returns as an unhandled exception. McpServices returns refusals
                // (denied, rate-limited, unknown tool) as JSON-RPC errors on purpose and logs real tool failures itself.
                ["Logging:LogLevel:ModelContextProtocol.Server.McpServer"] = "Critical",
            },
        });

        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.IncludeScopes = true;
            });
        }

        return McpServiceServiceCollectionExtensions.AddMcpServiceCore(builder.Services, configure, builder.Configuration);
    }
}
