using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>The Inventory sample run as a real process (<c>dotnet Inventory.dll</c>), as it runs in a container.</summary>
public sealed class SampleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private SampleProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public IReadOnlyList<string> StandardOutput { get { lock (_stdout) { return [.. _stdout]; } } }

    public IReadOnlyList<string> StandardError { get { lock (_stderr) { return [.. _stderr]; } } }

    /// <summary>An API key with both inventory scopes, configured through environment variables as a Secret would be.</summary>
    public static (string Key, IDictionary<string, string?> Environment) ApiKey(string id = "ops")
    {
        var key = $"mcpk_{id}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}";
        var hash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return (key, new Dictionary<string, string?>
        {
            [$"McpService__Authentication__ApiKeys__{id}__Hash"] = hash,
            [$"McpService__Authentication__ApiKeys__{id}__Owner"] = "operations",
            [$"McpService__Authentication__ApiKeys__{id}__Scopes__0"] = "inventory:read",
            [$"McpService__Authentication__ApiKeys__{id}__Scopes__1"] = "inventory:write",
        });
    }

    public static async Task<SampleProcess> StartAsync(IDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var env = new Dictionary<string, string?>(environment)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = environment.TryGetValue("ASPNETCORE_ENVIRONMENT", out var e) ? e : "Production",
        };
        var process = ProcessRunner.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Inventory.dll")], AppContext.BaseDirectory, env);
        var sample = new SampleProcess(process, port);
        process.OutputDataReceived += (_, a) => { if (a.Data is not null) { lock (sample._stdout) { sample._stdout.Add(a.Data); } } };
        process.ErrorDataReceived += (_, a) => { if (a.Data is not null) { lock (sample._stderr) { sample._stderr.Add(a.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var i = 0; i < 150; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException("The sample exited early:\n" + string.Join('\n', sample.StandardError));
            }

            try
            {
                using var ready = await http.GetAsync(new Uri(sample.BaseAddress, "readyz"), cancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return sample;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, cancellationToken);
        }

        await sample.DisposeAsync();
        throw new TimeoutException("The sample did not become ready within 30 seconds.");
    }

    /// <summary>Calls a tool over plain HTTP (stateless Streamable HTTP needs no session).</summary>
    public async Task<HttpResponseMessage> CallToolAsync(string credential, string tool, string argumentsJson, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, "mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"TOOL","arguments":ARGS}}""".Replace("TOOL", tool, StringComparison.Ordinal).Replace("ARGS", argumentsJson, StringComparison.Ordinal), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        request.Headers.Authorization = new("Bearer", credential);
        var response = await http.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        return response;
    }

    /// <summary>Stops the process gracefully (SIGTERM), as Kubernetes does, and waits for it to exit.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
