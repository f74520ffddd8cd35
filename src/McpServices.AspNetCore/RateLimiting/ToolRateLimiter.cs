using System.Threading.RateLimiting;

namespace McpServices.AspNetCore;

/// <summary>
/// Token buckets per (tool, caller). Limits come from <c>McpService:RateLimits</c> (per tool, else the default) and are
/// rebuilt when configuration reloads. Idle buckets are dropped by the partitioned limiter.
/// </summary>
internal sealed class ToolRateLimiter : IDisposable
{
    private readonly McpServiceSettings _settings;
    private volatile PartitionedRateLimiter<(string Tool, string Caller)>? _limiter;

    public ToolRateLimiter(McpServiceSettings settings)
    {
        _settings = settings;
        _limiter = Build(settings.Current.RateLimits);
        _settings.Changed += Rebuild;
    }

    public McpRateLimit? GetLimit(string tool)
    {
        var options = _settings.Current.RateLimits;
        return options.Tools.TryGetValue(tool, out var limit) ? limit : options.Default;
    }

    /// <summary>Takes one permit; returns <see langword="null"/> when allowed, else how long to wait before retrying.</summary>
    public TimeSpan? TryAcquire(string tool, CallerIdentity caller)
    {
        var limiter = _limiter;
        if (limiter is null)
        {
            return null;
        }

        using var lease = limiter.AttemptAcquire((tool, caller.PartitionKey));
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public void Dispose()
    {
        _settings.Changed -= Rebuild;
        _limiter?.Dispose();
    }

    private void Rebuild()
    {
        var previous = _limiter;
        _limiter = Build(_settings.Current.RateLimits);
        previous?.Dispose();
    }

    private static PartitionedRateLimiter<(string Tool, string Caller)>? Build(McpServiceRateLimitOptions options)
    {
        if (options.Default is not { PermitsPerPeriod: > 0 } && !options.Tools.Values.Any(l => l.PermitsPerPeriod > 0))
        {
            return null;
        }

        var tools = new Dictionary<string, McpRateLimit>(options.Tools, StringComparer.Ordinal);
        var fallback = options.Default;
        return PartitionedRateLimiter.Create<(string Tool, string Caller), (string Tool, string Caller)>(key =>
        {
            var limit = tools.TryGetValue(key.Tool, out var specific) ? specific : fallback;
            if (limit is null || limit.PermitsPerPeriod <= 0)
            {
                return RateLimitPartition.GetNoLimiter(key);
            }

            return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limit.Burst > 0 ? limit.Burst : limit.PermitsPerPeriod,
                TokensPerPeriod = limit.PermitsPerPeriod,
                ReplenishmentPeriod = limit.Period,
                QueueLimit = 0,
                AutoReplenishment = false,
            });
        });
    }
}
