using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using OpenTelemetry.Exporter;
using OpenTelemetry.Instrumentation.AspNetCore;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace McpServices.AspNetCore;

/// <summary>
/// OpenTelemetry for an MCP service: the SDK's <c>Experimental.ModelContextProtocol</c> spans and meter, ASP.NET Core and
/// HttpClient spans and metrics, runtime metrics, the <c>McpServices</c> meter, and logs through the same pipeline — all with one
/// resource (<c>service.name</c>, <c>service.version</c>, <c>service.instance.id</c>, and Kubernetes pod and namespace when known).
/// OTLP export follows the standard <c>OTEL_*</c> variables and is added for a signal only when an endpoint is configured for it.
/// </summary>
internal static class McpServiceTelemetry
{
    public const string McpSdkSource = "Experimental.ModelContextProtocol";

    /// <summary>The MCP SDK's per-request server metric.</summary>
    internal const string SdkOperationDuration = "mcp.server.operation.duration";

    /// <summary>The MCP SDK's per-session server metric.</summary>
    internal const string SdkSessionDuration = "mcp.server.session.duration";

    /// <summary>The service OpenTelemetry's <c>UseOtlpExporter()</c> registers (internal to OpenTelemetry, so known by name).</summary>
    internal const string UseOtlpExporterRegistration = "OpenTelemetry.Exporter.UseOtlpExporterRegistration";

    /// <summary>Registered when the Prometheus exporter is: the scrape endpoint can be mapped.</summary>
    internal sealed class PrometheusExporterMarker;

    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The application's configuration, when known at registration.</param>
    /// <param name="prometheusInCode">Whether <c>AddMcpService(o => …)</c> turns the Prometheus endpoint on.</param>
    public static void Add(IServiceCollection services, IConfiguration? configuration, bool prometheusInCode)
    {
        string? Setting(string key) => configuration?[key] ?? Environment.GetEnvironmentVariable(key);
        if (string.Equals(Setting("McpService:Telemetry:Enabled") ?? Setting("McpService__Telemetry__Enabled"), "false", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        // An application that set up OTLP export itself — OpenTelemetry's cross-cutting UseOtlpExporter() (as .NET Aspire's
        // service defaults do) or per-signal AddOtlpExporter() — keeps it, and McpServices adds none: OpenTelemetry refuses
        // per-signal exporters next to UseOtlpExporter(), two per-signal exporters would send everything twice, and McpServices'
        // sources and meters reach the application's exporters anyway. (UseOtlpExporter() called after AddMcpService() fails at
        // startup; see StartupErrors.)
        var applicationExports = services.Any(d => d.ServiceType.FullName == UseOtlpExporterRegistration || d.ServiceType == typeof(IOptionsFactory<OtlpExporterOptions>));
        bool Has(string key) => !applicationExports && !string.IsNullOrWhiteSpace(Setting(key));
        var otlp = Has("OTEL_EXPORTER_OTLP_ENDPOINT");
        if (otlp || Has("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || Has("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") || Has("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"))
        {
            // A failed export is otherwise reported only to OpenTelemetry's own event source: log event 67.
            services.AddSingleton(sp => new OtlpExportProblems(sp.GetRequiredService<ILoggerFactory>()));
            services.AddHostedService(sp => sp.GetRequiredService<OtlpExportProblems>());
        }

        // Every metric reader aggregates every measurement, so the Prometheus reader is added only when its endpoint is served.
        var prometheus = bool.TryParse(Setting("McpService:Telemetry:Prometheus") ?? Setting("McpService__Telemetry__Prometheus"), out var configured)
            ? configured
            : prometheusInCode;
        if (prometheus)
        {
            services.AddSingleton<PrometheusExporterMarker>();
        }

        // Probes and scrapes are not traced: a span every few seconds per pod that says nothing about calls. The paths are the
        // configured ones (McpService:LivenessPath, :ReadinessPath, :Telemetry:PrometheusPath when the endpoint is served). After
        // the application's own configuration, wherever it is, so that a filter it sets is combined with this one, not replaced.
        services.AddOptions<AspNetCoreTraceInstrumentationOptions>().PostConfigure<IOptions<McpServiceOptions>>((tracing, service) =>
        {
            var o = service.Value;
            // The scrape endpoint as mapped, without a trailing '/' ('/metrics/' serves '/metrics'), but '/' stays '/': an empty
            // path would match every request and leave nothing traced.
            var scrape = o.Telemetry.PrometheusPath.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/";
            PathString[] operational = o.Telemetry.Prometheus ? [o.LivenessPath, o.ReadinessPath, scrape] : [o.LivenessPath, o.ReadinessPath];
            var applicationFilter = tracing.Filter;
            tracing.Filter = context => !IsOperationalEndpoint(context.Request.Path, operational) && (applicationFilter is null || applicationFilter(context));
        });

        var builder = services.AddOpenTelemetry();
        builder.ConfigureResource(resource => resource.AddDetector(sp => new ServiceResourceDetector(sp.GetRequiredService<ServiceIdentity>())));
        builder.WithTracing(tracing =>
        {
            tracing
                .AddSource(McpSdkSource, ToolCallTracing.ActivitySourceName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddProcessor(sp => new SessionIdSpanProcessor(sp.GetRequiredService<IHttpContextAccessor>()));
            if (otlp || Has("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
            {
                tracing.AddOtlpExporter();
            }
        });
        builder.WithMetrics(metrics =>
        {
            metrics
                .AddMeter(McpServiceMetrics.MeterName, McpSdkSource, "System.Runtime")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation();
            ((IDeferredMeterProviderBuilder)metrics).Configure((sp, deferred) =>
            {
                SdkOperationMetricRelay.Start();
                var service = sp.GetRequiredService<IOptions<McpServiceOptions>>();
                var meterFactory = sp.GetRequiredService<IMeterFactory>();
                deferred.AddView(instrument => IsNotExported(instrument, service.Value, meterFactory) ? MetricStreamConfiguration.Drop : null);
            });
            if (prometheus)
            {
                metrics.AddPrometheusExporter();
            }

            if (otlp || Has("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))
            {
                metrics.AddOtlpExporter();
            }
        });
        builder.WithLogging(
            logging =>
            {
                if (otlp || Has("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"))
                {
                    logging.AddOtlpExporter();
                }
            },
            options =>
            {
                options.IncludeFormattedMessage = true;
                options.IncludeScopes = true;
            });
    }

    /// <summary>
    /// Instruments not exported. Those of another host's meter factory: a meter provider aggregates every meter of a name it
    /// adds, so in a process that hosts several services (tests) each would export the others' <c>McpServices</c> and ASP.NET
    /// Core measurements as its own. The SDK's operation histogram, which <see cref="SdkOperationMetricRelay"/> exports without
    /// the SDK's second measurement of each request. And, for a stateless service, the SDK's session histogram: the SDK makes
    /// each request a session of its own, so the metric would time requests a second time under the name of sessions.
    /// </summary>
    private static bool IsNotExported(Instrument instrument, McpServiceOptions service, IMeterFactory meterFactory) =>
        (instrument.Meter.Scope is IMeterFactory scope && !ReferenceEquals(scope, meterFactory))
        || SdkOperationMetricRelay.IsSdkInstrument(instrument)
        || (instrument.Meter.Name == McpSdkSource && instrument.Name == SdkSessionDuration && service.SessionMode == HttpServerSessionMode.Stateless);

    private static bool IsOperationalEndpoint(PathString path, PathString[] operational)
    {
        foreach (var endpoint in operational)
        {
            if (path.StartsWithSegments(endpoint))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The service identity as OpenTelemetry resource attributes.</summary>
    private sealed class ServiceResourceDetector(ServiceIdentity identity) : IResourceDetector
    {
        public Resource Detect()
        {
            var attributes = new List<KeyValuePair<string, object>>
            {
                new("service.name", identity.Name),
                new("service.version", identity.Version),
                new("service.instance.id", identity.InstanceId),
            };
            if (Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod)
            {
                attributes.Add(new("k8s.pod.name", pod));
            }
            else if (Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 } && Environment.GetEnvironmentVariable("HOSTNAME") is { Length: > 0 } host)
            {
                attributes.Add(new("k8s.pod.name", host));
            }

            if (Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } ns)
            {
                attributes.Add(new("k8s.namespace.name", ns));
            }

            return new Resource(attributes);
        }
    }
}
