using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Serves RFC 9728 OAuth 2.0 Protected Resource Metadata: <c>resource</c>, <c>authorization_servers</c> (at least one: without
/// any, as for a service that accepts only API keys, there is no metadata and challenges do not point to it),
/// <c>scopes_supported</c> (every scope a tool requires) and <c>bearer_methods_supported</c>.
/// </summary>
internal sealed class ProtectedResourceMetadata(
    ResourceUrls resourceUrls,
    PrimitiveAuthorizer primitives,
    IOptions<McpServerOptions> serverOptions,
    ServiceIdentity identity,
    McpServiceSettings settings,
    IOptionsMonitor<JwtBearerOptions> jwtOptions)
{
    /// <summary>
    /// The metadata URL challenges name, or <see langword="null"/> when the service knows no authorization server (API keys
    /// only, or signing keys without an issuer): metadata must name at least one (MCP authorization), and a client sent to a
    /// document without one could not get a token anyway. Nor when the URL would come from a request without a Host
    /// (<c>http:///…</c>): the MCP endpoint refuses such requests, but an application endpoint sharing the scheme is challenged.
    /// </summary>
    public string? MetadataUrlFor(HttpRequest request) =>
        resourceUrls.CanNameResource(request) && GetAuthorizationServers().Count > 0 ? resourceUrls.GetMetadataUrl(request) : null;

    public Task WriteAsync(HttpContext context) => WriteAsync(context, pathBase: null);

    /// <summary>
    /// Serves the metadata of the resource URL under the path base that a request outside it names
    /// (<see cref="ResourceUrls.PrefixedMetadataRoute"/>); 404 for a path that names none.
    /// </summary>
    public Task WritePrefixedAsync(HttpContext context)
    {
        if (resourceUrls.PathBaseNamedBy(context.Request.Path) is not { } pathBase)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return WriteAsync(context, pathBase);
    }

    private async Task WriteAsync(HttpContext context, string? pathBase)
    {
        var response = context.Response;
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            AnswerPreflight(context);
            return;
        }

        var servers = GetAuthorizationServers();
        if (servers.Count == 0)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!resourceUrls.CanNameResource(context.Request))
        {
            // RFC 6749 §5.2's error format, as OAuth clients read it.
            response.StatusCode = StatusCodes.Status400BadRequest;
            response.Headers.CacheControl = "no-store";
            await response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = "invalid_request", ["error_description"] = ResourceUrls.NoHostReason }).ConfigureAwait(false);
            return;
        }

        response.ContentType = "application/json";
        response.Headers.CacheControl = "public, max-age=300";
        response.Headers.AccessControlAllowOrigin = "*"; // an application's CORS policy, when it covers the path, replaces it as the response starts

        await using var w = new Utf8JsonWriter(response.Body);
        w.WriteStartObject();
        w.WriteString("resource", pathBase is null ? resourceUrls.GetResource(context.Request) : resourceUrls.GetResource(context.Request, pathBase));
        w.WriteStartArray("authorization_servers");
        foreach (var server in servers)
        {
            w.WriteStringValue(server);
        }

        w.WriteEndArray();
        w.WriteStartArray("scopes_supported");
        foreach (var scope in primitives.AllScopes(serverOptions.Value))
        {
            w.WriteStringValue(Advertised(scope));
        }

        w.WriteEndArray();
        w.WriteStartArray("bearer_methods_supported");
        w.WriteStringValue("header");
        w.WriteEndArray();
        w.WriteString("resource_name", identity.Name);
        w.WriteEndObject();
        await w.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A scope as clients request it from the identity provider: with <see cref="McpServiceAuthenticationOptions.ScopePrefix"/>.</summary>
    public string Advertised(string scope) => settings.Current.Authentication.Advertised(scope);

    /// <summary>
    /// Configured servers, else the JWT authority (or the issuer behind a metadata address), else the valid issuers that are
    /// URLs: an issuer such as <c>dotnet-user-jwts</c>' is a name, not an authorization server a client could get a token from,
    /// and RFC 9728 lists issuer URLs (the TypeScript SDK refuses a whole document with anything else in the list).
    /// </summary>
    public IReadOnlyList<string> GetAuthorizationServers()
    {
        var configured = settings.Current.Authentication.AuthorizationServers;
        if (configured.Length > 0)
        {
            return configured;
        }

        var jwt = jwtOptions.Get(McpServiceAuthenticationDefaults.BearerScheme);
        if (!string.IsNullOrEmpty(jwt.Authority))
        {
            return [jwt.Authority.TrimEnd('/')];
        }

        const string WellKnown = "/.well-known/openid-configuration";
        if (!string.IsNullOrEmpty(jwt.MetadataAddress) && jwt.MetadataAddress.EndsWith(WellKnown, StringComparison.Ordinal))
        {
            return [jwt.MetadataAddress[..^WellKnown.Length]];
        }

        var parameters = jwt.TokenValidationParameters;
        return (parameters.ValidIssuers ?? []).Prepend(parameters.ValidIssuer)
            .Where(i => !string.IsNullOrEmpty(i) && McpServiceOptionsValidator.IsHttpUrl(i)).Select(i => i!).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The metadata is public and read before the client has a token, also by clients that run in a browser on another origin;
    /// they send <c>MCP-Protocol-Version</c> with the request, which makes the browser ask first (a CORS preflight). Any origin may
    /// read it, without credentials, as the official MCP SDKs serve it. An application whose CORS policy covers this path answers
    /// the preflight itself, before this endpoint runs.
    /// </summary>
    private static void AnswerPreflight(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status204NoContent;
        response.Headers.AccessControlAllowOrigin = "*";
        response.Headers.AccessControlAllowMethods = "GET";
        if (context.Request.Headers.AccessControlRequestHeaders is { Count: > 0 } requested)
        {
            response.Headers.AccessControlAllowHeaders = requested;
        }

        response.Headers.AccessControlMaxAge = "3600";
    }
}
