using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace McpServices.AspNetCore;

/// <summary>
/// The endpoints <c>MapMcpService()</c> maps — how they are named and marked — and the startup check that they do not clash
/// with the application's: an application endpoint at one of their paths would make routing answer every request there with 500
/// (ambiguous match; Kubernetes services often already serve <c>/livez</c> and <c>/readyz</c>), and a second MCP endpoint from
/// the SDK's <c>MapMcp()</c> would serve the same tools without the HTTP stage. Routes that merely overlap (parameters,
/// catch-alls) are left to routing's precedence.
/// </summary>
internal static class McpServiceEndpoints
{
    /// <summary>Starts the display name of every endpoint McpServices maps besides the MCP endpoint.</summary>
    public const string DisplayNamePrefix = "McpServices ";
    public const string LivenessName = DisplayNamePrefix + "liveness";
    public const string ReadinessName = DisplayNamePrefix + "readiness";
    public const string PrometheusName = DisplayNamePrefix + "Prometheus metrics";
    public const string MetadataName = DisplayNamePrefix + "protected resource metadata";

    /// <summary>Fails when the application's endpoints clash with McpServices' (see the type's summary).</summary>
    /// <param name="sources">The data sources <c>MapMcpService()</c> mapped into (routing gathers them only once the server starts).</param>
    public static void CheckConflicts(IEnumerable<EndpointDataSource> sources)
    {
        var all = sources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>().ToList();

        var ungoverned = all.Where(e => !IsMcp(e) && IsSdkMcp(e)).Select(e => $"'{Shown(e)}'").Distinct().ToArray();
        if (ungoverned.Length > 0)
        {
            throw new InvalidOperationException(
                $"The application maps an MCP endpoint of its own at {string.Join(", ", ungoverned)} (the MCP SDK's MapMcp()): calls through it would bypass McpServices' " +
                "authentication, authorization, rate limits and audit. Remove it; app.MapMcpService() serves the MCP endpoint (at McpService:Path).");
        }

        var conflicts = new List<string>();
        foreach (var ours in all.Where(IsOurs))
        {
            var path = Normalize(ours);
            if (all.FirstOrDefault(e => !IsOurs(e) && Normalize(e) == path && Overlap(e, ours)) is not { } theirs)
            {
                continue;
            }

            var fix = ours.DisplayName switch
            {
                LivenessName => "move McpServices' with McpService:LivenessPath, or remove the application's",
                ReadinessName => "move McpServices' with McpService:ReadinessPath, or remove the application's",
                PrometheusName => "move McpServices' with McpService:Telemetry:PrometheusPath, or remove the application's",
                _ when path == ResourceUrls.WellKnownPrefix => "MCP clients look for the metadata there when the challenge does not name it, so remove the application's",
                _ => "move McpServices' with McpService:Path, or remove the application's",
            };
            var what = IsMcp(ours) ? "MCP" : ours.DisplayName![DisplayNamePrefix.Length..];
            var message = $"the application maps its own endpoint at '{Shown(ours)}' ({theirs.DisplayName}), where McpServices maps its {what} endpoint; {fix}";
            if (!conflicts.Contains(message))
            {
                conflicts.Add(message); // the SDK maps the MCP path once per method
            }
        }

        if (conflicts.Count > 0)
        {
            throw new McpServiceConfigurationException(
                $"Two endpoints share a path, so every request to it would fail (500, ambiguous match): {string.Join("; ", conflicts)}.");
        }
    }

    private static bool IsMcp(Endpoint e) => e.Metadata.GetMetadata<McpEndpointMetadata>() is not null;

    private static bool IsOurs(Endpoint e) => IsMcp(e) || e.DisplayName?.StartsWith(DisplayNamePrefix, StringComparison.Ordinal) == true;

    /// <summary>The SDK names the endpoints of <c>MapMcp()</c> "MCP Streamable HTTP | …" and, for the legacy SSE transport, "MCP HTTP with SSE | …".</summary>
    private static bool IsSdkMcp(Endpoint e) => e.DisplayName is { } name
        && (name.StartsWith("MCP Streamable HTTP | ", StringComparison.Ordinal) || name.StartsWith("MCP HTTP with SSE | ", StringComparison.Ordinal));

    /// <summary>The path as routing matches it: case-insensitively, ignoring a trailing slash.</summary>
    private static string Normalize(RouteEndpoint e) => "/" + (e.RoutePattern.RawText ?? string.Empty).Trim('/').ToLowerInvariant();

    private static string Shown(RouteEndpoint e) => e.RoutePattern.RawText?.TrimEnd('/') is { Length: > 0 } path ? path : "/";

    private static string[]? Methods(Endpoint e) => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? [.. methods] : null;

    private static bool Overlap(Endpoint a, Endpoint b) => Methods(a) is not { } x || Methods(b) is not { } y || x.Intersect(y, StringComparer.OrdinalIgnoreCase).Any();

    /// <summary>Marks the MCP endpoints (the SDK names them), so that they can be told from the application's.</summary>
    internal sealed class McpEndpointMetadata
    {
        public static readonly McpEndpointMetadata Instance = new();
    }
}
