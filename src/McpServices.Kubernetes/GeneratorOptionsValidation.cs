using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace McpServices.Kubernetes;

/// <summary>
/// Checks the generator's settings against what the Kubernetes API accepts, so that a typo in <c>deploy/kubernetes.json</c> or an
/// option fails at generation time with the setting's name, not later at <c>kubectl apply</c> (or, for a NetworkPolicy, never).
/// </summary>
internal static partial class GeneratorOptionsValidation
{
    public static IReadOnlyList<string> Validate(GeneratorOptions o)
    {
        var problems = new List<string>();
        void Check(bool valid, string problem)
        {
            if (!valid)
            {
                problems.Add(problem);
            }
        }

        Check(o.Image is null || ImageRepository().IsMatch(o.Image), $"image '{o.Image}' is not an image repository (lowercase, such as registry.example.com/agents/inventory, without a tag; a registry host has a '.' or a port, or is localhost).");
        Check(o.Tag is null || ImageTag().IsMatch(o.Tag), $"tag '{o.Tag}' is not an image tag (letters, digits, '_', '.', '-'; at most 128).");
        Check(o.Digest is null || Digest().IsMatch(o.Digest), $"digest '{o.Digest}' is not sha256:<64 hex digits>.");
        Check(o.PartOf is null || IsLabelValue(o.PartOf), $"partOf '{o.PartOf}' is not a label value (at most 63 letters, digits, '-', '_', '.').");
        foreach (var (name, overlay) in new[] { ("dev", o.Dev), ("prod", o.Prod) })
        {
            Check(overlay.Namespace is null || IsDnsLabel(overlay.Namespace), $"{name}.namespace '{overlay.Namespace}' is not a namespace name (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit).");
            Check(overlay.Replicas >= overlay.MinReplicas, overlay.MinReplicas > 1
                ? $"{name}.replicas is {overlay.Replicas}; {name} runs at least {overlay.MinReplicas}, so that a rolling update, a node drain (its PodDisruptionBudget keeps one replica up) or a crashed pod never leaves it without one. Use the dev overlay for a single replica."
                : $"{name}.replicas is {overlay.Replicas}; it must be at least 1.");
            Check(overlay.EffectiveMaxReplicas >= Math.Max(1, overlay.Replicas), $"{name}.maxReplicas is {overlay.EffectiveMaxReplicas}, below {name}.replicas ({overlay.Replicas}): the autoscaler's maximum must be at least its minimum.");
        }

        foreach (var (name, value) in new[] { ("cpuRequest", o.Resources.CpuRequest), ("cpuLimit", o.Resources.CpuLimit), ("memoryRequest", o.Resources.MemoryRequest), ("memoryLimit", o.Resources.MemoryLimit) })
        {
            Check(Quantity(value) is not null, $"resources.{name} '{value}' is not a Kubernetes quantity (such as 250m, 1, 128Mi, 1Gi).");
        }

        if (Quantity(o.Resources.CpuRequest) > Quantity(o.Resources.CpuLimit) || Quantity(o.Resources.MemoryRequest) > Quantity(o.Resources.MemoryLimit))
        {
            problems.Add($"resources: a request is above its limit (cpu {o.Resources.CpuRequest} / {o.Resources.CpuLimit}, memory {o.Resources.MemoryRequest} / {o.Resources.MemoryLimit}); Kubernetes refuses such a pod.");
        }

        foreach (var (key, value) in o.AgentNamespaceLabels)
        {
            Check(IsLabelKey(key) && IsLabelValue(value), $"agentNamespaceLabels '{key}: {value}' is not a label selector term (key: [prefix/]name, value: at most 63 letters, digits, '-', '_', '.').");
        }

        Check(!o.ServiceMonitor || IsDnsLabel(o.MonitoringNamespace), $"monitoringNamespace '{o.MonitoringNamespace}' is not a namespace name.");
        foreach (var gatewayNamespace in o.GatewayNamespaces)
        {
            Check(IsDnsLabel(gatewayNamespace), $"gatewayNamespaces '{gatewayNamespace}' is not a namespace name.");
        }

        for (var i = 0; i < o.Egress.Count; i++)
        {
            var rule = o.Egress[i];
            Check(rule.Cidr is not null || rule.Namespace is not null || rule.PodLabels is not null, $"egress[{i}] names no destination: give cidr, namespace or podLabels.");
            Check(rule.Cidr is null || IPNetwork.TryParse(rule.Cidr, out _), $"egress[{i}].cidr '{rule.Cidr}' is not a CIDR block (such as 10.0.0.0/8).");
            Check(rule.Namespace is null || IsDnsLabel(rule.Namespace), $"egress[{i}].namespace '{rule.Namespace}' is not a namespace name.");
            Check(rule.PodLabels is null || rule.PodLabels.All(l => IsLabelKey(l.Key) && IsLabelValue(l.Value)), $"egress[{i}].podLabels holds a label that is not valid.");
            Check(rule.Ports.All(p => p is >= 1 and <= 65535), $"egress[{i}].ports must be between 1 and 65535.");
        }

        foreach (var (name, value) in new[] { ("authority", o.Authority), ("publicUrl", o.PublicUrl), ("otlpEndpoint", o.OtlpEndpoint) })
        {
            Check(value is null || (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)), $"{name} '{value}' is not an absolute http(s) URL.");
        }

        Check(o.OtlpProtocol is null or "grpc" or "http/protobuf", $"otlpProtocol '{o.OtlpProtocol}' is not one of grpc, http/protobuf (the protocols .NET's OTLP exporter speaks).");
        Check(o.OtlpProtocol is null || o.OtlpEndpoint is not null, "otlpProtocol is set without otlpEndpoint.");

        if (o.HttpRoute is { } route)
        {
            Check(IsDnsLabel(route.GatewayNamespace) && IsDnsSubdomain(route.GatewayName), $"httpRoute gateway '{route.GatewayNamespace}/{route.GatewayName}' is not <namespace>/<name> of a Gateway.");
            Check(route.Hostname is null || Hostname().IsMatch(route.Hostname), $"httpRoute.hostname '{route.Hostname}' is not a host name (such as inventory.example.com or *.example.com).");
            Check(
                route.Hostname is null || o.PublicUrl is null || !Uri.TryCreate(o.PublicUrl, UriKind.Absolute, out var publicUrl) || HostMatches(route.Hostname, publicUrl.IdnHost),
                $"httpRoute.hostname '{route.Hostname}' does not match the host of publicUrl '{o.PublicUrl}': the gateway would not route the URL clients use (leave hostname out to take publicUrl's).");
        }

        Check(IsDnsSubdomain(o.ClusterDomain), $"clusterDomain '{o.ClusterDomain}' is not a DNS domain (such as cluster.local).");
        Check(o.Kagent?.TokenSecret is not { } secret || IsDnsSubdomain(secret), $"kagent.tokenSecret '{o.Kagent?.TokenSecret}' is not a Secret name.");
        return problems;
    }

    /// <summary>What Kubernetes requires of the names and label values the description gives (an older or hand-written
    /// description may not meet what the library checks at startup).</summary>
    public static IReadOnlyList<string> Validate(ServiceDescription d)
    {
        var problems = new List<string>();
        if (d.Name.Length > 63 || !ServiceName().IsMatch(d.Name))
        {
            problems.Add($"name '{d.Name}' cannot name a Kubernetes Service: use at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (McpService:Name).");
        }

        if (!IsLabelValue(d.Version))
        {
            problems.Add($"version '{d.Version}' cannot be the app.kubernetes.io/version label: at most 63 letters, digits, '-', '_' and '.' (the project's <Version>, or McpService:Version).");
        }

        return problems;
    }

    /// <summary>Whether a route hostname covers <paramref name="host"/>: in the Gateway API, <c>*.example.com</c> is a suffix match
    /// (test.example.com and foo.test.example.com, not example.com).</summary>
    private static bool HostMatches(string hostname, string host) =>
        hostname.StartsWith("*.", StringComparison.Ordinal)
            ? host.Length > hostname.Length - 1 && host.EndsWith(hostname[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(hostname, host, StringComparison.OrdinalIgnoreCase);

    private static bool IsDnsLabel(string value) => value.Length <= 63 && DnsLabel().IsMatch(value);

    private static bool IsDnsSubdomain(string value) => value.Length <= 253 && value.Split('.').All(IsDnsLabel);

    private static bool IsLabelValue(string value) => value.Length == 0 || (value.Length <= 63 && LabelName().IsMatch(value));

    private static bool IsLabelKey(string key)
    {
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        return name.Length is > 0 and <= 63 && LabelName().IsMatch(name) && (slash < 0 || IsDnsSubdomain(key[..slash]));
    }

    /// <summary>The value of a Kubernetes quantity in base units, or <see langword="null"/> when it is not one.</summary>
    internal static decimal? Quantity(string value)
    {
        var match = QuantityPattern().Match(value);
        if (!match.Success || !decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        decimal multiplier = match.Groups["suffix"].Value switch
        {
            "" => 1m,
            "m" => 0.001m,
            "k" => 1e3m,
            "M" => 1e6m,
            "G" => 1e9m,
            "T" => 1e12m,
            "P" => 1e15m,
            "E" => 1e18m,
            "Ki" => 1024m,
            "Mi" => 1024m * 1024,
            "Gi" => 1024m * 1024 * 1024,
            "Ti" => 1024m * 1024 * 1024 * 1024,
            "Pi" => 1024m * 1024 * 1024 * 1024 * 1024,
            _ => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
        };
        return number * multiplier;
    }

    [GeneratedRegex("^(?<number>[0-9]+(\\.[0-9]+)?)(?<suffix>m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")]
    private static partial Regex QuantityPattern();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelName();

    // RFC 1035 label: a Service name must start with a letter.
    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex ServiceName();

    [GeneratedRegex("^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Hostname();

    // [host[:port]/]path, lowercase path components separated by '.', '_', '__' or '-' (the distribution reference grammar). The
    // first component is a registry host only when it has a '.' or a port or is localhost, as container runtimes read it:
    // "Agents/inventory" is a path, whose upper case the runtime refuses (InvalidImageName).
    [GeneratedRegex("^((localhost|[a-zA-Z0-9-]+(\\.[a-zA-Z0-9-]+)+)(:[0-9]+)?/|[a-zA-Z0-9-]+:[0-9]+/)?[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex ImageRepository();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ImageTag();

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex Digest();
}
