using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.AspNetCore;

/// <summary>
/// Seamless signing-key rotation. When a token names a key the service has not seen, the standard bearer handler asks its
/// configuration manager to refresh in the background and fails that request with 401. This re-reads the issuer's metadata and
/// keys once, then validates the token again within the same request — throttled to one fetch per <c>RefreshInterval</c>
/// (five minutes by default) so tokens with made-up key ids cannot make the service hammer the identity provider. Requests
/// share one fetch and wait for it at most five seconds; an issuer that does not answer makes such tokens a 503, not a 401.
/// </summary>
internal sealed partial class SigningKeyRefresh
{
    private readonly Lock _lock = new();
    private readonly TokenValidationCache _tokenCache;
    private readonly ILogger<SigningKeyRefresh> _logger;
    private readonly TimeProvider _time;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private Task<OpenIdConnectConfiguration?>? _refresh;
    private Task? _reportedSlow;

    public SigningKeyRefresh(TokenValidationCache tokenCache, ILogger<SigningKeyRefresh> logger, TimeProvider? time = null)
    {
        _tokenCache = tokenCache;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public async Task TryRevalidateAsync(AuthenticationFailedContext context)
    {
        var options = context.Options;
        // Not when the metadata has never been read: that is the identity provider's outage (IdentityProviderStatus).
        if (!IsKeyNotFound(context.Exception) || options.ConfigurationManager is null || string.IsNullOrEmpty(options.MetadataAddress)
            || context.HttpContext.Features.Get<IdentityProviderStatus.MetadataMissedFeature>() is not null)
        {
            return;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        // One fetch at a time, shared by every request that meets the new key; a request waits for it at most as long as for
        // the metadata itself (IdentityProviderStatus.MaxWait), not for the HTTP client's timeout.
        var refresh = GetFreshConfiguration(options);
        OpenIdConnectConfiguration? configuration;
        try
        {
            configuration = await refresh.WaitAsync(IdentityProviderStatus.MaxWait, _time, context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The token names a key the service has not seen and the issuer does not answer for its keys: the token cannot be
            // checked now, which is not its fault (503, as when the metadata cannot be read at all).
            if (Interlocked.Exchange(ref _reportedSlow, refresh) != refresh)
            {
                LogKeysSlow(_logger, options.MetadataAddress, IdentityProviderStatus.MaxWait.TotalSeconds);
            }

            context.HttpContext.Features.Set(IdentityProviderStatus.UnavailableFeature.Instance);
            context.Fail(context.Exception);
            return;
        }

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

    /// <summary>The running refresh, or the last one while it is younger than <c>RefreshInterval</c>, or a new refresh.</summary>
    private Task<OpenIdConnectConfiguration?> GetFreshConfiguration(JwtBearerOptions options)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_refresh is not null && (!_refresh.IsCompleted || now - _fetchedAt < options.RefreshInterval))
            {
                return _refresh;
            }

            _fetchedAt = now;
            return _refresh = FetchAsync(options);
        }
    }

    /// <summary>The issuer's metadata and keys, or <see langword="null"/> when they cannot be read.</summary>
    private async Task<OpenIdConnectConfiguration?> FetchAsync(JwtBearerOptions options)
    {
        await Task.Yield();
        var retriever = new HttpDocumentRetriever(options.Backchannel) { RequireHttps = options.RequireHttpsMetadata };
        try
        {
            // Not cancelled with the request that started it: the requests after it wait for the same fetch.
            var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(options.MetadataAddress, retriever, CancellationToken.None).ConfigureAwait(false);

            // The issuer's keys changed: tokens remembered as valid may be signed with a key it has since retired.
            _tokenCache.Clear();
            return configuration;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or InvalidOperationException or ArgumentException or OperationCanceledException)
        {
            return null;
        }
    }

    private static bool IsKeyNotFound(Exception? exception) => exception switch
    {
        SecurityTokenSignatureKeyNotFoundException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsKeyNotFound),
        _ => false,
    };

    [LoggerMessage(46, LogLevel.Warning, "A bearer token names a signing key the service has not seen, and the identity provider at {Address} has not sent its keys within {Seconds} seconds; such tokens are answered with 503 until it does.")]
    private static partial void LogKeysSlow(ILogger logger, string address, double seconds);
}
