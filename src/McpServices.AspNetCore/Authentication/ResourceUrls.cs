using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// The service's canonical resource URL (RFC 8707) and the URL of its protected resource metadata (RFC 9728).
/// Configured (<c>McpService:Authentication:Resource</c>) or derived from the request as the client addressed it.
/// </summary>
internal sealed class ResourceUrls
{
    public const string WellKnownPrefix = "/.well-known/oauth-protected-resource";

    private readonly string? _configured;
    private readonly string _mcpPath;

    public ResourceUrls(IOptions<McpServiceOptions> options)
    {
        _configured = Normalize(options.Value.Authentication.Resource);
        _mcpPath = options.Value.Path;
    }

    public string? ConfiguredResource => _configured;

    /// <summary>The local paths the metadata is served at: path-aware for the MCP path (and for the configured resource's path), and the root.</summary>
    public IReadOnlyList<string> MetadataPaths
    {
        get
        {
            // Routing matches paths case-insensitively and ignores a trailing slash: one route per distinct path, or requests
            // for it would be ambiguous (an MCP endpoint at "/" has its metadata at the root).
            var paths = new List<string> { WellKnownPrefix + _mcpPath.TrimEnd('/') };
            if (_configured is not null && Uri.TryCreate(_configured, UriKind.Absolute, out var uri))
            {
                paths.Add(WellKnownPrefix + uri.AbsolutePath.TrimEnd('/'));
            }

            paths.Add(WellKnownPrefix);
            return paths.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        }
    }

    /// <summary>
    /// Whether the resource URL can be named for <paramref name="request"/>: it is configured, or the request says which host it
    /// was sent to (an HTTP/1.0 request may leave <c>Host</c> out, and an HTTP/1.1 one may send it empty).
    /// </summary>
    public bool CanNameResource(HttpRequest request) => _configured is not null || request.Host.HasValue;

    /// <summary>Why a request for which <see cref="CanNameResource"/> is false is refused (the metadata's <c>error_description</c>).</summary>
    public const string NoHostReason =
        "the request has no Host header, so the service cannot name the resource URL that access tokens are issued for. Send the Host header (HTTP/1.1 requires it), or configure McpService:Authentication:Resource.";

    /// <summary>The JSON-RPC error message for such a request.</summary>
    public const string NoHostMessage = "Bad Request: " + NoHostReason;

    public string GetResource(HttpRequest request) =>
        _configured ?? $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase}{_mcpPath}";

    public string GetMetadataUrl(HttpRequest request)
    {
        if (_configured is not null && Uri.TryCreate(_configured, UriKind.Absolute, out var uri))
        {
            return $"{uri.GetLeftPart(UriPartial.Authority)}{WellKnownPrefix}{uri.AbsolutePath.TrimEnd('/')}";
        }

        return $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase}{WellKnownPrefix}{_mcpPath.TrimEnd('/')}";
    }

    /// <summary>Whether <paramref name="audience"/> names this resource (ignoring a trailing slash and the case of scheme and host).</summary>
    public static bool Matches(string audience, string resource)
    {
        if (string.Equals(audience, resource, StringComparison.Ordinal))
        {
            return true;
        }

        return Uri.TryCreate(audience, UriKind.Absolute, out var a) && Uri.TryCreate(resource, UriKind.Absolute, out var r)
            && string.Equals(a.Scheme, r.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(a.Authority, r.Authority, StringComparison.OrdinalIgnoreCase)
            && string.Equals(a.AbsolutePath.TrimEnd('/'), r.AbsolutePath.TrimEnd('/'), StringComparison.Ordinal)
            && a.Query == r.Query;
    }

    private static string? Normalize(string? resource) =>
        string.IsNullOrWhiteSpace(resource) ? null : resource.Trim().TrimEnd('/');
}
