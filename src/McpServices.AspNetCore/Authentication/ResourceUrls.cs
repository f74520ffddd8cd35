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
    /// The route, beside <see cref="MetadataPaths"/>, of the metadata of a resource URL derived under a path base
    /// (<c>app.UsePathBase("/api")</c>, or <c>X-Forwarded-Prefix</c> through <c>UseForwardedHeaders()</c>): RFC 9728 puts the
    /// metadata of <c>https://host/api/mcp</c> at <c>https://host/.well-known/oauth-protected-resource/api/mcp</c>, a request
    /// outside the path base, which is where a client that is not given the metadata URL looks for it. <see langword="null"/>
    /// when the resource URL is configured (its path is one of <see cref="MetadataPaths"/>) or the MCP endpoint is at the root.
    /// </summary>
    public string? PrefixedMetadataRoute => _configured is null && _mcpPath.TrimEnd('/').Length > 0 ? WellKnownPrefix + "/{**prefixed}" : null;

    /// <summary>
    /// For a request to <see cref="PrefixedMetadataRoute"/>, the path base its path names before the MCP path
    /// (<c>/api</c> for <c>/.well-known/oauth-protected-resource/api/mcp</c>), or <see langword="null"/> when it names no
    /// resource this service could be (a path that does not end with the MCP path).
    /// </summary>
    public string? PathBaseNamedBy(PathString path)
    {
        var value = path.Value.AsSpan().TrimEnd('/');
        var mcpPath = _mcpPath.AsSpan().TrimEnd('/');
        if (!value.StartsWith(WellKnownPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var rest = value[WellKnownPrefix.Length..];
        return rest.Length > mcpPath.Length + 1 && rest[0] == '/' && rest.EndsWith(mcpPath, StringComparison.OrdinalIgnoreCase)
            && rest[^(mcpPath.Length + 1)] != '/'
            ? rest[..^mcpPath.Length].ToString()
            : null;
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

    /// <summary>The resource URL of the MCP endpoint under the path base <paramref name="pathBase"/> (<see cref="PathBaseNamedBy"/>).</summary>
    public string GetResource(HttpRequest request, string pathBase) =>
        $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase}{pathBase}{_mcpPath}";

    public string GetMetadataUrl(HttpRequest request)
    {
        if (_configured is not null && Uri.TryCreate(_configured, UriKind.Absolute, out var uri))
        {
            return $"{uri.GetLeftPart(UriPartial.Authority)}{WellKnownPrefix}{uri.AbsolutePath.TrimEnd('/')}";
        }

        return $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase}{WellKnownPrefix}{_mcpPath.TrimEnd('/')}";
    }

    /// <summary>
    /// Notes, for a resource URL derived from the request, the request's scheme, host and path base as a bearer token is judged
    /// against them: by the audience validator, or by the validated-token cache on a hit — whichever scheme the middleware ran
    /// (McpServices' policy scheme, or the shared <c>Bearer</c> as the application's default). ASP.NET Core runs the authentication middleware it
    /// adds before the application's middleware, so before <c>UseForwardedHeaders()</c> or <c>UsePathBase()</c> change them.
    /// </summary>
    public void NoteTokenJudged(HttpContext context)
    {
        if (_configured is null && !context.Items.ContainsKey(JudgedAtKey))
        {
            var request = context.Request;
            context.Items[JudgedAtKey] = new JudgedAt(request.Scheme, request.Host.Value, request.PathBase.Value);
        }
    }

    /// <summary>
    /// Whether the resource URL derived from the request is no longer the one a bearer token was judged against
    /// (<see cref="NoteTokenJudged"/>): the application's middleware changed the scheme, host or path base since. The MCP endpoint
    /// then judges the token again, against the URL the client addressed.
    /// </summary>
    public bool ChangedSinceTokenJudged(HttpContext context)
    {
        if (_configured is not null || !context.Items.TryGetValue(JudgedAtKey, out var noted) || noted is not JudgedAt judged)
        {
            return false;
        }

        var request = context.Request;
        return !string.Equals(judged.Scheme, request.Scheme, StringComparison.Ordinal)
            || !string.Equals(judged.Host, request.Host.Value, StringComparison.Ordinal)
            || !string.Equals(judged.PathBase ?? "", request.PathBase.Value ?? "", StringComparison.Ordinal);
    }

    private static readonly object JudgedAtKey = new();

    private sealed record JudgedAt(string Scheme, string? Host, string? PathBase);

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
