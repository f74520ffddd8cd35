using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace McpServices.AspNetCore;

/// <summary>
/// Fails startup when <c>MapMcpService()</c> was not called, or when the application's endpoints clash with McpServices'
/// (<see cref="McpServiceEndpoints"/>). Runs once the web host has built the application's pipeline and before the server
/// listens: an application with a <c>Startup</c> class maps its endpoints only then (in <c>Configure</c>), after the hosted
/// services' <c>StartingAsync</c>.
/// </summary>
internal sealed class McpServiceMappingCheck(McpServiceMarker marker) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        next(app);
        if (marker.MappedInto is not { } sources)
        {
            throw new InvalidOperationException(
                "builder.AddMcpService() was called, but app.MapMcpService() was not: the service would run without its MCP endpoint, health endpoints and metadata. " +
                "Call app.MapMcpService() after builder.Build() (with a Startup class: endpoints.MapMcpService() in UseEndpoints).");
        }

        McpServiceEndpoints.CheckConflicts(sources);
    };
}
