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
    internal const string TwoCredentials = "The request carries two credentials, the API key header and an Authorization bearer credential; send one.";

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

        var identity = store.Validate(presented);
        if (identity is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is unknown, revoked or does not match."));
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

    /// <summary>Whether the request sends the API key header and a bearer credential (a JWT or a key) at once.</summary>
    internal static bool HasTwoCredentials(IHeaderDictionary headers, string headerName) =>
        headers[headerName].Count > 0 && HasBearer(headers);

    /// <summary>Whether an <c>Authorization</c> header uses the <c>Bearer</c> scheme (another scheme is not a credential here).</summary>
    internal static bool HasBearer(IHeaderDictionary headers)
    {
        foreach (var value in headers.Authorization)
        {
            if (value is not null && value.StartsWith("Bearer", StringComparison.OrdinalIgnoreCase) && (value.Length == 6 || value[6] == ' '))
            {
                return true;
            }
        }

        return false;
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
