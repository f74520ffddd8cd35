using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>The sample run as a real process, as it runs in a container.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task OutsideDevelopment_LogsAreJsonOnStderr_AndStdoutStaysClean()
    {
        var port = FreePort();
        using var process = ProcessRunner.Start(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Inventory.dll")],
            AppContext.BaseDirectory,
            new Dictionary<string, string?>
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["McpService__Authentication__ApiKeys__ops__Hash"] = "sha256:" + new string('0', 64),
            });
        var stdout = new List<string>();
        var stderr = new List<string>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.Add(e.Data); } } };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (stderr)
            {
                stderr.Add(e.Data);
            }

            if (e.Data.Contains("Now listening", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            using var http = new HttpClient();
            var ready = await http.GetAsync($"http://127.0.0.1:{port}/readyz", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        lock (stderr)
        {
            Assert.NotEmpty(stderr);
            foreach (var line in stderr)
            {
                using var entry = JsonDocument.Parse(line);
                Assert.True(entry.RootElement.TryGetProperty("LogLevel", out _), line);
                Assert.True(entry.RootElement.TryGetProperty("Timestamp", out _), line);
            }
        }

        lock (stdout)
        {
            Assert.Empty(stdout);
        }
    }

    [Fact]
    public async Task Production_WithoutAnyWayToAuthenticate_RefusesToStart_SayingHowToFixIt()
    {
        var result = await ProcessRunner.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Inventory.dll")],
            AppContext.BaseDirectory,
            new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}", ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            TimeSpan.FromSeconds(60),
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Authentication is on, but no way to authenticate callers is configured", result.StandardError);
        Assert.Contains("Authentication:Schemes:Bearer:Authority", result.StandardError);
        Assert.DoesNotContain("Now listening", result.StandardError);
    }

    [Fact]
    public async Task Production_WithAuthenticationOff_RefusesToStart_UnlessAcknowledged()
    {
        var port = FreePort();
        var refused = await ProcessRunner.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Inventory.dll")],
            AppContext.BaseDirectory,
            new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}", ["ASPNETCORE_ENVIRONMENT"] = "Production", ["McpService__Authentication__Enabled"] = "false" },
            TimeSpan.FromSeconds(60),
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("McpService:Authentication:AcknowledgeUnauthenticated=true", refused.StandardError);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
