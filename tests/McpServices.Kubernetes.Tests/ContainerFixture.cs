using System.Diagnostics;
using System.Text.Json;
using McpServices.Tests.Common;

namespace McpServices.Kubernetes.Tests;

/// <summary>
/// A real OCI registry on loopback (Debian's docker-registry), a .NET base image built from this machine's runtime and pushed
/// to it, and samples/Inventory published to it with <c>dotnet publish -t:PublishContainer</c> — once for all container tests.
/// Also a podman environment of its own (storage, runtime runc, ulimits, the registry marked insecure).
/// </summary>
public sealed class ContainerFixture : IAsyncLifetime
{
    public const string BaseRepository = "mcpservices/aspnet-base";
    public const string ExtraTag = "ci";

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("mcps-container-");
    private Process? _registry;

    public string Registry { get; private set; } = null!;

    public string Work => _work.FullName;

    /// <summary>The manifests the publish regenerated, naming the pushed image by digest.</summary>
    public string PublishedManifests => Path.Combine(Work, "deploy");

    public string PublishOutput { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var tool in new[] { "/usr/bin/docker-registry", "/usr/bin/podman", "/usr/sbin/runc", "/usr/bin/catatonit", "/usr/bin/jq" })
        {
            Assert.True(File.Exists(tool), $"{tool} is missing: run eng/setup.sh (Debian packages docker-registry, podman, runc, catatonit, jq).");
        }

        var port = ServiceProcess.FreePort();
        Registry = $"localhost:{port}";
        var config = Path.Combine(Work, "registry.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {Path.Combine(Work, "registry")}
            http:
              addr: 127.0.0.1:{port}
            """, ct);
        _registry = ProcessRunner.Start("/usr/bin/docker-registry", ["serve", config]);
        _registry.BeginOutputReadLine();
        _registry.BeginErrorReadLine();
        using (var http = new HttpClient())
        {
            for (var i = 0; ; i++)
            {
                try
                {
                    using var ping = await http.GetAsync(new Uri($"http://{Registry}/v2/"), ct);
                    if (ping.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException) when (i < 100)
                {
                }

                await Task.Delay(100, ct);
            }
        }

        var baseImage = await ProcessRunner.RunAsync(RepoPaths.Combine("eng", "container", "build-base-image.sh"), [Registry, BaseRepository, "10.0"], timeout: TimeSpan.FromMinutes(5), cancellationToken: ct);
        Assert.True(baseImage.ExitCode == 0, baseImage.Describe());

        // The service as users publish it; the build is the one the test run already made.
        PublishOutput = Path.Combine(Work, "publish") + Path.DirectorySeparatorChar;
        var publish = await ProcessRunner.RunAsync(
            "dotnet",
            [
                "publish", RepoPaths.Combine("samples", "Inventory", "Inventory.csproj"), "-c", "Release", "--no-build", "-t:PublishContainer",
                $"-p:ContainerRegistry={Registry}", $"-p:ContainerBaseImage={Registry}/{BaseRepository}:10.0", $"-p:McpContainerExtraTags={ExtraTag}",
                $"-p:McpKubernetesOutput={PublishedManifests}", $"-p:PublishDir={PublishOutput}", "-nologo",
            ],
            RepoPaths.Root,
            timeout: TimeSpan.FromMinutes(5),
            cancellationToken: ct);
        Assert.True(publish.ExitCode == 0, publish.Describe());

        Directory.CreateDirectory(Path.Combine(Work, "podman"));
        await File.WriteAllTextAsync(Path.Combine(Work, "podman", "containers.conf"), """
            [containers]
            default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

            [engine]
            runtime = "runc"
            """, ct);
        await File.WriteAllTextAsync(Path.Combine(Work, "podman", "registries.conf"), $"""
            [[registry]]
            location = "{Registry}"
            insecure = true
            """, ct);
    }

    /// <summary>Runs podman with this fixture's storage and configuration.</summary>
    public Task<ProcessResult> PodmanAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(
            "/usr/bin/podman",
            ["--root", Path.Combine(Work, "podman", "root"), "--runroot", Path.Combine(Work, "podman", "run"), .. arguments],
            Work,
            new Dictionary<string, string?>
            {
                ["CONTAINERS_CONF"] = Path.Combine(Work, "podman", "containers.conf"),
                ["CONTAINERS_REGISTRIES_CONF"] = Path.Combine(Work, "podman", "registries.conf"),
            },
            timeout: TimeSpan.FromMinutes(3),
            cancellationToken: TestContext.Current.CancellationToken);

    public async Task<JsonDocument> RegistryGetAsync(string path, string? accept = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{Registry}/v2/{path}"));
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET /v2/{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }

    public async ValueTask DisposeAsync()
    {
        // Containers and pods this fixture started, in its own storage; then its registry.
        await PodmanAsync("pod", "rm", "--all", "--force");
        await PodmanAsync("rm", "--all", "--force");
        await PodmanAsync("system", "reset", "--force");
        if (_registry is { HasExited: false })
        {
            _registry.Kill(entireProcessTree: true);
            await _registry.WaitForExitAsync(CancellationToken.None);
        }

        _registry?.Dispose();
        try
        {
            _work.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
