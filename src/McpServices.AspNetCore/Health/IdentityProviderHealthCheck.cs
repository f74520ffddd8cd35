using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpServices.AspNetCore;

/// <summary>
/// <c>Degraded</c> (still ready: API keys and anonymous tools work, and every replica would fail the same way) while the identity
/// provider's metadata has never been read, with the reason; <c>Healthy</c> otherwise.
/// </summary>
internal sealed class IdentityProviderHealthCheck(IdentityProviderStatus status) : IHealthCheck
{
    public const string Name = "identity-provider";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(status.Failure is { } failure
            ? HealthCheckResult.Degraded($"The identity provider's metadata cannot be read: {failure}")
            : HealthCheckResult.Healthy());
}
