using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpServices.AspNetCore;

/// <summary>
/// Not alive once the audit writer has stopped on an unexpected error: it does not come back without a restart, and until then
/// the instance either refuses every call (FailClosed) or runs calls without writing their records (FailOpen).
/// </summary>
internal sealed class AuditWriterLivenessCheck(AuditTrail audit) : IHealthCheck
{
    public const string Name = "audit-writer";

    /// <summary>The tag of the checks that <c>/livez</c> runs.</summary>
    public const string LiveTag = "live";

    /// <summary>The health report's description of a stopped writer (liveness and readiness).</summary>
    public const string WriterStopped = "The audit writer stopped on an unexpected error; restart the instance.";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(audit.WriterFailed
            ? HealthCheckResult.Unhealthy(WriterStopped)
            : HealthCheckResult.Healthy());
}
