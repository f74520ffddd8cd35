using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpServices.AspNetCore;

/// <summary>Ready when the tool catalog is built and shutdown has not begun.</summary>
internal sealed class McpServiceReadinessCheck(ShutdownCoordinator shutdown, ToolCatalog catalog) : IHealthCheck
{
    public const string Name = "mcp-service";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (shutdown.IsDraining)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The service is shutting down."));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"{catalog.Tools.Count} tool(s) registered."));
    }
}
