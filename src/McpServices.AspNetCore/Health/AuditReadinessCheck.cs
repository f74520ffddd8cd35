using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpServices.AspNetCore;

/// <summary>
/// Not ready while a fail-closed audit trail cannot accept calls (a sink is failing, or the buffer is full): the service would
/// refuse them anyway, so load balancers should send them elsewhere.
/// </summary>
internal sealed class AuditReadinessCheck(AuditTrail audit) : IHealthCheck
{
    public const string Name = "audit";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(audit.IsAccepting
            ? HealthCheckResult.Healthy($"{audit.Pending} record(s) pending.")
            : HealthCheckResult.Unhealthy(
                audit.WriterFailed ? AuditWriterLivenessCheck.WriterStopped
                : audit.SinksHealthy ? "The audit buffer is full."
                : "An audit sink is failing."));
}
