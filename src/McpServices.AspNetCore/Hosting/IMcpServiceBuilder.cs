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

/// <summary>Registered once by <c>AddMcpService</c>; lets <c>MapMcpService</c> fail fast when it is missing.</summary>
internal sealed class McpServiceMarker;
