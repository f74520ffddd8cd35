using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace McpServices.AspNetCore;

/// <summary>
/// The MCP authorization specification's challenges: 401 with <c>WWW-Authenticate: Bearer resource_metadata="…"</c>
/// (plus <c>error="invalid_token"</c> when a credential was presented), and 403 with <c>error="insufficient_scope"</c>
/// naming every scope the call needs; 503 when a token cannot be checked because the identity provider cannot be reached.
/// The body is a JSON-RPC error.
/// </summary>
internal static class AuthenticationChallenges
{
    public static Task WriteUnauthorizedAsync(HttpContext context, string? resourceMetadataUrl, bool invalidToken, string? id)
    {
        SetUnauthorizedChallenge(context, resourceMetadataUrl, invalidToken);
        return JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status401Unauthorized, McpServiceErrorCodes.Unauthenticated, UnauthorizedMessage(context, resourceMetadataUrl, invalidToken), id: id);
    }

    /// <summary>
    /// The JSON-RPC message of a 401 (<see cref="McpServiceErrorCodes.Unauthenticated"/>); a refused call's audit record carries
    /// the same. Without protected resource metadata to point to, it names the credentials the service accepts.
    /// </summary>
    public static string UnauthorizedMessage(HttpContext context, string? resourceMetadataUrl, bool invalidToken) =>
        invalidToken
            ? "Unauthorized: the access token or API key is invalid, expired or revoked."
            : resourceMetadataUrl is null
                ? context.RequestServices.GetRequiredService<AcceptedCredentials>().MissingCredentialMessage()
                : "Unauthorized: this service requires an access token; see the WWW-Authenticate header for where to get one.";

    /// <summary>
    /// The 401's status and <c>WWW-Authenticate</c> header without a body: for the application's own endpoints that share the
    /// scheme, whose clients do not speak JSON-RPC (the application's status code pages or problem details write the body).
    /// </summary>
    public static void SetUnauthorizedChallenge(HttpContext context, string? resourceMetadataUrl, bool invalidToken)
    {
        var header = new StringBuilder("Bearer");
        if (invalidToken)
        {
            header.Append(" error=\"invalid_token\", error_description=\"The access token is invalid or expired.\"");
        }

        AppendResourceMetadata(header, resourceMetadataUrl);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers[HeaderNames.WWWAuthenticate] = header.ToString();
    }

    /// <summary>Adds <c>resource_metadata="…"</c> to a challenge, when the service has metadata to point to.</summary>
    private static void AppendResourceMetadata(StringBuilder header, string? resourceMetadataUrl)
    {
        if (resourceMetadataUrl is not null)
        {
            header.Append(header.Length > "Bearer".Length ? ", " : " ").Append("resource_metadata=\"").Append(resourceMetadataUrl).Append('"');
        }
    }

    /// <summary>
    /// The answer to a request with two credentials (the API key header and a bearer credential, two bearer credentials, the API
    /// key header twice; <paramref name="credentials"/> names them): RFC 6750 §3.1 <c>invalid_request</c> ("uses more than one
    /// method for including an access token", "repeats the same parameter"), 400.
    /// </summary>
    public static Task WriteTwoCredentialsAsync(HttpContext context, string? resourceMetadataUrl, string credentials, string? id)
    {
        var header = new StringBuilder("Bearer error=\"invalid_request\", error_description=\"Send one credential, not two.\"");
        AppendResourceMetadata(header, resourceMetadataUrl);
        context.Response.Headers[HeaderNames.WWWAuthenticate] = header.ToString();
        return JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status400BadRequest, (int)ModelContextProtocol.McpErrorCode.InvalidRequest,
            TwoCredentialsMessage(credentials), id: id);
    }

    /// <summary>The JSON-RPC message of the answer to a request with two credentials; a refused call's audit record carries the same.</summary>
    public static string TwoCredentialsMessage(string credentials) =>
        $"Bad Request: the request carries two credentials, {credentials}; send one of them.";

    /// <summary>The answer to a bearer token that cannot be checked because the identity provider's metadata cannot be read.</summary>
    public static Task WriteIdentityProviderUnavailableAsync(HttpContext context, string? id)
    {
        SetIdentityProviderUnavailable(context);
        return JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, McpServiceErrorCodes.Unavailable, IdentityProviderUnavailableMessage, id: id);
    }

    /// <summary>That answer's status and <c>Retry-After</c> without a body, for the application's own endpoints (as <see cref="SetUnauthorizedChallenge"/>).</summary>
    public static void SetIdentityProviderUnavailable(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = IdentityProviderRetryAfterSeconds;
    }

    private const string IdentityProviderRetryAfterSeconds = "5";

    internal const string IdentityProviderUnavailableMessage =
        "Service Unavailable: the service cannot check access tokens now because its identity provider cannot be reached; retry later with the same token.";

    public static Task WriteInsufficientScopeAsync(HttpContext context, string? resourceMetadataUrl, IReadOnlyList<string> requiredScopes, IReadOnlyList<string> missingScopes, string what, string? id)
    {
        var scope = string.Join(' ', requiredScopes);
        var header = new StringBuilder($"Bearer error=\"insufficient_scope\", scope=\"{scope}\"");
        AppendResourceMetadata(header, resourceMetadataUrl);
        header.Append($", error_description=\"{HeaderSafe($"The {what} requires the scopes: {scope}.")}\"");
        context.Response.Headers[HeaderNames.WWWAuthenticate] = header.ToString();
        return JsonRpcErrorWriter.WriteAsync(
            context,
            StatusCodes.Status403Forbidden,
            McpServiceErrorCodes.InsufficientScope,
            InsufficientScopeMessage(what, requiredScopes, missingScopes),
            w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("requiredScopes");
                foreach (var s in requiredScopes)
                {
                    w.WriteStringValue(s);
                }

                w.WriteEndArray();
                w.WriteStartArray("missingScopes");
                foreach (var s in missingScopes)
                {
                    w.WriteStringValue(s);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            },
            id);
    }

    /// <summary>The JSON-RPC message of an <c>insufficient_scope</c> refusal (<see cref="McpServiceErrorCodes.InsufficientScope"/>), from the scopes as advertised.</summary>
    public static string InsufficientScopeMessage(string what, IReadOnlyList<string> requiredScopes, IReadOnlyList<string> missingScopes) =>
        $"Forbidden: the {what} requires the scope(s) {string.Join(", ", requiredScopes)}; the token lacks {string.Join(", ", missingScopes)}.";

    /// <summary>
    /// <paramref name="text"/> with every character RFC 6750 does not allow in an <c>error_description</c> (outside printable
    /// ASCII, and <c>"</c> and <c>\</c>) replaced by <c>?</c>: a prompt's name or a resource's URI may hold any, and Kestrel refuses
    /// a response header with characters outside ASCII. The JSON-RPC message keeps the name as it is.
    /// </summary>
    private static string HeaderSafe(string text) =>
        text.AsSpan().IndexOfAnyExceptInRange(' ', '~') < 0 && !text.Contains('"') && !text.Contains('\\')
            ? text
            : string.Create(text.Length, text, static (span, source) =>
            {
                for (var i = 0; i < source.Length; i++)
                {
                    span[i] = source[i] is >= ' ' and <= '~' and not '"' and not '\\' ? source[i] : '?';
                }
            });
}
