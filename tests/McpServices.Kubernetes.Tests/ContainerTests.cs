using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using McpServices.Testing;
using McpServices.Tests.Common;
using ModelContextProtocol.Protocol;

namespace McpServices.Kubernetes.Tests;

/// <summary>samples/Inventory as a container: pushed to a registry, run by podman, and run from its rendered pod template.</summary>
public sealed class ContainerTests(ContainerFixture fixture) : IClassFixture<ContainerFixture>
{
    [Fact]
    public async Task Registry_HoldsTheImage_TaggedWithTheVersion_NonRoot_OnPort8080_WithOciLabels()
    {
        using var tags = await fixture.RegistryGetAsync("inventory/tags/list");
        Assert.Equal(["1.0.0", ContainerFixture.ExtraTag], tags.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Order(StringComparer.Ordinal));

        using var manifest = await fixture.RegistryGetAsync("inventory/manifests/1.0.0", LocalRegistry.ManifestTypes);
        var configDigest = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString();
        using var image = await fixture.RegistryGetAsync($"inventory/blobs/{configDigest}");
        var config = image.RootElement.GetProperty("config");

        Assert.Equal("1654", config.GetProperty("User").GetString());
        Assert.True(config.GetProperty("ExposedPorts").TryGetProperty("8080/tcp", out _));
        var labels = config.GetProperty("Labels");
        Assert.Equal("1.0.0", labels.GetProperty("org.opencontainers.image.version").GetString());
        Assert.Equal("inventory", labels.GetProperty("org.opencontainers.image.title").GetString());
        Assert.Equal("Inventory tools for agents: product search, stock lookup and stock adjustment.", labels.GetProperty("org.opencontainers.image.description").GetString());
        Assert.Equal("https://github.com/mcpservices/mcpservices", labels.GetProperty("org.opencontainers.image.source").GetString());
        Assert.Matches("^[0-9a-f]{40}$", labels.GetProperty("org.opencontainers.image.revision").GetString());
        Assert.Equal($"{fixture.Registry}/{ContainerFixture.BaseRepository}:10.0", labels.GetProperty("org.opencontainers.image.base.name").GetString());
    }

    [Fact]
    public async Task Publish_RegeneratesTheManifests_NamingThePushedImageByDigest()
    {
        var digest = await fixture.DigestOfAsync("1.0.0");
        var kustomization = await File.ReadAllTextAsync(Path.Combine(fixture.PublishedManifests, "base", "kustomization.yaml"), TestContext.Current.CancellationToken);

        Assert.Contains($"newName: {fixture.Registry}/inventory\n", kustomization, StringComparison.Ordinal);
        Assert.Contains($"digest: {digest}\n", kustomization, StringComparison.Ordinal);
        Assert.DoesNotContain("newTag", kustomization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Podman_RunsTheImage_AnMcpClientCallsAToolWithAKey_AndTheAuditRecordIsOnTheContainersStdout()
    {
        var (key, hash) = NewApiKey();
        var port = ServiceProcess.FreePort();
        var name = $"inventory-{Guid.NewGuid():N}"[..20];
        var run = await fixture.PodmanAsync(
            "run", "--detach", "--name", name, "--publish", $"127.0.0.1:{port}:8080",
            "--env", $"McpService__Authentication__ApiKeys__ops__Hash={hash}",
            "--env", "McpService__Authentication__ApiKeys__ops__Owner=operations",
            "--env", "McpService__Authentication__ApiKeys__ops__Scopes__0=inventory:read",
            $"{fixture.Registry}/inventory:1.0.0");
        Assert.True(run.ExitCode == 0, run.Describe());
        try
        {
            await WaitUntilReadyAsync(port);
            await CallGetStockAsync(port, key);

            await AuditRecordOnStdoutAsync(name, line => line.Contains("\"tool\":\"get_stock\"", StringComparison.Ordinal) && line.Contains("\"apiKeyId\":\"ops\"", StringComparison.Ordinal));
        }
        finally
        {
            await fixture.PodmanAsync("rm", "--force", name);
        }
    }

    [Fact]
    public async Task Podman_RunsTheImage_AnMcpClientCallsAToolWithATokenFromAnOpenIdConnectIssuer()
    {
        var agent = new OidcTestClient("planner-agent", "s3cret", ["inventory:read"]);
        await using var issuer = await OidcTestIssuer.StartAsync([agent], ["inventory:read", "inventory:write"], cancellationToken: TestContext.Current.CancellationToken);
        var port = ServiceProcess.FreePort();
        var name = $"inventory-{Guid.NewGuid():N}"[..20];

        // The container shares the host's network so that it reaches the issuer on 127.0.0.1, as a pod reaches its identity
        // provider: discovery and the signing keys come from the issuer, the audience is the service's own URL.
        var run = await fixture.PodmanAsync(
            "run", "--detach", "--name", name, "--network", "host",
            "--env", $"ASPNETCORE_URLS=http://127.0.0.1:{port}",
            "--env", $"Authentication__Schemes__Bearer__Authority={issuer.Authority}",
            "--env", "Authentication__Schemes__Bearer__RequireHttpsMetadata=false",
            "--env", $"McpService__Authentication__Resource=http://127.0.0.1:{port}/mcp",
            $"{fixture.Registry}/inventory:1.0.0");
        Assert.True(run.ExitCode == 0, run.Describe());
        try
        {
            await WaitUntilReadyAsync(port);
            var token = await issuer.RequestTokenAsync(agent.ClientId, agent.Secret, $"http://127.0.0.1:{port}/mcp", "inventory:read");
            await CallGetStockAsync(port, token);

            await AuditRecordOnStdoutAsync(name, line => line.Contains("\"tool\":\"get_stock\"", StringComparison.Ordinal)
                && line.Contains("\"clientId\":\"planner-agent\"", StringComparison.Ordinal)
                && line.Contains("\"authenticationMethod\":\"jwt\"", StringComparison.Ordinal));
        }
        finally
        {
            await fixture.PodmanAsync("rm", "--force", name);
        }
    }

    /// <summary>
    /// The dev overlay's pod template, as rendered, run by <c>podman kube play</c>: it applies the restricted security context
    /// (uid 1654, read-only root filesystem, no capabilities, no new privileges), the ConfigMap and the volumes. Rewritten only
    /// where podman 4.3 differs from Kubernetes: one replica with a host port on 127.0.0.1; the optional credentials Secret
    /// dropped; the namespace given as a value (podman has no metadata.namespace); the API-key Secret volume as a host
    /// directory holding the same file (podman 4.3 crashes on secret volumes). Podman ignores probes, so readiness is checked
    /// from the host.
    /// </summary>
    [Fact]
    public async Task PodmanKubePlay_RunsTheRenderedPodTemplate_UnderTheRestrictedSecurityContext_AndServesMcp()
    {
        var rendered = await ManifestTests.RenderAsync(Path.Combine(fixture.PublishedManifests, "overlays", "dev"));
        var objects = ManifestPolicy.LoadStrict(rendered);
        var config = objects.OfType<V1ConfigMap>().Single();
        var deployment = objects.OfType<V1Deployment>().Single();
        var pod = deployment.Spec.Template.Spec;
        var container = pod.Containers.Single();
        Assert.Contains("@sha256:", container.Image, StringComparison.Ordinal);

        var (key, hash) = NewApiKey();
        var keys = Directory.CreateDirectory(Path.Combine(fixture.Work, $"keys-{Guid.NewGuid():N}"));
        await File.WriteAllTextAsync(Path.Combine(keys.FullName, "api-keys.json"), "{\"ops\":{\"Owner\":\"operations\",\"Hash\":\"" + hash + "\",\"Scopes\":[\"inventory:read\"]}}", TestContext.Current.CancellationToken);

        var port = ServiceProcess.FreePort();
        deployment.Spec.Replicas = 1;
        container.Ports[0].HostPort = port;
        container.Ports[0].HostIP = "127.0.0.1";
        container.EnvFrom = [.. container.EnvFrom.Where(e => e.SecretRef is null)];
        container.Env.Single(e => e.Name == "POD_NAMESPACE").ValueFrom = null;
        container.Env.Single(e => e.Name == "POD_NAMESPACE").Value = deployment.Metadata.NamespaceProperty;
        pod.Volumes.Single(v => v.Name == "api-keys").Secret = null;
        pod.Volumes.Single(v => v.Name == "api-keys").HostPath = new V1HostPathVolumeSource { Path = keys.FullName, Type = "Directory" };
        var play = Path.Combine(fixture.Work, $"play-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(play, ManifestPolicy.Serialize([config, deployment]), TestContext.Current.CancellationToken);

        var started = await fixture.PodmanAsync("kube", "play", "--tls-verify=false", play);
        Assert.True(started.ExitCode == 0, started.Describe());
        try
        {
            await WaitUntilReadyAsync(port);
            await CallGetStockAsync(port, key);

            var containerName = $"{deployment.Metadata.Name}-pod-0-{container.Name}";
            var inspect = await fixture.PodmanAsync("inspect", containerName, "--format", "{{.Config.User}}|{{.HostConfig.ReadonlyRootfs}}|{{.EffectiveCaps}}|{{.HostConfig.SecurityOpt}}");
            Assert.True(inspect.ExitCode == 0, inspect.Describe());
            Assert.Equal("1654:1654|true|[]|[no-new-privileges]", inspect.StandardOutput.Trim());

            await AuditRecordOnStdoutAsync(containerName, line => line.Contains("\"tool\":\"get_stock\"", StringComparison.Ordinal));
        }
        finally
        {
            await fixture.PodmanAsync("kube", "down", play);
        }
    }

    /// <summary>
    /// Waits for an audit record matching <paramref name="matches"/> on the container's stdout. The record is written off the
    /// request path and podman collects the output asynchronously, so it may appear shortly after the call returns.
    /// </summary>
    private async Task AuditRecordOnStdoutAsync(string container, Func<string, bool> matches)
    {
        bool IsTheRecord(string line) => line.StartsWith("{\"schema\":\"mcpservices.io/audit/v1\"", StringComparison.Ordinal) && matches(line);
        var logs = await fixture.PodmanAsync("logs", container);
        for (var attempt = 0; attempt < 50 && !logs.StandardOutput.Split('\n').Any(IsTheRecord); attempt++)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
            logs = await fixture.PodmanAsync("logs", container);
        }

        Assert.Contains(logs.StandardOutput.Split('\n'), IsTheRecord);
    }

    private static (string Key, string Hash) NewApiKey()
    {
        var key = $"mcpk_ops_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}";
        return (key, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))));
    }

    private static async Task WaitUntilReadyAsync(int port)
    {
        using var http = new HttpClient();
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"), TestContext.Current.CancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(150, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"The container on port {port} did not become ready within 30 seconds.");
    }

    /// <summary>The SDK's client, authenticated with the API key, lists the tools and calls one.</summary>
    private static async Task CallGetStockAsync(int port, string key)
    {
        await using var client = await McpTestClient.ConnectAsync(new Uri($"http://127.0.0.1:{port}/mcp"), new McpTestClientOptions { AccessToken = key }, TestContext.Current.CancellationToken);
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["get_stock", "search_products"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        var result = await client.CallToolAsync("get_stock", new Dictionary<string, object?> { ["sku"] = "HAM-0001" }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEqual(true, result.IsError);
        Assert.Contains("Claw hammer", Assert.IsType<TextContentBlock>(result.Content[0]).Text, StringComparison.Ordinal);
    }
}
