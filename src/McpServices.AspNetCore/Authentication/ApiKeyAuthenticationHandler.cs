using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
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
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
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

    internal static string? ReadKey(Microsoft.AspNetCore.Http.IHeaderDictionary headers, string headerName)
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
