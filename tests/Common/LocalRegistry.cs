using System.Diagnostics;
using System.Text.Json;

namespace McpServices.Tests.Common;

/// <summary>
/// A real OCI registry on loopback (Debian's docker-registry, loopback-only config, storage in a folder of its own) holding a
/// .NET base image built from this machine's runtime (<c>eng/container/build-base-image.sh</c>): base images cannot be pulled
/// here, so publishes name this one with <c>ContainerBaseImage</c>.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    public const string BaseRepository = "mcpservices/aspnet-base";

    /// <summary>The manifest media types an image publish may store (Accept for manifest requests).</summary>
    public const string ManifestTypes = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

    private readonly Process _process;

    private LocalRegistry(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    /// <summary><c>localhost:port</c>, as image names and <c>ContainerRegistry</c> take it.</summary>
    public string Address { get; }

    /// <summary>The base image to publish on: <c>-p:ContainerBaseImage=…</c>.</summary>
    public string BaseImage => $"{Address}/{BaseRepository}:10.0";

    /// <summary>Starts the registry with its storage under <paramref name="work"/>, then builds and pushes the base image.</summary>
    public static async Task<LocalRegistry> StartAsync(string work, CancellationToken cancellationToken)
    {
        foreach (var tool in new[] { "/usr/bin/docker-registry", "/usr/bin/jq" })
        {
            Assert.True(File.Exists(tool), $"{tool} is missing: run eng/setup.sh (Debian packages docker-registry, jq).");
        }

        var port = ServiceProcess.FreePort();
        var config = Path.Combine(work, "registry.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {Path.Combine(work, "registry")}
            http:
              addr: 127.0.0.1:{port}
            """, cancellationToken);
        var process = ProcessRunner.Start("/usr/bin/docker-registry", ["serve", config]);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new LocalRegistry(process, $"localhost:{port}");
        try
        {
            using (var http = new HttpClient())
            {
                for (var i = 0; ; i++)
                {
                    try
                    {
                        using var ping = await http.GetAsync(new Uri($"http://{registry.Address}/v2/"), cancellationToken);
                        if (ping.IsSuccessStatusCode)
                        {
                            break;
                        }
                    }
                    catch (HttpRequestException) when (i < 100)
                    {
                    }

                    await Task.Delay(100, cancellationToken);
                }
            }

            var baseImage = await ProcessRunner.RunAsync(RepoPaths.Combine("eng", "container", "build-base-image.sh"), [registry.Address, BaseRepository, "10.0"], timeout: TimeSpan.FromMinutes(5), cancellationToken: cancellationToken);
            Assert.True(baseImage.ExitCode == 0, baseImage.Describe());
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary>GET on the registry's API (<c>/v2/{path}</c>); fails the test unless it succeeds.</summary>
    public async Task<JsonDocument> GetAsync(string path, string? accept = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{Address}/v2/{path}"));
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET /v2/{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }

    /// <summary>The digest the registry stored for <paramref name="repository"/>:<paramref name="tag"/> (<c>sha256:…</c>).</summary>
    public async Task<string> DigestAsync(string repository, string tag)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Head, new Uri($"http://{Address}/v2/{repository}/manifests/{tag}"));
        request.Headers.Accept.ParseAdd(ManifestTypes);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"HEAD /v2/{repository}/manifests/{tag}: {(int)response.StatusCode}");
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }
}
