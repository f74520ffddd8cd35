using McpServices.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds audit sinks to an MCP service.</summary>
public static class McpServiceAuditBuilderExtensions
{
    /// <summary>
    /// Adds a sink that receives every audit record (in addition to the built-in sinks named in <c>McpService:Audit:Sinks</c>).
    /// The sink is a singleton resolved from DI.
    /// </summary>
    /// <typeparam name="TSink">The sink type.</typeparam>
    /// <param name="builder">The MCP service builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IMcpServiceBuilder WithAuditSink<TSink>(this IMcpServiceBuilder builder)
        where TSink : class, IAuditSink
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IAuditSink, TSink>();
        return builder;
    }
}
