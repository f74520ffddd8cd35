using System.Threading.RateLimiting;

namespace McpServices.AspNetCore;

/// <summary>
/// Token buckets per (tool, caller). Limits come from <c>McpService:RateLimits</c> (per tool, else the default) and are
/// rebuilt when configuration reloads. Idle buckets (full for 10 seconds) are dropped by the partitioned limiter; a tool without
/// a limit never reaches it, because the runtime keeps a no-limit partition forever — one per caller would grow without bound
/// with the number of distinct callers (subjects, API keys, or for anonymous calls remote addresses).
/// </summary>
internal sealed class ToolRateLimiter : IDisposable
{
    private readonly McpServiceSettings _settings;
    private volatile Buckets? _buckets;

    public ToolRateLimiter(McpServiceSettings settings)
    {
        _settings = settings;
        _buckets = Buckets.For(settings.Current.RateLimits, Buckets.FingerprintOf(settings.Current.RateLimits));
        _settings.Changed += Rebuild;
    }

    /// <summary>The current partitioned limiter, for tests (<see langword="null"/> when no tool is limited).</summary>
    internal PartitionedRateLimiter<(string Tool, string Caller)>? Limiter => _buckets?.Limiter;

    public McpRateLimit? GetLimit(string tool)
    {
        var options = _settings.Current.RateLimits;
        return options.Tools.TryGetValue(tool, out var limit) ? limit : options.Default;
    }

    /// <summary>Takes one permit; returns <see langword="null"/> when allowed, else how long to wait before retrying.</summary>
    public TimeSpan? TryAcquire(string tool, CallerIdentity caller)
    {
        while (true)
        {
            var buckets = _buckets;
            if (buckets?.LimitOf(tool) is null)
            {
                return null;
            }

            try
            {
                using var lease = buckets.Limiter.AttemptAcquire((tool, caller.PartitionKey));
                if (lease.IsAcquired)
                {
                    return null;
                }

                return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
            }
            catch (ObjectDisposedException) when (!ReferenceEquals(buckets, _buckets))
            {
                // Configuration reloaded between reading the limiter and using it, and the old one is gone: ask the new one.
            }
        }
    }

    public void Dispose()
    {
        _settings.Changed -= Rebuild;
        _buckets?.Limiter.Dispose();
    }

    private void Rebuild()
    {
        // Any reload raises Changed; the buckets (and what callers have used of them) are kept unless the limits changed.
        var options = _settings.Current.RateLimits;
        var fingerprint = Buckets.FingerprintOf(options);
        var previous = _buckets;
        if (fingerprint == (previous?.Fingerprint ?? Buckets.NoLimits))
        {
            return;
        }

        _buckets = Buckets.For(options, fingerprint);
        previous?.Limiter.Dispose();
    }

    /// <summary>One configuration's limits and the limiter built from them.</summary>
    private sealed class Buckets
    {
        private readonly Dictionary<string, McpRateLimit> _tools;
        private readonly McpRateLimit? _fallback;

        public const string NoLimits = "";

        private Buckets(McpServiceRateLimitOptions options, string fingerprint)
        {
            Fingerprint = fingerprint;
            _tools = new Dictionary<string, McpRateLimit>(options.Tools, StringComparer.Ordinal);
            _fallback = options.Default;
            Limiter = PartitionedRateLimiter.Create<(string Tool, string Caller), (string Tool, string Caller)>(key =>
                LimitOf(key.Tool) is { } limit
                    ? RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limit.Burst > 0 ? limit.Burst : limit.PermitsPerPeriod,
                        TokensPerPeriod = limit.PermitsPerPeriod,
                        ReplenishmentPeriod = limit.Period,
                        QueueLimit = 0,
                        AutoReplenishment = false,
                    })
                    : RateLimitPartition.GetNoLimiter((key.Tool, string.Empty)));
        }

        public PartitionedRateLimiter<(string Tool, string Caller)> Limiter { get; }

        /// <summary>The limits these buckets were built from, as text: equal fingerprints, equal limits.</summary>
        public string Fingerprint { get; }

        public static string FingerprintOf(McpServiceRateLimitOptions options)
        {
            if (options.Default is not { PermitsPerPeriod: > 0 } && !options.Tools.Values.Any(l => l.PermitsPerPeriod > 0))
            {
                return NoLimits;
            }

            static string Of(McpRateLimit? limit) => limit is null ? "-" : FormattableString.Invariant($"{limit.PermitsPerPeriod}/{limit.Period.Ticks}/{limit.Burst}");
            return string.Join(';', options.Tools.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Key + "=" + Of(t.Value)).Prepend("*=" + Of(options.Default)));
        }

        /// <summary>Buckets for <paramref name="options"/>, or <see langword="null"/> when no tool is limited.</summary>
        public static Buckets? For(McpServiceRateLimitOptions options, string fingerprint) => fingerprint == NoLimits ? null : new Buckets(options, fingerprint);

        /// <summary>The tool's limit, or <see langword="null"/> when it has none (no entry and no default, or zero permits).</summary>
        public McpRateLimit? LimitOf(string tool) =>
            (_tools.TryGetValue(tool, out var specific) ? specific : _fallback) is { PermitsPerPeriod: > 0 } limit ? limit : null;
    }
}
