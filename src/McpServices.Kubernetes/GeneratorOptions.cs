using System.Text.Json;
using System.Text.Json.Serialization;

namespace McpServices.Kubernetes;

/// <summary>How to deploy the service. From a settings file (<c>--settings</c>, JSON with these names) and command-line options, which win.</summary>
internal sealed class GeneratorOptions
{
    /// <summary>The folder that receives <c>base/</c> and <c>overlays/</c>.</summary>
    public string Output { get; set; } = "deploy";

    /// <summary>The image repository, for example <c>registry.example.com/team/inventory</c>; default: the service name.</summary>
    public string? Image { get; set; }

    /// <summary>The image tag; default: the service version.</summary>
    public string? Tag { get; set; }

    /// <summary>The image digest (<c>sha256:…</c>); when set, the manifests name the image by digest.</summary>
    public string? Digest { get; set; }

    /// <summary>The value of <c>app.kubernetes.io/part-of</c>; default: the service name.</summary>
    public string? PartOf { get; set; }

    /// <summary>The dev overlay: 1 replica, autoscaled to 2 at most. Settings given for it change only what they name.</summary>
    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public OverlayOptions Dev { get; set; } = new() { Replicas = 1, DefaultMaxReplicas = 2 };

    /// <summary>The prod overlay: 3 replicas (at least 2), autoscaled to 10 at most.</summary>
    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public OverlayOptions Prod { get; set; } = new() { Replicas = 3, DefaultMaxReplicas = 10, MinReplicas = 2 };

    public ResourceOptions Resources { get; set; } = new();

    /// <summary>Namespaces whose pods may call the service (NetworkPolicy ingress), selected by these labels.</summary>
    public Dictionary<string, string> AgentNamespaceLabels { get; set; } = new(StringComparer.Ordinal) { ["mcpservices.io/agent-access"] = "true" };

    /// <summary>Gateway namespaces (by name) that may call the service, for example the one an HTTPRoute's gateway runs in.</summary>
    public List<string> GatewayNamespaces { get; set; } = [];

    /// <summary>Destinations the service may call besides DNS: identity provider, collector, downstream APIs.</summary>
    public List<EgressRule> Egress { get; set; } = [];

    /// <summary>The OpenID Connect authority (<c>Authentication:Schemes:Bearer:Authority</c>).</summary>
    public string? Authority { get; set; }

    /// <summary>The public URL of the MCP endpoint (the token audience), when clients reach it through a gateway.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>The OTLP endpoint (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>).</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>
    /// The OTLP protocol (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>): <c>grpc</c> or <c>http/protobuf</c>. Default: <c>grpc</c> for an
    /// endpoint on port 4317, <c>http/protobuf</c> otherwise — .NET's exporter would otherwise speak gRPC to any port, and an
    /// OTLP/HTTP port (4318) silently drops it.
    /// </summary>
    public string? OtlpProtocol { get; set; }

    /// <summary>The protocol written to the ConfigMap with <see cref="OtlpEndpoint"/>.</summary>
    internal string? EffectiveOtlpProtocol =>
        OtlpEndpoint is null ? null
        : OtlpProtocol ?? (Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) && uri.Port == 4317 ? "grpc" : "http/protobuf");

    public HttpRouteOptions? HttpRoute { get; set; }

    /// <summary>Adds a Prometheus Operator ServiceMonitor (and turns the service's <c>/metrics</c> endpoint on).</summary>
    public bool ServiceMonitor { get; set; }

    /// <summary>The namespace Prometheus scrapes from: with <see cref="ServiceMonitor"/>, the NetworkPolicy admits it on the service's port.</summary>
    public string MonitoringNamespace { get; set; } = "monitoring";

    public KagentOptions? Kagent { get; set; }

    /// <summary>
    /// The cluster's DNS domain (the kubelet's <c>--cluster-domain</c>), for the in-cluster URL
    /// <c>http://&lt;name&gt;.&lt;namespace&gt;.svc.&lt;domain&gt;/mcp</c> that kagent calls and tokens name as their audience.
    /// </summary>
    public string ClusterDomain { get; set; } = "cluster.local";

    /// <summary>Null entries inside the lists and maps (nullable annotations cover only the properties themselves).</summary>
    private static List<string> NullEntries(GeneratorOptions o)
    {
        var nulls = new List<string>();
        nulls.AddRange(o.AgentNamespaceLabels.Where(l => l.Value is null).Select(l => $"agentNamespaceLabels.{l.Key}"));
        nulls.AddRange(o.GatewayNamespaces.Select((n, i) => (n, i)).Where(x => x.n is null).Select(x => $"gatewayNamespaces[{x.i}]"));
        for (var i = 0; i < o.Egress.Count; i++)
        {
            if (o.Egress[i] is not { } rule)
            {
                nulls.Add($"egress[{i}]");
                continue;
            }

            nulls.AddRange((rule.PodLabels ?? []).Where(l => l.Value is null).Select(l => $"egress[{i}].podLabels.{l.Key}"));
        }

        return nulls;
    }

    public static GeneratorOptions Load(string? settingsFile)
    {
        if (settingsFile is null)
        {
            return new GeneratorOptions();
        }

        var json = Cli.ReadInput(settingsFile, "--settings");
        try
        {
            var options = JsonSerializer.Deserialize(json, SettingsJson.Default.GeneratorOptions)
                ?? throw new FormatException($"{settingsFile} holds no settings.");
            return NullEntries(options) is { Count: > 0 } nulls
                ? throw new FormatException($"{settingsFile}: {string.Join(", ", nulls)} cannot be null; give a value or leave the setting out.")
                : options;
        }
        catch (JsonException ex) when ((ex.Message.Contains("allow null values", StringComparison.Ordinal) || ex.Message.Contains("allow setting null values", StringComparison.Ordinal)) && ex.Path is { } nullPath)
        {
            // Settings that are lists, objects or texts with a default: null would leave the generator without them.
            throw new FormatException($"{settingsFile}: {nullPath.TrimStart('$', '.')} cannot be null; give a value or leave the setting out.", ex);
        }
        catch (JsonException ex) when (ex.Message.StartsWith("The JSON property", StringComparison.Ordinal) && ex.Path is { } path)
        {
            // A misspelled setting would otherwise be ignored: an otlpEndpiont would leave the ConfigMap without an endpoint.
            throw new FormatException($"{settingsFile}: {path} is not a setting (the settings are listed in docs/kubernetes.md; names match in any case).", ex);
        }
    }
}

internal sealed class OverlayOptions
{
    /// <summary>The namespace; default: the service name, with <c>-dev</c> for the dev overlay.</summary>
    public string? Namespace { get; set; }

    /// <summary>The replicas the overlay runs at least: its autoscaler's minimum (the Deployment leaves the count to the autoscaler).</summary>
    public int Replicas { get; set; }

    /// <summary>The autoscaler's maximum; default: the overlay's default maximum, or <see cref="Replicas"/> when that is more.</summary>
    public int? MaxReplicas { get; set; }

    /// <summary>The fewest replicas the overlay may run (prod: 2, so that a rollout, a drain or a crash never leaves none).</summary>
    [JsonIgnore]
    internal int MinReplicas { get; init; } = 1;

    [JsonIgnore]
    internal int DefaultMaxReplicas { get; init; }

    internal int EffectiveMaxReplicas => MaxReplicas ?? Math.Max(DefaultMaxReplicas, Replicas);
}

internal sealed class ResourceOptions
{
    public string CpuRequest { get; set; } = "100m";

    public string MemoryRequest { get; set; } = "128Mi";

    public string CpuLimit { get; set; } = "1";

    public string MemoryLimit { get; set; } = "384Mi";
}

internal sealed class EgressRule
{
    /// <summary>An IP block, for example <c>10.20.0.0/16</c> or <c>0.0.0.0/0</c>.</summary>
    public string? Cidr { get; set; }

    /// <summary>A namespace (by name) whose pods may be called.</summary>
    public string? Namespace { get; set; }

    /// <summary>Pods (by labels) in that namespace, or in the service's namespace when no namespace is given.</summary>
    public Dictionary<string, string>? PodLabels { get; set; }

    public List<int> Ports { get; set; } = [];
}

internal sealed class HttpRouteOptions
{
    public required string GatewayName { get; set; }

    public required string GatewayNamespace { get; set; }

    public string? Hostname { get; set; }
}

internal sealed class KagentOptions
{
    /// <summary>The Secret (key <c>authorization</c>, value <c>Bearer …</c>) kagent sends as the Authorization header.</summary>
    public string? TokenSecret { get; set; }
}

[JsonSourceGenerationOptions(RespectNullableAnnotations = true, PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(GeneratorOptions))]
internal sealed partial class SettingsJson : JsonSerializerContext;
