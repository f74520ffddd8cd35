using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.AspNetCore;

/// <summary>
/// Whether the JWT bearer scheme has read its identity provider's metadata (OpenID Connect discovery and signing keys).
/// </summary>
/// <remarks>
/// Until it has, the standard bearer handler swallows the failed fetch and rejects every token as if the token were at fault
/// (IDX10204 "Unable to validate issuer", IDX10500 "No security keys"): callers would be told to get a new token, which cannot
/// help, and operators would see nothing about the identity provider. With this, such a failure is answered with 503 and
/// <c>Retry-After</c> (the HTTP stage and the bearer challenge read <see cref="UnavailableFeature"/>) and logged with its cause.
/// Once the metadata has been read the configuration manager keeps it, also through later outages, so the status only matters
/// until the first successful fetch — which the service starts at startup (<see cref="WarmUp"/>).
/// One fetch runs at a time; a request waits for it at most until <see cref="MaxWait"/> after it started — also inside token
/// validation, through <see cref="BoundedConfigurationManager"/> — and a failed fetch answers for a second before the next
/// request starts another, so an outage does not multiply the requests sent to the identity provider.
/// </remarks>
internal sealed partial class IdentityProviderStatus(ILogger<IdentityProviderStatus> logger, TimeProvider? time = null)
{
    internal static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);
    private static readonly string NoAnswer = $"no answer within {MaxWait.TotalSeconds:0} seconds";
    private static readonly TimeSpan FailureReuse = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private volatile bool _available;
    private volatile string? _failure;
    private Task? _fetch;
    private DateTimeOffset _failedAt;
    private DateTimeOffset _fetchStartedAt;
    private string? _address;

    /// <summary>Why the metadata cannot be read, while it never has been; otherwise <see langword="null"/>.</summary>
    public string? Failure => _available ? null : _failure;

    /// <summary>Whether the metadata has been read (the configuration manager keeps it from then on).</summary>
    public bool IsAvailable => _available;

    /// <summary>
    /// For readiness: whether the first read of the metadata is still running and younger than <see cref="MaxWait"/> (the
    /// service is starting), and otherwise why the metadata cannot be read, if it cannot. A read that has run longer is an
    /// outage from then on, whether or not a request has waited for it.
    /// </summary>
    public (bool Starting, string? Failure) Readiness()
    {
        if (_available)
        {
            return (false, null);
        }

        Task? fetch;
        DateTimeOffset startedAt;
        lock (_lock)
        {
            (fetch, startedAt) = (_fetch, _fetchStartedAt);
        }

        if (fetch is { IsCompleted: false } && _failure is null)
        {
            if (_time.GetUtcNow() - startedAt < MaxWait)
            {
                return (true, null);
            }

            NoteFailure(_address, NoAnswer);
        }

        return (false, _available ? null : _failure);
    }

    /// <summary>
    /// Whether the failure of <paramref name="context"/> comes from metadata the service cannot read rather than from the
    /// token: the issuer or the signing key could not be checked, and a fetch of the metadata (at most one at a time) fails.
    /// </summary>
    public async Task<bool> ExplainsAsync(AuthenticationFailedContext context)
    {
        if (context.Options.ConfigurationManager is not { } manager || !CouldBeMetadata(context.Exception))
        {
            return false;
        }

        // The token was checked without metadata (the bounded manager gave up waiting), even if the metadata has arrived since.
        if (context.HttpContext.Features.Get<MetadataMissedFeature>() is not null)
        {
            return true;
        }

        return !_available && !await WaitForMetadataAsync(manager, context.Options.MetadataAddress, context.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the metadata is available, reading it if it never has been: one fetch at a time, waited for until
    /// <see cref="MaxWait"/> after that fetch started (a request that comes while a slow fetch runs waits only for the rest).
    /// </summary>
    public async Task<bool> WaitForMetadataAsync(IConfigurationManager<OpenIdConnectConfiguration> manager, string? address, CancellationToken cancellationToken)
    {
        if (_available)
        {
            return true;
        }

        var (fetch, startedAt) = StartFetch(manager, address);
        var remaining = startedAt + MaxWait - _time.GetUtcNow();
        if (remaining > TimeSpan.Zero)
        {
            try
            {
                await fetch.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }

        if (!fetch.IsCompleted && !_available)
        {
            // The identity provider accepts connections but does not answer (a hung proxy, a dropped route): an outage now,
            // not after the HTTP client's own timeout (a minute by default).
            NoteFailure(address, NoAnswer);
        }

        return _available;
    }

    /// <summary>Starts reading the metadata in the background (at startup), so the first call does not wait and an outage is logged at once.</summary>
    public void WarmUp(IConfigurationManager<OpenIdConnectConfiguration> manager, string? address) => _ = StartFetch(manager, address);

    private (Task Fetch, DateTimeOffset StartedAt) StartFetch(IConfigurationManager<OpenIdConnectConfiguration> manager, string? address)
    {
        // The bounded manager waits through this status; the fetch itself goes to the manager it wraps.
        if (manager is BoundedConfigurationManager bounded)
        {
            manager = bounded.Inner;
        }

        lock (_lock)
        {
            if (_fetch is { IsCompleted: false } running)
            {
                return (running, _fetchStartedAt);
            }

            if (_fetch is not null && _failure is not null && _time.GetUtcNow() - _failedAt < FailureReuse)
            {
                return (_fetch, _fetchStartedAt);
            }

            _fetchStartedAt = _time.GetUtcNow();
            _address = address;
            return (_fetch = FetchAsync(manager, address), _fetchStartedAt);
        }
    }

    private async Task FetchAsync(IConfigurationManager<OpenIdConnectConfiguration> manager, string? address)
    {
        await Task.Yield();
        try
        {
            // Returns at once when the manager holds a configuration; otherwise fetches it (the HTTP client's own timeout applies).
            await manager.GetConfigurationAsync(CancellationToken.None).ConfigureAwait(false);
            if (_failure is not null)
            {
                LogRecovered(logger, address ?? "(configured manager)");
            }

            _available = true;
            _failure = null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            lock (_lock)
            {
                _failedAt = _time.GetUtcNow();
            }

            NoteFailure(address, Describe(ex));
        }
    }

    private void NoteFailure(string? address, string reason)
    {
        lock (_lock)
        {
            if (string.Equals(reason, _failure, StringComparison.Ordinal))
            {
                return;
            }

            _failure = reason;
        }

        LogUnavailable(logger, address ?? "(configured manager)", reason);
    }

    /// <summary>Failures the token is not to blame for when the metadata is missing: without it, issuer and signature cannot be checked.</summary>
    private static bool CouldBeMetadata(Exception exception) =>
        exception is SecurityTokenInvalidIssuerException or SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException
            or InvalidOperationException; // an IConfigurationManager other than the standard one throws from the handler itself

    /// <summary>The innermost exception's message: the network or HTTP error, not IdentityModel's wrappers around it.</summary>
    private static string Describe(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner.Message;
    }

    [LoggerMessage(44, LogLevel.Warning, "The identity provider's metadata at {Address} cannot be read ({Reason}); bearer tokens are answered with 503 until it can.")]
    private static partial void LogUnavailable(ILogger logger, string address, string reason);

    [LoggerMessage(45, LogLevel.Information, "The identity provider's metadata at {Address} has been read; bearer tokens are validated again.")]
    private static partial void LogRecovered(ILogger logger, string address);

    /// <summary>Marks a request whose token validation went on without the metadata (<see cref="BoundedConfigurationManager"/>).</summary>
    internal sealed class MetadataMissedFeature
    {
        public static readonly MetadataMissedFeature Instance = new();
    }

    /// <summary>Marks a request whose bearer token could not be checked because the identity provider's metadata is missing.</summary>
    internal sealed class UnavailableFeature
    {
        public static readonly UnavailableFeature Instance = new();
    }
}
