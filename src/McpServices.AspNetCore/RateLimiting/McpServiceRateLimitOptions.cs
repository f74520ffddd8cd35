namespace McpServices.AspNetCore;

/// <summary>
/// Rate limits per caller and tool (<c>McpService:RateLimits</c>): a token bucket for each (caller, tool) pair. The caller is the
/// token's subject or client id, the API key id, or the remote address for anonymous calls.
/// </summary>
public sealed class McpServiceRateLimitOptions
{
    /// <summary>Gets or sets the limit for tools without their own entry in <see cref="Tools"/>.</summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    public McpRateLimit? Default { get; set; }

    /// <summary>Gets the limits by tool name (in any case, as configuration keys are).</summary>
    public IDictionary<string, McpRateLimit> Tools { get; } = new Dictionary<string, McpRateLimit>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>A token bucket: <see cref="PermitsPerPeriod"/> calls per <see cref="Period"/>, with bursts up to <see cref="Burst"/>.</summary>
public sealed class McpRateLimit
{
    /// <summary>Gets or sets how many calls are replenished every <see cref="Period"/>; 0 means no limit (in
    /// <see cref="McpServiceRateLimitOptions.Tools"/>, it exempts the tool from <see cref="McpServiceRateLimitOptions.Default"/>).</summary>
    public int PermitsPerPeriod { get; set; }

    /// <summary>Gets or sets the replenishment period: longer than zero, at most one day.</summary>
    /// <value>The default value is one minute.</value>
    public TimeSpan Period { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets the bucket size: how many calls may be made at once.</summary>
    /// <value>The default value is 0, meaning <see cref="PermitsPerPeriod"/>.</value>
    public int Burst { get; set; }
}
