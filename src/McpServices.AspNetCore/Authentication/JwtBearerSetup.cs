using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.AspNetCore;

/// <summary>
/// Hardens the standard JWT bearer scheme (configured from <c>Authentication:Schemes:Bearer</c>) for an MCP resource server:
/// claims keep their JWT names, only expected algorithms are accepted, clock skew is small, and the audience must be this
/// service's canonical resource URL (RFC 8707) or an audience configured explicitly.
/// </summary>
internal sealed class JwtBearerSetup(IOptions<McpServiceOptions> options, ResourceUrls resourceUrls, IHttpContextAccessor httpContextAccessor, SigningKeyRefresh keyRefresh, TokenValidationCache tokenCache, IdentityProviderStatus identityProvider) : IPostConfigureOptions<JwtBearerOptions>
{
    internal static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    internal static readonly string[] SymmetricAlgorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha384, SecurityAlgorithms.HmacSha512];

    private static readonly JwtBearerEvents DefaultEvents = new();

    /// <summary>The audiences configured besides the resource URL (<c>Authentication:Schemes:Bearer:ValidAudience(s)</c>).</summary>
    internal static string[] ConfiguredAudiences(TokenValidationParameters parameters) =>
        (parameters.ValidAudiences ?? []).Append(parameters.ValidAudience).Where(a => !string.IsNullOrEmpty(a)).Select(a => a!).ToArray();

    public void PostConfigure(string? name, JwtBearerOptions jwt)
    {
        if (name != McpServiceAuthenticationDefaults.BearerScheme)
        {
            return;
        }

        var auth = options.Value.Authentication;
        jwt.MapInboundClaims = false;
        jwt.IncludeErrorDetails = false;

        var parameters = jwt.TokenValidationParameters;

        // The configuration binder yields signing keys lazily, re-creating them on every validation; materialize them once.
        parameters.IssuerSigningKeys = parameters.IssuerSigningKeys?.ToArray();
        var hasSymmetricKeys = parameters.IssuerSigningKey is SymmetricSecurityKey || parameters.IssuerSigningKeys?.Any(k => k is SymmetricSecurityKey) == true;
        parameters.ValidAlgorithms = auth.ValidAlgorithms.Length > 0
            ? auth.ValidAlgorithms
            : hasSymmetricKeys ? [.. AsymmetricAlgorithms, .. SymmetricAlgorithms] : AsymmetricAlgorithms;
        parameters.ClockSkew = auth.ClockSkew;
        parameters.RequireSignedTokens = true;
        parameters.RequireExpirationTime = true;
        parameters.ValidateLifetime = true;
        parameters.ValidateIssuer = true;
        parameters.ValidateAudience = true;
        parameters.RoleClaimType = auth.RoleClaimType;
        parameters.NameClaimType = "sub";

        // Challenges issued by ASP.NET Core authorization (for example .RequireAuthorization() on the endpoint) follow the MCP specification too.
        if (jwt.EventsType is null)
        {
            jwt.Events ??= new JwtBearerEvents();

            // Validated tokens are remembered (TokenValidationCache) unless the application watches validation itself.
            if (jwt.Events.OnMessageReceived == DefaultEvents.OnMessageReceived && jwt.Events.OnTokenValidated == DefaultEvents.OnTokenValidated)
            {
                jwt.Events.OnMessageReceived = tokenCache.TryAuthenticateAsync;
                jwt.Events.OnTokenValidated = tokenCache.AddAsync;
            }

            var inner = jwt.Events.OnChallenge;
            var failed = jwt.Events.OnAuthenticationFailed;
            jwt.Events.OnAuthenticationFailed = async context =>
            {
                await failed(context).ConfigureAwait(false);
                if (context.Result is null)
                {
                    await keyRefresh.TryRevalidateAsync(context).ConfigureAwait(false);
                }

                // Not the token's fault: the identity provider's metadata cannot be read. Answered with 503 (the HTTP stage and
                // the challenge below); Fail keeps an exception from a custom configuration manager from becoming a 500.
                if (context.Result is null && await identityProvider.ExplainsAsync(context).ConfigureAwait(false))
                {
                    context.HttpContext.Features.Set(IdentityProviderStatus.UnavailableFeature.Instance);
                    context.Fail(context.Exception);
                }
            };

            jwt.Events.OnChallenge = async context =>
            {
                await inner(context).ConfigureAwait(false);
                if (!context.Handled)
                {
                    context.HandleResponse();
                    var http = context.HttpContext;
                    var metadataUrl = http.RequestServices.GetRequiredService<ProtectedResourceMetadata>().MetadataUrlFor(context.Request);
                    var unavailable = http.Features.Get<IdentityProviderStatus.UnavailableFeature>() is not null;
                    if (http.GetEndpoint()?.Metadata.GetMetadata<McpServiceEndpoints.McpEndpointMetadata>() is null)
                    {
                        // An endpoint of the application that shares the scheme: the same status and headers, without a JSON-RPC
                        // body its clients would not expect (the application's status code pages or problem details write one).
                        if (unavailable)
                        {
                            AuthenticationChallenges.SetIdentityProviderUnavailable(http);
                        }
                        else
                        {
                            AuthenticationChallenges.SetUnauthorizedChallenge(http, metadataUrl, invalidToken: context.AuthenticateFailure is not null);
                        }

                        return;
                    }

                    if (unavailable)
                    {
                        await AuthenticationChallenges.WriteIdentityProviderUnavailableAsync(http, id: null).ConfigureAwait(false);
                        return;
                    }

                    await AuthenticationChallenges.WriteUnauthorizedAsync(http, metadataUrl, invalidToken: context.AuthenticateFailure is not null, id: null).ConfigureAwait(false);
                }
            };
        }

        // The standard manager makes requests wait up to a minute each while the identity provider does not answer.
        if (jwt.ConfigurationManager is ConfigurationManager<OpenIdConnectConfiguration> standard)
        {
            jwt.ConfigurationManager = new BoundedConfigurationManager(standard, identityProvider, httpContextAccessor);
        }

        var configuredAudiences = ConfiguredAudiences(parameters);
        parameters.AudienceValidator = (audiences, _, _) =>
        {
            var request = httpContextAccessor.HttpContext?.Request;
            if (request is not null)
            {
                resourceUrls.NoteTokenJudged(request.HttpContext);
            }

            var resource = resourceUrls.ConfiguredResource ?? (request is null ? null : resourceUrls.GetResource(request));
            foreach (var audience in audiences)
            {
                if (resource is not null && ResourceUrls.Matches(audience, resource))
                {
                    return true;
                }

                foreach (var configured in configuredAudiences)
                {
                    if (ResourceUrls.Matches(audience, configured))
                    {
                        return true;
                    }
                }
            }

            // Thrown rather than returned: IdentityModel's message for a validator that returns false says only that it did.
            throw AuthenticationFailures.InvalidAudience(audiences, resource, configuredAudiences);
        };
    }
}
