using McpServices.AspNetCore;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the endpoints of an MCP service.</summary>
public static class McpServiceEndpointRouteBuilderExtensions
{
    /// <summary>Probes and load balancers read the health endpoints; any other method gets 405 with an <c>Allow</c> header.</summary>
    private static readonly HttpMethodMetadata ProbeMethods = new(["GET", "HEAD"]);

    /// <summary>The protected resource metadata is read with GET, also from browsers on other origins, which ask first (CORS preflight).</summary>
    private static readonly HttpMethodMetadata MetadataMethods = new(["GET"], acceptCorsPreflight: true);

    /// <summary>
    /// Maps the MCP endpoint (Streamable HTTP, at <see cref="McpServiceOptions.Path"/>, <c>/mcp</c> by default) behind the
    /// McpServices HTTP stage (Origin and Host checks, body limit, authentication), the OAuth protected resource metadata
    /// (<c>/.well-known/oauth-protected-resource/mcp</c>, when authentication is on) and the health endpoints <c>/livez</c> and
    /// <c>/readyz</c> (anonymous). Builds the tool catalog now, so configuration mistakes fail at startup.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder (usually the <c>WebApplication</c>).</param>
    /// <returns>A convention builder for the MCP endpoint, for example to chain <c>.RequireAuthorization()</c> or <c>.RequireHost()</c>.</returns>
    /// <exception cref="InvalidOperationException">The McpServices services were not added (call <c>builder.AddMcpService()</c> first),
    /// <paramref name="endpoints"/> is a route group (set <see cref="McpServiceOptions.Path"/> instead), or the service is already mapped.</exception>
    public static IEndpointConventionBuilder MapMcpService(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        if (services.GetService<McpServiceMarker>() is not { } marker)
        {
            throw new InvalidOperationException("MapMcpService() found no McpServices services. Call builder.AddMcpService() (or services.AddMcpService()) before building the application.");
        }

        if (endpoints is RouteGroupBuilder)
        {
            throw new InvalidOperationException(
                "MapMcpService() maps the MCP endpoint with its metadata and health endpoints at the application's root, so it cannot be called on a route group: " +
                "call app.MapMcpService() and set McpService:Path to put the endpoint under a prefix (for example '/agents/mcp'). Conventions for the MCP endpoint alone can be chained onto the builder it returns.");
        }

        if (marker.MappedInto is not null)
        {
            throw new InvalidOperationException("MapMcpService() was already called: the MCP, health and metadata endpoints exist once per service, and mapping them twice would make every request to them ambiguous. Remove the second call.");
        }

        marker.MappedInto = endpoints.DataSources;
        var options = services.GetRequiredService<IOptions<McpServiceOptions>>().Value;
        _ = services.GetRequiredService<ToolCatalog>();
        var gate = services.GetRequiredService<McpRequestGate>();

        var mcp = endpoints.MapMcp(options.Path);
        if (services.GetService<IOptions<AuthorizationOptions>>()?.Value.FallbackPolicy is not null)
        {
            // The application's fallback policy is for its own endpoints. On this one the HTTP stage authenticates and authorizes
            // each call itself — anonymous tools stay reachable, refusals get the MCP challenges and are audited — so the fallback
            // must not refuse calls before it. A named policy (not AllowAnonymous) keeps .RequireAuthorization() chainable.
            mcp.RequireAuthorization(McpEndpointPolicy.Name);
        }

        mcp.Finally(endpoint =>
        {
            // The gate answers wrong content types itself (415 with a JSON-RPC error body), so routing must not filter on them first.
            for (var i = endpoint.Metadata.Count - 1; i >= 0; i--)
            {
                if (endpoint.Metadata[i] is IAcceptsMetadata)
                {
                    endpoint.Metadata.RemoveAt(i);
                }
            }

            if (endpoint.RequestDelegate is { } inner)
            {
                endpoint.RequestDelegate = gate.Wrap(inner);
            }

            endpoint.Metadata.Add(McpServiceEndpoints.McpEndpointMetadata.Instance);
        });

        if (options.Authentication.Enabled)
        {
            var metadata = services.GetRequiredService<ProtectedResourceMetadata>();
            var resourceUrls = services.GetRequiredService<ResourceUrls>();
            foreach (var path in resourceUrls.MetadataPaths)
            {
                endpoints.MapGet(path, metadata.WriteAsync)
                    .WithDisplayName(McpServiceEndpoints.MetadataName)
                    .AllowAnonymous()
                    .WithMetadata(new ExcludeFromDescriptionAttribute(), MetadataMethods);
            }

            if (resourceUrls.PrefixedMetadataRoute is { } prefixed)
            {
                // A catch-all: the exact paths above take precedence, and an application's own routes under the prefix too.
                endpoints.MapGet(prefixed, metadata.WritePrefixedAsync)
                    .WithDisplayName(McpServiceEndpoints.MetadataName)
                    .AllowAnonymous()
                    .WithOrder(int.MaxValue)
                    .WithMetadata(new ExcludeFromDescriptionAttribute(), MetadataMethods);
            }
        }

        if (options.Telemetry.Enabled && options.Telemetry.Prometheus)
        {
            if (services.GetService<McpServiceTelemetry.PrometheusExporterMarker>() is null)
            {
                throw new McpServiceConfigurationException("McpService:Telemetry:Prometheus is on, but it was off when AddMcpService() ran, so no Prometheus exporter was registered. Set it in configuration before the builder adds the service (appsettings.json, environment variables, command line), or in AddMcpService(o => o.Telemetry.Prometheus = true).");
            }

            endpoints.MapPrometheusScrapingEndpoint(options.Telemetry.PrometheusPath)
                .WithDisplayName(McpServiceEndpoints.PrometheusName)
                .AllowAnonymous()
                .DisableHttpMetrics();
        }

        endpoints.MapHealthChecks(options.LivenessPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(AuditWriterLivenessCheck.LiveTag) })
            .WithDisplayName(McpServiceEndpoints.LivenessName)
            .WithMetadata(ProbeMethods)
            .AllowAnonymous()
            .DisableHttpMetrics();
        endpoints.MapHealthChecks(options.ReadinessPath, new HealthCheckOptions())
            .WithDisplayName(McpServiceEndpoints.ReadinessName)
            .WithMetadata(ProbeMethods)
            .AllowAnonymous()
            .DisableHttpMetrics();

        return mcp;
    }
}
