using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>Authenticates <c>mcpk_…</c> API keys from the API key header or an <c>Authorization: Bearer</c> header.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore store,
    McpServiceSettings settings)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>What the failure of a request with two credentials says (it names neither value).</summary>
    internal const string TwoCredentials = "The request carries two credentials; send one.";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (HasTwoCredentials(Request.Headers, settings.Current.Authentication.ApiKeyHeader))
        {
            // Which one would be the caller? Neither is chosen silently: an invalid token next to a valid key must not pass.
            return Task.FromResult(AuthenticateResult.Fail(TwoCredentials));
        }

        var presented = ReadKey(Request.Headers, settings.Current.Authentication.ApiKeyHeader);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = store.Validate(presented, out var refusal);
        if (identity is null)
        {
            return Task.FromResult(AuthenticateResult.Fail(refusal ?? "The API key is unknown, revoked or does not match."));
        }

        var claims = new List<Claim>(identity.Scopes.Count + 3)
        {
            new("sub", identity.Owner),
            new("client_id", identity.KeyId),
            new(McpServiceAuthenticationDefaults.ApiKeyIdClaim, identity.KeyId),
        };
        if (identity.Scopes.Count > 0)
        {
            claims.Add(new Claim("scope", string.Join(' ', identity.Scopes)));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, McpServiceAuthenticationDefaults.ApiKeyScheme, "sub", "roles"));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    /// <summary>Whether the request carries two credentials (<see cref="DescribeTwoCredentials"/>).</summary>
    internal static bool HasTwoCredentials(IHeaderDictionary headers, string headerName) => DescribeTwoCredentials(headers, headerName) is not null;

    /// <summary>
    /// Which two credentials the request carries, for the caller (RFC 6750 §3.1: a request that "uses more than one method for
    /// including an access token" or "repeats the same parameter" is <c>invalid_request</c>), or <see langword="null"/> when it
    /// carries at most one: the API key header next to a bearer credential, two bearer credentials, or the API key header twice.
    /// Which would be the caller is not chosen silently: an invalid credential next to a valid one must not pass.
    /// </summary>
    internal static string? DescribeTwoCredentials(IHeaderDictionary headers, string headerName)
    {
        // A header sent twice may arrive as two values or, joined by a proxy or an HTTP client, as one with a comma, which neither
        // an API key nor a bearer token (RFC 6750's b64token) can contain.
        var keys = 0;
        foreach (var value in headers[headerName])
        {
            keys += value is not null && value.Contains(',', StringComparison.Ordinal) ? 2 : 1;
        }

        var bearers = CountBearers(headers);
        return keys > 0 && bearers > 0 ? $"the {headerName} header and an Authorization: Bearer header"
            : bearers > 1 ? "two Authorization: Bearer headers"
            : keys > 1 ? $"the {headerName} header twice"
            : null;
    }

    /// <summary>Whether an <c>Authorization</c> header uses the <c>Bearer</c> scheme (another scheme is not a credential here).</summary>
    internal static bool HasBearer(IHeaderDictionary headers) => CountBearers(headers) > 0;

    private static int CountBearers(IHeaderDictionary headers)
    {
        var count = 0;
        foreach (var value in headers.Authorization)
        {
            if (value is not null && value.StartsWith("Bearer", StringComparison.OrdinalIgnoreCase) && (value.Length == 6 || value[6] == ' '))
            {
                count += value.AsSpan(6).Contains(',') ? 2 : 1;
            }
        }

        return count;
    }

    internal static string? ReadKey(IHeaderDictionary headers, string headerName)
    {
        var header = headers[headerName];
        if (header.Count > 0)
        {
            return header.ToString().Trim();
        }

        var authorization = headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization.AsSpan(7).Trim();
            if (ApiKeyStore.LooksLikeApiKey(token))
            {
                return token.ToString();
            }
        }

        return null;
    }
}
