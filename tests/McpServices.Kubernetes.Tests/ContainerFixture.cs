using System.Text.Json;
using McpServices.Tests.Common;

namespace McpServices.Kubernetes.Tests;

/// <summary>
/// A real OCI registry on loopback with a .NET base image built from this machine's runtime (<see cref="LocalRegistry"/>),
/// and samples/Inventory published to it with <c>dotnet publish -t:PublishContainer</c> — once for all container tests.
/// Also a podman environment of its own (storage, runtime runc, ulimits, the registry marked insecure).
/// </summary>
public sealed class ContainerFixture : IAsyncLifetime
{
    public const string BaseRepository = LocalRegistry.BaseRepository;
    public const string ExtraTag = "ci";

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("mcps-container-");
    private LocalRegistry? _registry;

    public string Registry => _registry!.Address;

    public string Work => _work.FullName;

    /// <summary>The manifests the publish regenerated, naming the pushed image by digest.</summary>
    public string PublishedManifests => Path.Combine(Work, "deploy");

    public string PublishOutput { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var tool in new[] { "/usr/bin/podman", "/usr/sbin/runc", "/usr/bin/catatonit" })
        {
            Assert.True(File.Exists(tool), $"{tool} is missing: run eng/setup.sh (Debian packages podman, runc, catatonit).");
        }

        _registry = await LocalRegistry.StartAsync(Work, ct);

        // The service as users publish it; the build is the one the test run already made.
        PublishOutput = Path.Combine(Work, "publish") + Path.DirectorySeparatorChar;
        var publish = await ProcessRunner.RunAsync(
            "dotnet",
            [
                "publish", RepoPaths.Combine("samples", "Inventory", "Inventory.csproj"), "-c", "Release", "--no-build", "-t:PublishContainer",
                $"-p:ContainerRegistry={Registry}", $"-p:ContainerBaseImage={_registry.BaseImage}", $"-p:McpContainerExtraTags={ExtraTag}",
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

    public Task<JsonDocument> RegistryGetAsync(string path, string? accept = null) => _registry!.GetAsync(path, accept);

    public Task<string> DigestOfAsync(string tag) => _registry!.DigestAsync("inventory", tag);

    public async ValueTask DisposeAsync()
    {
        // Containers and pods this fixture started, in its own storage; then its registry.
        await PodmanAsync("pod", "rm", "--all", "--force");
        await PodmanAsync("rm", "--all", "--force");
        await PodmanAsync("system", "reset", "--force");
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
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
