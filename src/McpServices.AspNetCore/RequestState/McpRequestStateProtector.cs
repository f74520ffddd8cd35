using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;

namespace McpServices.AspNetCore;

/// <summary>Data Protection–backed <see cref="IMcpRequestStateProtector"/>; the caller binding is part of the protector's purpose chain.</summary>
internal sealed class McpRequestStateProtector(IDataProtectionProvider provider, IHttpContextAccessor httpContextAccessor, ServiceIdentity identity) : IMcpRequestStateProtector
{
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    private readonly IDataProtector _root = provider.CreateProtector("McpServices.RequestState.v1", identity.Name);

    public string Protect(string purpose, string state, TimeSpan? lifetime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentNullException.ThrowIfNull(state);
        var span = lifetime ?? DefaultLifetime;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero, nameof(lifetime));
        return ProtectorFor(purpose).Protect(state, span);
    }

    public string Unprotect(string purpose, string protectedState)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        try
        {
            return ProtectorFor(purpose).Unprotect(protectedState ?? string.Empty, out _);
        }
        catch (CryptographicException)
        {
            throw new McpProtocolException(
                "The requestState is not valid: it was altered, has expired, or was issued to another caller or for another request.",
                McpErrorCode.InvalidParams);
        }
        catch (FormatException)
        {
            throw new McpProtocolException("The requestState is not valid: it is not a value this service issued.", McpErrorCode.InvalidParams);
        }
    }

    private ITimeLimitedDataProtector ProtectorFor(string purpose)
    {
        // Bound to the caller: an authenticated caller by subject, client or API key; anonymous callers share one binding
        // (an IP address is not stable across proxies and replicas).
        var caller = httpContextAccessor.HttpContext is { } context ? CallerIdentity.Of(context) : null;
        var binding = caller is { IsAuthenticated: true } ? caller.PartitionKey : "anonymous";
        return _root.CreateProtector(purpose, binding).ToTimeLimitedDataProtector();
    }
}
