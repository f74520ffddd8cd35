using McpServices.AspNetCore;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;

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
        var defaults = LogLevelDefaults.Categories.ToDictionary(d => $"Logging:LogLevel:{d.Category}", d => (string?)d.Level.ToString());

        // Structured console logs outside Development — as settings, not in code, so that an application's own console settings
        // win and an application without the console provider does not get it back.
        if (!builder.Environment.IsDevelopment())
        {
            defaults["Logging:Console:FormatterName"] = "json";
            defaults["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "true";
            defaults["Logging:Console:FormatterOptions:TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ";
            defaults["Logging:Console:FormatterOptions:IncludeScopes"] = "true";
        }

        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        DevelopmentUserSecrets.WatchEvenIfMissing(builder);

        return McpServiceServiceCollectionExtensions.AddMcpServiceCore(builder.Services, configure, builder.Configuration);
    }
}
