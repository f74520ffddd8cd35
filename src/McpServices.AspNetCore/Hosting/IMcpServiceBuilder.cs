using Microsoft.Extensions.DependencyInjection;

namespace McpServices.AspNetCore;

/// <summary>
/// Configures an MCP service. Returned by <c>AddMcpService</c>; its verbs are <c>With…</c> extension methods.
/// </summary>
public interface IMcpServiceBuilder
{
    /// <summary>Gets the service collection the service is registered in.</summary>
    IServiceCollection Services { get; }
}

internal sealed class McpServiceBuilder(IServiceCollection services) : IMcpServiceBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>
/// Registered once by <c>AddMcpService</c>; lets <c>MapMcpService</c> fail fast when it is missing, and keeps the endpoint data
/// sources it mapped into, so that startup can find the application's endpoints that share a path with McpServices' (routing
/// gathers the data sources only once the server starts).
/// </summary>
internal sealed class McpServiceMarker
{
    public ICollection<Microsoft.AspNetCore.Routing.EndpointDataSource>? MappedInto { get; set; }
}

/// <summary>Registered by <c>WithTools</c> for each tool class, so that a second <c>WithTools</c> for the same class is refused where it is made.</summary>
internal sealed record RegisteredToolClass(Type Type);
