using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// Which credentials the service accepts — access tokens (a token issuer is configured), API keys (keys in configuration or a
/// key file), both or, in Development before <c>dotnet user-jwts create</c>, neither — for the 401 that tells a caller
/// without one what to send when there is no protected resource metadata to point to.
/// </summary>
internal sealed class AcceptedCredentials(IOptionsMonitor<JwtBearerOptions> jwtOptions, ApiKeyStore apiKeys, McpServiceSettings settings)
{
    /// <summary>Whether bearer options can validate a token: an authority or metadata address, a configuration, or signing keys.</summary>
    public static bool AcceptsTokens(JwtBearerOptions jwt)
    {
        var parameters = jwt.TokenValidationParameters;
        return !string.IsNullOrEmpty(jwt.Authority) || !string.IsNullOrEmpty(jwt.MetadataAddress) || jwt.Configuration is not null || jwt.ConfigurationManager is not null
            || parameters.IssuerSigningKey is not null || parameters.IssuerSigningKeys?.Any() == true || parameters.IssuerSigningKeyResolver is not null;
    }

    /// <summary>The 401's message for a request without a credential, when the service has no protected resource metadata.</summary>
    public string MissingCredentialMessage()
    {
        var tokens = AcceptsTokens(jwtOptions.Get(McpServiceAuthenticationDefaults.BearerScheme));
        var keys = apiKeys.IsConfigured;
        var header = settings.Current.Authentication.ApiKeyHeader;
        return (tokens, keys) switch
        {
            (true, true) => "Unauthorized: this service requires a credential: an API key, or an access token from its identity provider.",
            (true, false) => "Unauthorized: this service requires an access token from the token issuer it trusts, sent as 'Authorization: Bearer <token>'.",
            (false, true) => $"Unauthorized: this service requires an API key, sent as '{header}: mcpk_…' or 'Authorization: Bearer mcpk_…'.",
            _ => "Unauthorized: this service accepts no credential yet: neither a token issuer nor API keys are configured (its log says how to set one up).",
        };
    }
}
