using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace McpServices.Tests.Common;

/// <summary>A service from this repository run as a real process (<c>dotnet Service.dll</c> from the test output folder), as it runs in a container.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public IReadOnlyList<string> StandardOutput { get { lock (_stdout) { return [.. _stdout]; } } }

    public IReadOnlyList<string> StandardError { get { lock (_stderr) { return [.. _stderr]; } } }

    /// <summary>
    /// Starts <paramref name="assembly"/> (a file in the test output folder, which is also the content root) on a free loopback port and waits until <c>/readyz</c> answers 200.
    /// With <paramref name="readStandardOutput"/> <see langword="false"/>, its standard output is a pipe nobody reads until
    /// <see cref="CloseStandardOutput"/> closes it (a log collector that went away).
    /// </summary>
    /// <param name="assembly">The service's entry assembly in the test output folder.</param>
    /// <param name="environment">Environment variables for the service.</param>
    /// <param name="cancellationToken">Cancels the wait for readiness.</param>
    /// <param name="readStandardOutput">Whether standard output is read (see above).</param>
    /// <param name="launcher">A command that runs the service's command line given as its last arguments (standard output set up by it).</param>
    public static async Task<ServiceProcess> StartAsync(string assembly, IDictionary<string, string?> environment, CancellationToken cancellationToken, bool readStandardOutput = true, IReadOnlyList<string>? launcher = null)
    {
        var port = FreePort();
        var env = new Dictionary<string, string?>(environment)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = environment.TryGetValue("ASPNETCORE_ENVIRONMENT", out var e) ? e : "Production",
        };
        string[] command = [.. launcher ?? [], "dotnet", Path.Combine(AppContext.BaseDirectory, assembly)];
        var process = ProcessRunner.Start(command[0], command[1..], AppContext.BaseDirectory, env);
        var sample = new ServiceProcess(process, port);
        process.OutputDataReceived += (_, a) => { if (a.Data is not null) { lock (sample._stdout) { sample._stdout.Add(a.Data); } } };
        process.ErrorDataReceived += (_, a) => { if (a.Data is not null) { lock (sample._stderr) { sample._stderr.Add(a.Data); } } };
        if (readStandardOutput)
        {
            process.BeginOutputReadLine();
        }

        process.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var i = 0; i < 150; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{assembly} exited early:\n" + string.Join('\n', sample.StandardError));
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
        throw new TimeoutException($"{assembly} did not become ready within 30 seconds.");
    }

    /// <summary>Closes the reading end of the process's standard output: its next write there fails with a broken pipe (<c>EPIPE</c>).</summary>
    public void CloseStandardOutput() => _process.StandardOutput.Dispose();

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
