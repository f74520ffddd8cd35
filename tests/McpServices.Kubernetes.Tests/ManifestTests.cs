using System.Text.Json;
using k8s;
using k8s.Models;
using McpServices.Tests.Common;

namespace McpServices.Kubernetes.Tests;

/// <summary>The manifests generated for samples/Inventory: current, deterministic, rendering, valid, and within policy.</summary>
public sealed class ManifestTests
{
    private static string InventoryDll => Path.Combine(AppContext.BaseDirectory, "Inventory.dll");

    private static string Deploy => RepoPaths.Combine("samples", "Inventory", "deploy");

    [Fact]
    public async Task CommittedInventoryManifests_AreCurrent_AgainstTheServiceDescription()
    {
        var (code, output) = await GenerateAsync("--output", Deploy, "--check");

        Assert.True(code == 0, $"samples/Inventory/deploy is stale. Regenerate it: dotnet build samples/Inventory -t:McpGenerateKubernetesManifests\n{output}");
    }

    [Fact]
    public async Task StaleManifests_AreReported()
    {
        var folder = CopyDeploy();
        try
        {
            var deployment = Path.Combine(folder, "base", "deployment.yaml");
            await File.WriteAllTextAsync(deployment, (await File.ReadAllTextAsync(deployment, TestContext.Current.CancellationToken)).Replace("failureThreshold: 2", "failureThreshold: 9", StringComparison.Ordinal), TestContext.Current.CancellationToken);

            var (code, output) = await GenerateAsync("--output", folder, "--check");

            Assert.Equal(1, code);
            Assert.Contains("differs: base/deployment.yaml", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Generation_IsDeterministic_AndNamesThePushedImageByDigest()
    {
        var first = Directory.CreateTempSubdirectory("mcps-k8s-").FullName;
        var second = Directory.CreateTempSubdirectory("mcps-k8s-").FullName;
        try
        {
            const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
            Assert.Equal(0, (await GenerateAsync("--output", first, "--image", "localhost:5000/inventory", "--digest", Digest)).Code);
            Assert.Equal(0, (await GenerateAsync("--output", second, "--image", "localhost:5000/inventory", "--digest", Digest)).Code);

            var files = Directory.EnumerateFiles(first, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(first, f)).Order().ToList();
            Assert.Equal(files, Directory.EnumerateFiles(second, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(second, f)).Order());
            foreach (var file in files)
            {
                Assert.Equal(await File.ReadAllTextAsync(Path.Combine(first, file), TestContext.Current.CancellationToken), await File.ReadAllTextAsync(Path.Combine(second, file), TestContext.Current.CancellationToken));
            }

            var rendered = await RenderAsync(Path.Combine(first, "overlays", "prod"));
            var deployment = ManifestPolicy.LoadStrict(rendered).OfType<V1Deployment>().Single();
            Assert.Equal($"localhost:5000/inventory@{Digest}", deployment.Spec.Template.Spec.Containers[0].Image);
        }
        finally
        {
            Directory.Delete(first, recursive: true);
            Directory.Delete(second, recursive: true);
        }
    }

    [Theory]
    [InlineData("dev", 1)]
    [InlineData("prod", 2)]
    public async Task Overlay_Renders_LoadsStrictly_PassesSchemaValidation_AndKeepsThePolicies(string overlay, int minimumReplicas)
    {
        var rendered = await RenderAsync(Path.Combine(Deploy, "overlays", overlay));

        var objects = ManifestPolicy.LoadStrict(rendered);
        Assert.Equal(
            ["ConfigMap", "Deployment", "HTTPRoute", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "RemoteMCPServer", "Service", "ServiceAccount", "ServiceMonitor"],
            objects.Select(o => o is CustomResource c ? c.Kind : ((IKubernetesObject)o).Kind).Order(StringComparer.Ordinal));

        var schema = await ValidateSchemasAsync(rendered);
        Assert.Empty(schema.Errors);
        Assert.Equal(9, schema.Validated.Count);
        Assert.Equal(["RemoteMCPServer/inventory"], schema.Unknown);

        Assert.Empty(ManifestPolicy.Check(objects, minimumReplicas, drainSeconds: 25));

        var deployment = objects.OfType<V1Deployment>().Single();
        Assert.Equal(overlay == "prod" ? "inventory" : "inventory-dev", deployment.Metadata.NamespaceProperty);
        Assert.Equal("1.0.0", deployment.Metadata.Labels["app.kubernetes.io/version"]);
        Assert.Equal("adjust_stock,get_stock,search_products", deployment.Metadata.Annotations["mcpservices.io/tools"]);
        using var scopes = JsonDocument.Parse(deployment.Metadata.Annotations["mcpservices.io/tool-scopes"]);
        Assert.Equal("inventory:write", scopes.RootElement.GetProperty("adjust_stock")[0].GetString());
        var config = objects.OfType<V1ConfigMap>().Single();
        Assert.Equal("inventory:write", config.Data["McpService__Authorization__Tools__adjust_stock__RequiredScopes__0"]);
        Assert.Equal("FailClosed", config.Data["McpService__Audit__FailurePolicy"]);
        var env = deployment.Spec.Template.Spec.Containers[0].Env;
        Assert.Contains(env, e => e.Name == "POD_NAME" && e.ValueFrom.FieldRef.FieldPath == "metadata.name");
        Assert.Contains(env, e => e.Name == "OTEL_RESOURCE_ATTRIBUTES" && e.Value.Contains("service.version=1.0.0", StringComparison.Ordinal));
        var kagent = objects.OfType<CustomResource>().Single(c => c.Kind == "RemoteMCPServer");
        Assert.Contains($"url: http://inventory.{deployment.Metadata.NamespaceProperty}.svc.cluster.local/mcp", kagent.Yaml, StringComparison.Ordinal);

        Snapshot.Match(rendered, "tests", "McpServices.Kubernetes.Tests", "Snapshots", $"inventory-{overlay}.approved.yaml");
    }

    public static TheoryData<string, string> BrokenManifests => new()
    {
        { "root user allowed", "runAsNonRoot" },
        { "privilege escalation", "allowPrivilegeEscalation" },
        { "capabilities kept", "capabilities" },
        { "writable root filesystem", "root filesystem" },
        { "no readiness probe", "probes" },
        { "no memory limit", "memory limit" },
        { "image :latest", "not pinned" },
        { "token mounted", "service-account token" },
        { "no network policy", "NetworkPolicy" },
        { "one replica in prod", "replicas" },
        { "surge-less rollout", "maxUnavailable" },
        { "short grace period", "terminationGracePeriodSeconds" },
    };

    [Theory]
    [MemberData(nameof(BrokenManifests))]
    public async Task Policies_FailOnADeliberatelyBrokenManifest(string breakage, string expected)
    {
        var objects = ManifestPolicy.LoadStrict(await RenderAsync(Path.Combine(Deploy, "overlays", "prod")));
        var deployment = objects.OfType<V1Deployment>().Single();
        var pod = deployment.Spec.Template.Spec;
        var container = pod.Containers[0];
        switch (breakage)
        {
            case "root user allowed": pod.SecurityContext.RunAsNonRoot = false; break;
            case "privilege escalation": container.SecurityContext.AllowPrivilegeEscalation = true; break;
            case "capabilities kept": container.SecurityContext.Capabilities.Drop = []; break;
            case "writable root filesystem": container.SecurityContext.ReadOnlyRootFilesystem = false; break;
            case "no readiness probe": container.ReadinessProbe = null; break;
            case "no memory limit": container.Resources.Limits.Remove("memory"); break;
            case "image :latest": container.Image = "registry.example.com/agents/inventory:latest"; break;
            case "token mounted": pod.AutomountServiceAccountToken = true; break;
            case "no network policy": objects.RemoveAll(o => o is V1NetworkPolicy); break;
            case "one replica in prod": deployment.Spec.Replicas = 1; break;
            case "surge-less rollout": deployment.Spec.Strategy.RollingUpdate.MaxUnavailable = "25%"; break;
            case "short grace period": pod.TerminationGracePeriodSeconds = 10; break;
        }

        // Round-trip through YAML, as a broken file in a repository would arrive.
        var reloaded = ManifestPolicy.LoadStrict(ManifestPolicy.Serialize(objects));
        var violations = ManifestPolicy.Check(reloaded, minimumReplicas: 2, drainSeconds: 25);

        Assert.Contains(violations, v => v.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validators_RejectUnknownFields_AndSchemaErrors()
    {
        var rendered = await RenderAsync(Path.Combine(Deploy, "overlays", "prod"));

        // A typo in a field name: the strict loader refuses it.
        var typo = rendered.Replace("  revisionHistoryLimit: 5", "  revisionHistoryLimits: 5", StringComparison.Ordinal);
        Assert.ThrowsAny<Exception>(() => ManifestPolicy.LoadStrict(typo));

        // A value of the wrong type and a missing required field: the schema refuses them.
        var wrongType = rendered.Replace("maxReplicas: 10", "maxReplicas: ten", StringComparison.Ordinal).Replace("  replicas: 3", "  replicas: three", StringComparison.Ordinal);
        var schema = await ValidateSchemasAsync(wrongType);
        Assert.Contains(schema.Errors, e => e.Contains("HorizontalPodAutoscaler", StringComparison.Ordinal));
        Assert.Contains(schema.Errors, e => e.Contains("Deployment", StringComparison.Ordinal));
    }

    private static async Task<(int Code, string Output)> GenerateAsync(params string[] arguments)
    {
        using var output = new StringWriter();
        var code = await Cli.RunAsync(["--service", InventoryDll, "--settings", Path.Combine(Deploy, "kubernetes.json"), .. arguments], output, output);
        return (code, output.ToString());
    }

    private static string CopyDeploy()
    {
        var folder = Directory.CreateTempSubdirectory("mcps-k8s-").FullName;
        foreach (var file in Directory.EnumerateFiles(Deploy, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(folder, Path.GetRelativePath(Deploy, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return folder;
    }

    internal static async Task<string> RenderAsync(string overlay)
    {
        var result = await ProcessRunner.RunAsync("kubectl", ["kustomize", overlay], timeout: TimeSpan.FromMinutes(1), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StandardOutput;
    }

    private static async Task<SchemaResult> ValidateSchemasAsync(string yaml)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, yaml, TestContext.Current.CancellationToken);
            var result = await InteropTools.RunNodeAsync("validate-k8s.mjs", [file], cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(result.ExitCode == 0, result.Describe());
            using var json = JsonDocument.Parse(result.StandardOutput);
            var root = json.RootElement;
            return new SchemaResult(
                [.. root.GetProperty("validated").EnumerateArray().Select(e => e.GetString()!)],
                [.. root.GetProperty("errors").EnumerateArray().Select(e => $"{e.GetProperty("object").GetString()}: {e.GetProperty("message").GetString()}")],
                [.. root.GetProperty("unknown").EnumerateArray().Select(e => e.GetString()!)]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed record SchemaResult(List<string> Validated, List<string> Errors, List<string> Unknown);
}
