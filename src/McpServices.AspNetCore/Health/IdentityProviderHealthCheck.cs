using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpServices.AspNetCore;

/// <summary>
/// <c>Unhealthy</c> while the service starts and reads its identity provider's metadata (for at most five seconds: until then a
/// replica could not check a bearer token yet); then <c>Degraded</c> (still ready: API keys and anonymous tools work, and every
/// replica would fail the same way) while the metadata has never been read, with the reason; <c>Healthy</c> otherwise.
/// </summary>
internal sealed class IdentityProviderHealthCheck(IdentityProviderStatus status) : IHealthCheck
{
    public const string Name = "identity-provider";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(status.Readiness() switch
        {
            { Starting: true } => HealthCheckResult.Unhealthy("Reading the identity provider's metadata (the service is starting)."),
            { Failure: { } failure } => HealthCheckResult.Degraded($"The identity provider's metadata cannot be read: {failure}"),
            _ => HealthCheckResult.Healthy(),
        });
}
