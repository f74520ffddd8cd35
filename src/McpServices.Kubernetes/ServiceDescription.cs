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

    /// <summary>Reads a description; <paramref name="source"/> names where it came from in the error a broken one gets.</summary>
    public static ServiceDescription Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw Broken(source, $"is not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Broken(source, "is not a JSON object.");
            }

            var schema = root.TryGetProperty("schemaVersion", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (schema != Schema)
            {
                throw new FormatException($"Not an McpServices service description: schemaVersion is '{schema}', expected '{Schema}'.");
            }

            ServiceDescription description;
            try
            {
                description = Read(root);
            }
            catch (InvalidDescriptionException ex)
            {
                throw Broken(source, ex.Message);
            }

            if (GeneratorOptionsValidation.Validate(description) is { Count: > 0 } problems)
            {
                throw new FormatException($"The service description cannot make valid Kubernetes objects:\n  - {string.Join("\n  - ", problems)}");
            }

            return description;
        }
    }

    private static ServiceDescription Read(JsonElement root)
    {
        var endpoints = Object(root, "", "endpoints");
        var transport = Object(root, "", "transport");
        var authentication = Object(root, "", "authentication");
        var audit = Optional(root, "", "audit", JsonValueKind.Object);
        var telemetry = Optional(root, "", "telemetry", JsonValueKind.Object);
        var tools = Expect(root, "", "tools", v => v.ValueKind == JsonValueKind.Array, "an array");

        return new ServiceDescription
        {
            Name = String(root, "", "name"),
            Version = String(root, "", "version"),
            Description = Optional(root, "", "description", JsonValueKind.String)?.GetString(),
            McpPath = String(endpoints, "endpoints", "mcp"),
            LivePath = String(endpoints, "endpoints", "live"),
            ReadyPath = String(endpoints, "endpoints", "ready"),
            DrainTimeoutSeconds = Int32(transport, "transport", "drainTimeoutSeconds"),
            SessionMode = String(transport, "transport", "sessionMode"),
            ProtocolVersions = Strings(transport, "transport", "protocolVersions"),
            AuthenticationEnabled = Boolean(authentication, "authentication", "enabled"),
            AuthenticationMethods = authentication.TryGetProperty("methods", out _) ? Strings(authentication, "authentication", "methods") : [],
            ResourceMetadataPath = Optional(authentication, "authentication", "resourceMetadata", JsonValueKind.String)?.GetString(),
            Resource = Optional(authentication, "authentication", "resource", JsonValueKind.String)?.GetString(),
            AuthorizationServers = authentication.TryGetProperty("authorizationServers", out _) ? Strings(authentication, "authentication", "authorizationServers") : null,
            AuditEnabled = audit is not { } a1 || Boolean(a1, "audit", "enabled"),
            AuditSinks = audit is { } a2 ? Strings(a2, "audit", "sinks") : ["stdout"],
            AuditFailurePolicy = audit is { } a3 ? String(a3, "audit", "failurePolicy") : "fail-closed",
            AuditArguments = audit is { } a4 ? String(a4, "audit", "arguments") : "redacted",
            TelemetryEnabled = telemetry is not { } t1 || Boolean(t1, "telemetry", "enabled"),
            PrometheusPath = telemetry is { } t2 ? Optional(t2, "telemetry", "prometheus", JsonValueKind.String)?.GetString() : null,
            Tools = [.. tools.EnumerateArray().Select((tool, i) => Tool(tool, $"tools[{i}]")).OrderBy(x => x.Name, StringComparer.Ordinal)],
        };
    }

    private static ToolInfo Tool(JsonElement tool, string path) => tool.ValueKind != JsonValueKind.Object
        ? throw Wrong(path, tool, "an object")
        : new ToolInfo(String(tool, path, "name"), Strings(tool, path, "requiredScopes"), Boolean(tool, path, "allowAnonymous"), Boolean(tool, path, "disabled"));

    private static FormatException Broken(string source, string problem) =>
        new($"{source} is not a service description from 'dotnet <service>.dll --describe': it {problem}");

    private static string Join(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";

    private static JsonElement Get(JsonElement parent, string parentPath, string name) =>
        parent.TryGetProperty(name, out var value) ? value : throw new InvalidDescriptionException($"has no '{Join(parentPath, name)}'.");

    /// <summary>A member that may be missing or null; present, it must be of <paramref name="kind"/>.</summary>
    private static JsonElement? Optional(JsonElement parent, string parentPath, string name, JsonValueKind kind) =>
        !parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == kind ? value
        : throw Wrong(Join(parentPath, name), value, kind == JsonValueKind.Object ? "an object" : "a string");

    /// <summary>A member that must be there and be what <paramref name="accepts"/> says (<paramref name="expected"/> in words).</summary>
    private static JsonElement Expect(JsonElement parent, string parentPath, string name, Func<JsonElement, bool> accepts, string expected)
    {
        var value = Get(parent, parentPath, name);
        return accepts(value) ? value : throw Wrong(Join(parentPath, name), value, expected);
    }

    private static JsonElement Object(JsonElement parent, string parentPath, string name) =>
        Expect(parent, parentPath, name, v => v.ValueKind == JsonValueKind.Object, "an object");

    private static string String(JsonElement parent, string parentPath, string name) =>
        Expect(parent, parentPath, name, v => v.ValueKind == JsonValueKind.String, "a string").GetString()!;

    private static int Int32(JsonElement parent, string parentPath, string name) =>
        Expect(parent, parentPath, name, v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out _), "a whole number").GetInt32();

    private static bool Boolean(JsonElement parent, string parentPath, string name) =>
        Expect(parent, parentPath, name, v => v.ValueKind is JsonValueKind.True or JsonValueKind.False, "true or false").GetBoolean();

    private static string[] Strings(JsonElement parent, string parentPath, string name)
    {
        var path = Join(parentPath, name);
        var array = Expect(parent, parentPath, name, v => v.ValueKind == JsonValueKind.Array, "an array of strings");
        return [.. array.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Wrong($"{path}[{i}]", e, "a string"))];
    }

    private static InvalidDescriptionException Wrong(string path, JsonElement value, string expected)
    {
        var actual = value.ValueKind switch
        {
            JsonValueKind.Null => "null",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "true or false",
            JsonValueKind.Array => "an array",
            _ => "an object",
        };
        return new InvalidDescriptionException($"has '{path}' as {actual}; it is {expected}.");
    }

    private sealed class InvalidDescriptionException(string message) : Exception(message);
}

internal sealed record ToolInfo(string Name, IReadOnlyList<string> RequiredScopes, bool AllowAnonymous, bool Disabled);
