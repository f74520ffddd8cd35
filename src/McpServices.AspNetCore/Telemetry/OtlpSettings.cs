using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore;

/// <summary>
/// Checks the standard <c>OTEL_EXPORTER_OTLP_*</c> endpoint and protocol settings at startup. OpenTelemetry accepts a value it
/// cannot use without a word — an endpoint that is not a URL falls back to localhost, an unknown protocol to gRPC — so the
/// telemetry (and an OTLP audit sink) would silently go nowhere. An unusable value stops startup naming the variable; an
/// endpoint on the other protocol's well-known port (gRPC to 4318, HTTP to 4317) is logged as a warning, since ports can be
/// remapped.
/// </summary>
internal static partial class OtlpSettings
{
    private static readonly string[] Signals = ["", "TRACES_", "METRICS_", "LOGS_"];

    public static void Check(IConfiguration? configuration, ILogger logger)
    {
        string? Setting(string key) => (configuration?[key] ?? Environment.GetEnvironmentVariable(key)) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        var problems = new List<string>();
        foreach (var signal in Signals)
        {
            var endpointKey = $"OTEL_EXPORTER_OTLP_{signal}ENDPOINT";
            var protocolKey = $"OTEL_EXPORTER_OTLP_{signal}PROTOCOL";
            if (Setting(endpointKey) is { } endpoint && !IsHttpUrl(endpoint))
            {
                problems.Add($"{endpointKey} is '{endpoint}', which is not an absolute http:// or https:// URL (such as http://otel-collector:4317 for grpc, http://otel-collector:4318 for http/protobuf).");
            }

            if (Setting(protocolKey) is { } protocol && protocol is not ("grpc" or "http/protobuf"))
            {
                problems.Add($"{protocolKey} is '{protocol}', which is not one of grpc, http/protobuf (the protocols .NET's OTLP exporter speaks).");
            }
        }

        if (problems.Count > 0)
        {
            throw new McpServiceConfigurationException($"The OpenTelemetry export settings cannot be used: {string.Join(" ", problems)} Fix them, or remove them to export nothing.");
        }

        // Each signal's endpoint and protocol as the exporter resolves them; one warning per endpoint setting that is off.
        var warned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var signal in Signals.Skip(1))
        {
            var own = Setting($"OTEL_EXPORTER_OTLP_{signal}ENDPOINT") is not null;
            var endpointKey = own ? $"OTEL_EXPORTER_OTLP_{signal}ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
            if (Setting(endpointKey) is not { } endpoint)
            {
                continue;
            }

            var protocol = Setting($"OTEL_EXPORTER_OTLP_{signal}PROTOCOL") ?? Setting("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "grpc";
            var port = new Uri(endpoint).Port;
            if (((port == 4318 && protocol == "grpc") || (port == 4317 && protocol == "http/protobuf")) && warned.Add(endpointKey))
            {
                var protocolKey = own ? $"OTEL_EXPORTER_OTLP_{signal}PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
                LogProtocolMismatch(logger, endpointKey, endpoint, protocol, port == 4318 ? "OTLP/HTTP" : "OTLP/gRPC", protocolKey, port == 4318 ? "http/protobuf" : "grpc");
            }
        }
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && !string.IsNullOrEmpty(uri.Host);

    [LoggerMessage(60, LogLevel.Warning, "{Key} is {Endpoint}, the port {Kind} collectors listen on, but the exporter speaks {Protocol}: nothing will arrive unless the collector listens for {Protocol} there. Set {ProtocolKey}={Expected} (.NET's exporter speaks grpc unless told otherwise).")]
    private static partial void LogProtocolMismatch(ILogger logger, string key, string endpoint, string protocol, string kind, string protocolKey, string expected);
}
