using System.Text.Json;

namespace McpServices.Kubernetes;

/// <summary>What the generator needs from a service's self-description (<c>--describe</c>, schema <c>mcpservices.io/service-description/v1</c>).</summary>
internal sealed class ServiceDescription
{
    public const string Schema = "mcpservices.io/service-description/v1";

    public required string Name { get; init; }

    public required string Version { get; init; }

    public string? Description { get; init; }

    public required string McpPath { get; init; }

    public required string LivePath { get; init; }

    public required string ReadyPath { get; init; }

    public required int DrainTimeoutSeconds { get; init; }

    public required string SessionMode { get; init; }

    public required IReadOnlyList<string> ProtocolVersions { get; init; }

    public required bool AuthenticationEnabled { get; init; }

    public required IReadOnlyList<string> AuthenticationMethods { get; init; }

    public string? ResourceMetadataPath { get; init; }

    /// <summary>The resource URL the service's own configuration sets (<c>McpService:Authentication:Resource</c>), if any.</summary>
    public string? Resource { get; init; }

    /// <summary>The identity providers the service's own configuration names (<c>authentication.authorizationServers</c>);
    /// <see langword="null"/> in a description from before the field.</summary>
    public IReadOnlyList<string>? AuthorizationServers { get; init; }

    public required bool AuditEnabled { get; init; }

    public required IReadOnlyList<string> AuditSinks { get; init; }

    public required string AuditFailurePolicy { get; init; }

    public required string AuditArguments { get; init; }

    public required bool TelemetryEnabled { get; init; }

    public string? PrometheusPath { get; init; }

    public required IReadOnlyList<ToolInfo> Tools { get; init; }

    public static ServiceDescription Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var schema = root.TryGetProperty("schemaVersion", out var s) ? s.GetString() : null;
        if (schema != Schema)
        {
            throw new FormatException($"Not an McpServices service description: schemaVersion is '{schema}', expected '{Schema}'.");
        }

        var endpoints = root.GetProperty("endpoints");
        var transport = root.GetProperty("transport");
        var authentication = root.GetProperty("authentication");
        var audit = root.TryGetProperty("audit", out var a) ? a : default;
        var telemetry = root.TryGetProperty("telemetry", out var t) ? t : default;
        var description = new ServiceDescription
        {
            Name = root.GetProperty("name").GetString()!,
            Version = root.GetProperty("version").GetString()!,
            Description = root.TryGetProperty("description", out var d) ? d.GetString() : null,
            McpPath = endpoints.GetProperty("mcp").GetString()!,
            LivePath = endpoints.GetProperty("live").GetString()!,
            ReadyPath = endpoints.GetProperty("ready").GetString()!,
            DrainTimeoutSeconds = transport.GetProperty("drainTimeoutSeconds").GetInt32(),
            SessionMode = transport.GetProperty("sessionMode").GetString()!,
            ProtocolVersions = Strings(transport, "protocolVersions"),
            AuthenticationEnabled = authentication.GetProperty("enabled").GetBoolean(),
            AuthenticationMethods = authentication.TryGetProperty("methods", out _) ? Strings(authentication, "methods") : [],
            ResourceMetadataPath = authentication.TryGetProperty("resourceMetadata", out var rm) ? rm.GetString() : null,
            Resource = authentication.TryGetProperty("resource", out var resource) && resource.ValueKind == JsonValueKind.String ? resource.GetString() : null,
            AuthorizationServers = authentication.TryGetProperty("authorizationServers", out _) ? Strings(authentication, "authorizationServers") : null,
            AuditEnabled = audit.ValueKind != JsonValueKind.Object || audit.GetProperty("enabled").GetBoolean(),
            AuditSinks = audit.ValueKind == JsonValueKind.Object ? Strings(audit, "sinks") : ["stdout"],
            AuditFailurePolicy = audit.ValueKind == JsonValueKind.Object ? audit.GetProperty("failurePolicy").GetString()! : "fail-closed",
            AuditArguments = audit.ValueKind == JsonValueKind.Object ? audit.GetProperty("arguments").GetString()! : "redacted",
            TelemetryEnabled = telemetry.ValueKind != JsonValueKind.Object || telemetry.GetProperty("enabled").GetBoolean(),
            PrometheusPath = telemetry.ValueKind == JsonValueKind.Object && telemetry.TryGetProperty("prometheus", out var p) ? p.GetString() : null,
            Tools = [.. root.GetProperty("tools").EnumerateArray().Select(tool => new ToolInfo(
                tool.GetProperty("name").GetString()!,
                Strings(tool, "requiredScopes"),
                tool.GetProperty("allowAnonymous").GetBoolean(),
                tool.GetProperty("disabled").GetBoolean())).OrderBy(x => x.Name, StringComparer.Ordinal)],
        };
        if (GeneratorOptionsValidation.Validate(description) is { Count: > 0 } problems)
        {
            throw new FormatException($"The service description cannot make valid Kubernetes objects:\n  - {string.Join("\n  - ", problems)}");
        }

        return description;
    }

    private static string[] Strings(JsonElement element, string name) =>
        [.. element.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];
}

internal sealed record ToolInfo(string Name, IReadOnlyList<string> RequiredScopes, bool AllowAnonymous, bool Disabled);
