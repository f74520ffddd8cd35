using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.AspNetCore;

/// <summary>
/// Seamless signing-key rotation. When a token names a key the service has not seen, the standard bearer handler asks its
/// configuration manager to refresh in the background and fails that request with 401. This re-reads the issuer's metadata and
/// keys once, then validates the token again within the same request — throttled to one fetch per <c>RefreshInterval</c>
/// (five minutes by default) so tokens with made-up key ids cannot make the service hammer the identity provider.
/// </summary>
internal sealed class SigningKeyRefresh
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TokenValidationCache _tokenCache;
    private readonly TimeProvider _time;
    private OpenIdConnectConfiguration? _fetched;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;

    public SigningKeyRefresh(TokenValidationCache tokenCache, TimeProvider? time = null)
    {
        _tokenCache = tokenCache;
        _time = time ?? TimeProvider.System;
    }

    public async Task TryRevalidateAsync(AuthenticationFailedContext context)
    {
        var options = context.Options;
        if (!IsKeyNotFound(context.Exception) || options.ConfigurationManager is null || string.IsNullOrEmpty(options.MetadataAddress))
        {
            return;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var configuration = await GetFreshConfigurationAsync(options, context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (configuration is null)
        {
            return;
        }

        var parameters = options.TokenValidationParameters.Clone();
        parameters.ConfigurationManager = null;
        parameters.IssuerSigningKeys = configuration.SigningKeys;
        parameters.ValidIssuers = (parameters.ValidIssuers ?? []).Append(configuration.Issuer).ToArray();
        var token = authorization["Bearer ".Length..].Trim();
        foreach (var handler in options.TokenHandlers)
        {
            var result = await handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
            if (result.IsValid)
            {
                context.Principal = new ClaimsPrincipal(result.ClaimsIdentity);
                context.Success();
                return;
            }
        }
    }

    private async Task<OpenIdConnectConfiguration?> GetFreshConfigurationAsync(JwtBearerOptions options, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (now - _fetchedAt < options.RefreshInterval)
            {
                return _fetched;
            }

            _fetchedAt = now;
            var retriever = new HttpDocumentRetriever(options.Backchannel) { RequireHttps = options.RequireHttpsMetadata };
            try
            {
                _fetched = await OpenIdConnectConfigurationRetriever.GetAsync(options.MetadataAddress, retriever, cancellationToken).ConfigureAwait(false);

                // The issuer's keys changed: tokens remembered as valid may be signed with a key it has since retired.
                _tokenCache.Clear();
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or InvalidOperationException or ArgumentException)
            {
                _fetched = null;
            }

            return _fetched;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static bool IsKeyNotFound(Exception? exception) => exception switch
    {
        SecurityTokenSignatureKeyNotFoundException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsKeyNotFound),
        _ => false,
    };
}
