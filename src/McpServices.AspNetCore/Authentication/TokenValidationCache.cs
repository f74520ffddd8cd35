using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;

namespace McpServices.AspNetCore;

/// <summary>
/// Remembers bearer tokens that passed validation, so that an agent's stream of calls with one token pays for signature
/// verification and claims parsing once, not on every call.
/// </summary>
/// <remarks>
/// Safety rules: only successful validations are cached; an entry is keyed by the whole token (no hash collisions) and expires at
/// the token's expiry or after <see cref="McpServiceAuthenticationOptions.TokenValidationCacheDuration"/>, whichever is first; it
/// is used only while the issuer configuration it was validated against is current (a refreshed JWKS — a rotated or revoked
/// key — invalidates it) and for the same resource (audience); each hit gets its own copy of the identity. The cache is not used
/// when the application handles <c>JwtBearerEvents.OnTokenValidated</c> or <c>OnMessageReceived</c> itself, because those events
/// must see every request.
/// </remarks>
internal sealed class TokenValidationCache(McpServiceSettings settings, ResourceUrls resourceUrls, TimeProvider? time = null)
{
    /// <summary>More distinct live tokens than this are validated without caching the surplus.</summary>
    internal const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private int _count;
    private int _sweeping;
    private int _sweeps;

    /// <summary>
    /// UTC ticks of the earliest moment an entry can expire: while the cache is full, a sweep before then would walk every entry
    /// and free none, so new tokens are validated without being remembered until then, at no cost beyond validation.
    /// </summary>
    private long _earliestExpiry = long.MaxValue;

    internal int Count => Volatile.Read(ref _count);

    /// <summary>How many distinct tokens the cache remembers at most (settable for tests).</summary>
    internal int Capacity { get; set; } = DefaultCapacity;

    /// <summary>How many times a full cache was swept for expired entries (for tests).</summary>
    internal int Sweeps => Volatile.Read(ref _sweeps);

    internal bool Contains(string token) => _entries.ContainsKey(token);

    private TimeSpan Duration => settings.Current.Authentication.TokenValidationCacheDuration;

    /// <summary>Answers <paramref name="context"/> from the cache when its token was validated before.</summary>
    public async Task TryAuthenticateAsync(MessageReceivedContext context)
    {
        if (Duration <= TimeSpan.Zero || !TryFind(context, out var token, out var entry))
        {
            return;
        }

        var configuration = context.Options.ConfigurationManager is { } manager
            ? await manager.GetConfigurationAsync(context.HttpContext.RequestAborted).ConfigureAwait(false)
            : null;
        if (_time.GetUtcNow() >= entry.CachedUntil || !ReferenceEquals(configuration, entry.Configuration))
        {
            Remove(token, entry);
            return;
        }

        // The audience was checked against a resource URL derived from a request (not configured): for a request to another one
        // (another host, a path base, a scheme a proxy forwarded), the entry answers what validating the token again would —
        // that it is not for this resource — without the signature check, and stays for requests to its own.
        if (resourceUrls.ConfiguredResource is null && !entry.ForAnyResource)
        {
            resourceUrls.NoteTokenJudged(context.HttpContext);
            var resource = resourceUrls.GetResource(context.Request);
            if (!entry.Audiences.Any(audience => ResourceUrls.Matches(audience, resource)))
            {
                context.Fail(AuthenticationFailures.InvalidAudience(entry.Audiences, resource, JwtBearerSetup.ConfiguredAudiences(context.Options.TokenValidationParameters)));
                return;
            }
        }

        context.Principal = new ClaimsPrincipal(entry.Identity.Clone());
        context.Properties.IssuedUtc = entry.IssuedUtc;
        context.Properties.ExpiresUtc = entry.ExpiresUtc;
        context.Success();
    }

    /// <summary>Remembers a token the handler has just validated.</summary>
    public async Task AddAsync(TokenValidatedContext context)
    {
        if (Duration <= TimeSpan.Zero || context.SecurityToken is not JsonWebToken token || context.Principal?.Identity is not ClaimsIdentity identity)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var expires = new DateTimeOffset(DateTime.SpecifyKind(token.ValidTo, DateTimeKind.Utc));
        var until = expires < now + Duration ? expires : now + Duration;
        if (until <= now)
        {
            return;
        }

        if (Volatile.Read(ref _count) >= Capacity)
        {
            Sweep(now);
            if (Volatile.Read(ref _count) >= Capacity)
            {
                return;
            }
        }

        var configuration = context.Options.ConfigurationManager is { } manager
            ? await manager.GetConfigurationAsync(context.HttpContext.RequestAborted).ConfigureAwait(false)
            : null;
        string[] audiences = [.. token.Audiences];
        var configured = JwtBearerSetup.ConfiguredAudiences(context.Options.TokenValidationParameters);
        var entry = new Entry(identity.Clone(), until, expires, token.IssuedAt == DateTime.MinValue ? null : new DateTimeOffset(DateTime.SpecifyKind(token.IssuedAt, DateTimeKind.Utc)), configuration)
        {
            Audiences = audiences,
            ForAnyResource = audiences.Any(audience => configured.Any(accepted => ResourceUrls.Matches(audience, accepted))),
        };
        if (_entries.TryAdd(token.EncodedToken, entry))
        {
            Interlocked.Increment(ref _count);
            LowerEarliestExpiry(until.UtcTicks);
        }
    }

    public void Clear()
    {
        foreach (var (token, entry) in _entries)
        {
            Remove(token, entry);
        }
    }

    /// <summary>
    /// Removes expired entries from a full cache: only once an entry can have expired, and by one caller at a time, so that a full
    /// cache of live tokens does not make every new token walk all of them.
    /// </summary>
    private void Sweep(DateTimeOffset now)
    {
        if (now.UtcTicks < Volatile.Read(ref _earliestExpiry) || Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            Volatile.Write(ref _earliestExpiry, long.MaxValue);
            Interlocked.Increment(ref _sweeps);
            foreach (var (token, entry) in _entries)
            {
                if (now >= entry.CachedUntil)
                {
                    Remove(token, entry);
                }
                else
                {
                    LowerEarliestExpiry(entry.CachedUntil.UtcTicks);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private void LowerEarliestExpiry(long ticks)
    {
        var current = Volatile.Read(ref _earliestExpiry);
        while (ticks < current)
        {
            var seen = Interlocked.CompareExchange(ref _earliestExpiry, ticks, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void Remove(string token, Entry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<string, Entry>(token, entry)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Finds the request's bearer token without allocating it.</summary>
    private bool TryFind(MessageReceivedContext context, out string token, out Entry entry)
    {
        var lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
        if (context.Token is { Length: > 0 } explicitToken)
        {
            return lookup.TryGetValue(explicitToken, out token!, out entry!);
        }

        var header = context.Request.Headers.Authorization;
        if (header.Count == 1 && header[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return lookup.TryGetValue(value.AsSpan(7).Trim(), out token!, out entry!);
        }

        token = null!;
        entry = null!;
        return false;
    }

    private sealed record Entry(ClaimsIdentity Identity, DateTimeOffset CachedUntil, DateTimeOffset ExpiresUtc, DateTimeOffset? IssuedUtc, object? Configuration)
    {
        /// <summary>The token's audiences (<c>aud</c>).</summary>
        public string[] Audiences { get; init; } = [];

        /// <summary>Whether an audience is one configured (<c>ValidAudiences</c>), which holds for every request, whatever its resource URL.</summary>
        public bool ForAnyResource { get; init; }
    }
}
