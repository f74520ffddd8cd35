namespace McpServices.AspNetCore;

/// <summary>
/// OpenTelemetry settings (<c>McpService:Telemetry</c>). Exporters follow the standard <c>OTEL_*</c> environment variables:
/// traces, metrics and logs go to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> when it (or a signal-specific endpoint) is set.
/// </summary>
public sealed class McpServiceTelemetryOptions
{
    /// <summary>Gets or sets a value indicating whether McpServices configures OpenTelemetry tracing, metrics and logging.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether a Prometheus scrape endpoint is served (anonymous, see <see cref="PrometheusPath"/>).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Prometheus { get; set; }

    /// <summary>Gets or sets the path of the Prometheus scrape endpoint.</summary>
    /// <value>The default value is <c>/metrics</c>.</value>
    public string PrometheusPath { get; set; } = "/metrics";
}
