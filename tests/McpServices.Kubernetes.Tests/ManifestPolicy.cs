using k8s;
using k8s.Models;

namespace McpServices.Kubernetes.Tests;

/// <summary>
/// The rules every generated overlay must satisfy: the restricted Pod Security Standard, probes, resource limits, pinned images,
/// no service-account token, a NetworkPolicy for the workload, zero-downtime rollouts, and a grace period covering the drain.
/// </summary>
internal static class ManifestPolicy
{
    public static IReadOnlyList<string> Check(IReadOnlyList<object> objects, int minimumReplicas, int drainSeconds)
    {
        var violations = new List<string>();
        var deployments = objects.OfType<V1Deployment>().ToList();
        if (deployments.Count != 1)
        {
            violations.Add($"expected one Deployment, found {deployments.Count}");
            return violations;
        }

        var deployment = deployments[0];
        var pod = deployment.Spec.Template.Spec;
        var name = deployment.Metadata.Name;

        // Restricted Pod Security Standard (pod and every container).
        if (pod.SecurityContext?.RunAsNonRoot != true)
        {
            violations.Add("pod: runAsNonRoot is not true");
        }

        if (pod.SecurityContext?.SeccompProfile?.Type != "RuntimeDefault")
        {
            violations.Add("pod: seccompProfile is not RuntimeDefault");
        }

        if (pod.HostNetwork == true || pod.HostPID == true || pod.HostIPC == true)
        {
            violations.Add("pod: uses host namespaces");
        }

        foreach (var container in pod.Containers)
        {
            var security = container.SecurityContext;
            if (security?.AllowPrivilegeEscalation != false)
            {
                violations.Add($"{container.Name}: allowPrivilegeEscalation is not false");
            }

            if (security?.Privileged == true)
            {
                violations.Add($"{container.Name}: privileged");
            }

            if (security?.Capabilities?.Drop?.Contains("ALL") != true || security.Capabilities.Add is { Count: > 0 })
            {
                violations.Add($"{container.Name}: capabilities are not dropped (drop: [ALL], no add)");
            }

            if (security?.ReadOnlyRootFilesystem != true)
            {
                violations.Add($"{container.Name}: root filesystem is writable");
            }

            if ((security?.RunAsUser ?? pod.SecurityContext?.RunAsUser) is 0)
            {
                violations.Add($"{container.Name}: runs as uid 0");
            }

            if (container.Resources?.Requests is not { } requests || !requests.ContainsKey("cpu") || !requests.ContainsKey("memory"))
            {
                violations.Add($"{container.Name}: no cpu and memory requests");
            }

            if (container.Resources?.Limits is not { } limits || !limits.ContainsKey("memory"))
            {
                violations.Add($"{container.Name}: no memory limit");
            }

            if (container.ReadinessProbe?.HttpGet is null || container.LivenessProbe?.HttpGet is null || container.StartupProbe?.HttpGet is null)
            {
                violations.Add($"{container.Name}: startup, liveness and readiness probes are not all set");
            }

            var image = container.Image ?? string.Empty;
            var tag = image.Contains('@', StringComparison.Ordinal) ? null : image[(image.LastIndexOf('/') + 1)..].Split(':') is [_, var t] ? t : null;
            if (!image.Contains("@sha256:", StringComparison.Ordinal) && (tag is null || tag == "latest"))
            {
                violations.Add($"{container.Name}: image '{image}' is not pinned (no tag, ':latest', and no digest)");
            }
        }

        // No Kubernetes API credentials in the pod.
        var account = objects.OfType<V1ServiceAccount>().FirstOrDefault(a => a.Metadata.Name == (pod.ServiceAccountName ?? "default"));
        if (pod.AutomountServiceAccountToken != false || account?.AutomountServiceAccountToken != false)
        {
            violations.Add("the service-account token is mounted");
        }

        // Network: a policy selects the pods and restricts both directions.
        var labels = deployment.Spec.Template.Metadata.Labels;
        var policies = objects.OfType<V1NetworkPolicy>()
            .Where(p => p.Spec.PodSelector.MatchLabels?.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value) == true)
            .ToList();
        if (!policies.Any(p => p.Spec.PolicyTypes?.Contains("Ingress") == true && p.Spec.PolicyTypes.Contains("Egress")))
        {
            violations.Add("no NetworkPolicy restricts the pods' ingress and egress");
        }

        // Availability: an autoscaler keeps the minimum, and owns the count — a Deployment that sets one of its own is scaled
        // back to it by every apply (kubectl, Argo CD, Flux), under the very load that made the autoscaler grow it.
        var autoscaler = objects.OfType<V2HorizontalPodAutoscaler>()
            .SingleOrDefault(a => a.Spec.ScaleTargetRef.Kind == "Deployment" && a.Spec.ScaleTargetRef.Name == deployment.Metadata.Name);
        if (autoscaler is null)
        {
            violations.Add("no HorizontalPodAutoscaler scales the Deployment");
        }
        else if ((autoscaler.Spec.MinReplicas ?? 1) < minimumReplicas)
        {
            violations.Add($"the autoscaler's minReplicas {autoscaler.Spec.MinReplicas} < {minimumReplicas}");
        }

        if (deployment.Spec.Replicas is { } replicas)
        {
            violations.Add($"the Deployment sets replicas ({replicas}), which every apply would restore over the autoscaler's count");
        }

        if (deployment.Spec.Strategy?.RollingUpdate?.MaxUnavailable?.Value is not "0")
        {
            violations.Add("rolling updates may take pods away before new ones are ready (maxUnavailable is not 0)");
        }

        // Replicas spread over zones and nodes; per ReplicaSet, so a rolling update's old pods do not decide where new ones go.
        var spread = pod.TopologySpreadConstraints ?? [];
        foreach (var key in new[] { "topology.kubernetes.io/zone", "kubernetes.io/hostname" })
        {
            var constraint = spread.FirstOrDefault(c => c.TopologyKey == key);
            if (constraint is null)
            {
                violations.Add($"pods are not spread over {key}");
            }
            else if (constraint.MatchLabelKeys?.Contains("pod-template-hash") != true)
            {
                violations.Add($"the spread over {key} counts old ReplicaSets' pods (matchLabelKeys has no pod-template-hash)");
            }
        }

        var preStop = pod.Containers.Max(c => c.Lifecycle?.PreStop?.Sleep?.Seconds ?? 0);
        if ((pod.TerminationGracePeriodSeconds ?? 30) < preStop + drainSeconds)
        {
            violations.Add($"terminationGracePeriodSeconds {pod.TerminationGracePeriodSeconds} does not cover preStop {preStop} s + drain {drainSeconds} s");
        }

        if (!objects.OfType<V1PodDisruptionBudget>().Any())
        {
            violations.Add("no PodDisruptionBudget");
        }

        if (!objects.OfType<V2HorizontalPodAutoscaler>().Any(h => h.Spec.ScaleTargetRef.Name == name))
        {
            violations.Add("no HorizontalPodAutoscaler for the Deployment");
        }

        return violations;
    }

    /// <summary>Loads every built-in object strictly (unknown fields are errors); custom resources stay as their raw YAML.</summary>
    public static List<object> LoadStrict(string yaml)
    {
        var objects = new List<object>();
        foreach (var document in yaml.Split("\n---\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var kind = document.Split('\n').First(l => l.StartsWith("kind:", StringComparison.Ordinal))["kind:".Length..].Trim();
            objects.Add(kind switch
            {
                "ServiceAccount" => KubernetesYaml.Deserialize<V1ServiceAccount>(document, strict: true),
                "ConfigMap" => KubernetesYaml.Deserialize<V1ConfigMap>(document, strict: true),
                "Secret" => KubernetesYaml.Deserialize<V1Secret>(document, strict: true),
                "Service" => KubernetesYaml.Deserialize<V1Service>(document, strict: true),
                "Deployment" => KubernetesYaml.Deserialize<V1Deployment>(document, strict: true),
                "PodDisruptionBudget" => KubernetesYaml.Deserialize<V1PodDisruptionBudget>(document, strict: true),
                "HorizontalPodAutoscaler" => KubernetesYaml.Deserialize<V2HorizontalPodAutoscaler>(document, strict: true),
                "NetworkPolicy" => KubernetesYaml.Deserialize<V1NetworkPolicy>(document, strict: true),
                _ => new CustomResource(kind, document),
            });
        }

        return objects;
    }

    public static string Serialize(IEnumerable<object> objects) =>
        string.Join("---\n", objects.Select(o => o is CustomResource custom ? custom.Yaml.TrimEnd('\n') + "\n" : KubernetesYaml.Serialize(o).TrimEnd('\n') + "\n"));
}

internal sealed record CustomResource(string Kind, string Yaml);
