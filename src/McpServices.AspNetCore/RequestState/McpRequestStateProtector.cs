using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol;

namespace McpServices.AspNetCore;

/// <summary>
/// The <see cref="IMcpRequestStateProtector"/>: with <c>McpService:RequestState:Keys</c>, AES-GCM under those keys
/// (<see cref="RequestStateKeys"/>), which every replica shares; otherwise ASP.NET Core Data Protection. Either way the caller
/// binding and the purpose are part of what is authenticated. State protected one way stays readable after a switch to the
/// other (until it expires), so configuring keys on a running service does not break calls in flight.
/// </summary>
internal sealed partial class McpRequestStateProtector(
    IDataProtectionProvider provider,
    IHttpContextAccessor httpContextAccessor,
    ServiceIdentity identity,
    McpServiceSettings settings,
    IOptions<KeyManagementOptions> keyManagement,
    IHostEnvironment environment,
    ILogger<McpRequestStateProtector> logger) : IMcpRequestStateProtector
{
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    private readonly IDataProtector _root = provider.CreateProtector("McpServices.RequestState.v1", identity.Name);
    private volatile KeySet _keys = new([], null);
    private int _warned;

    /// <summary>The clock expiry is judged by (settable for tests).</summary>
    internal TimeProvider Time { get; set; } = TimeProvider.System;

    public string Protect(string purpose, string state, TimeSpan? lifetime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentNullException.ThrowIfNull(state);
        var span = lifetime ?? DefaultLifetime;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero, nameof(lifetime));
        var binding = CallerBinding();
        if (Keys() is { } keys)
        {
            return keys.Protect(AssociatedData(purpose, binding), state, Time.GetUtcNow() + span);
        }

        WarnIfTheKeyRingIsNotShared();
        return _root.CreateProtector(purpose, binding).ToTimeLimitedDataProtector().Protect(state, span);
    }

    public string Unprotect(string purpose, string protectedState)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        protectedState ??= string.Empty;
        var binding = CallerBinding();
        if (RequestStateKeys.IsKeyProtected(protectedState))
        {
            return Keys()?.Unprotect(AssociatedData(purpose, binding), protectedState, Time.GetUtcNow())
                ?? throw NotValid();
        }

        try
        {
            return _root.CreateProtector(purpose, binding).ToTimeLimitedDataProtector().Unprotect(protectedState, out _);
        }
        catch (CryptographicException)
        {
            throw NotValid();
        }
        catch (FormatException)
        {
            throw new McpProtocolException("The requestState is not valid: it is not a value this service issued.", McpErrorCode.InvalidParams);
        }
    }

    private static McpProtocolException NotValid() => new(
        "The requestState is not valid: it was altered, has expired, or was issued to another caller or for another request.",
        McpErrorCode.InvalidParams);

    private string AssociatedData(string purpose, string binding) =>
        $"McpServices.RequestState.v1\n{identity.Name}\n{purpose.Length}:{purpose}\n{binding}";

    /// <summary>The configured keys, decoded once per configuration (they can change on a reload).</summary>
    private RequestStateKeys? Keys()
    {
        var configured = settings.Current.RequestState.Keys;
        var current = _keys;
        if (!ReferenceEquals(current.Configured, configured))
        {
            current = new KeySet(configured, RequestStateKeys.From(configured));
            _keys = current;
        }

        return current.Keys;
    }

    private sealed record KeySet(string[] Configured, RequestStateKeys? Keys);

    /// <summary>
    /// Bound to the caller: an authenticated caller by issuer and subject, client or API key; anonymous callers share one binding
    /// (an IP address is not stable across proxies and replicas).
    /// </summary>
    private string CallerBinding()
    {
        var caller = httpContextAccessor.HttpContext is { } context ? CallerIdentity.Of(context) : null;
        return caller is { IsAuthenticated: true } ? caller.PartitionKey : "anonymous";
    }

    /// <summary>
    /// Outside Development, Data Protection without a configured key repository keeps its keys to this instance (in a container,
    /// usually in memory): with several replicas, a retry that reaches another one is refused as "not valid". Said once, when
    /// state is first protected, since only services with multi round-trip tools are concerned.
    /// </summary>
    private void WarnIfTheKeyRingIsNotShared()
    {
        if (!environment.IsDevelopment() && keyManagement.Value.XmlRepository is null && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            LogKeyRingNotShared(logger);
        }
    }

    [LoggerMessage(61, LogLevel.Warning, "Multi round-trip requestState is protected with Data Protection keys that only this instance has (no key repository is configured): with more than one replica, a retry that reaches another replica is refused. Set McpService:RequestState:Keys (for example from a Kubernetes Secret: McpService__RequestState__Keys__0 = the output of 'openssl rand -base64 32'), or give Data Protection a shared key ring (services.AddDataProtection().PersistKeysTo…()).")]
    private static partial void LogKeyRingNotShared(ILogger logger);
}
