using System.Net;
using System.Text.Json;
using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>The sample's audit trail and metrics, seen from outside the process as an operator sees them.</summary>
public sealed class ObservabilityTests
{
    /// <summary>How every audit record's line starts.</summary>
    private const string RecordStart = "{\"schema\":\"mcpservices.io/audit/v1\"";

    /// <summary>
    /// When nobody reads the service's standard output any more (the log collector went away: a broken pipe), the stdout audit
    /// sink fails like any other sink: under FailClosed new calls are refused, the instance is not ready, and the record that
    /// could not be written is counted at shutdown. (.NET's own console stream ignores a broken pipe: the records were dropped
    /// while calls went on.)
    /// </summary>
    [Fact]
    public async Task StdoutThatNobodyReads_IsAFailingSink_CallsAreRefused_AndTheRecordIsAccountedFor()
    {
        var (key, environment) = SampleProcess.ApiKey();
        // Shutdown retries the unwritable record until the host's shutdown timeout (30 s by default): 8 s here.
        environment["McpService__DrainTimeout"] = "00:00:02";
        environment["DOTNET_SHUTDOWNTIMEOUTSECONDS"] = "8";
        var sample = await SampleProcess.StartAsync(environment, TestContext.Current.CancellationToken, readStandardOutput: false);
        await using (sample)
        {
            sample.CloseStandardOutput();
            using var first = await sample.CallToolAsync(key, "get_stock", """{"sku":"HAM-0001"}""", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);

            HttpResponseMessage? refused = null;
            for (var i = 0; i < 100 && refused is null; i++)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
                var next = await sample.CallToolAsync(key, "get_stock", """{"sku":"HAM-0001"}""", TestContext.Current.CancellationToken);
                if (next.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    refused = next;
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, next.StatusCode);
                    next.Dispose();
                }
            }

            using (refused)
            {
                Assert.NotNull(refused);
                Assert.Contains("-32044", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
            }

            using var http = new HttpClient();
            using var ready = await http.GetAsync(new Uri(sample.BaseAddress, "readyz"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            await sample.StopAsync(TimeSpan.FromSeconds(60));
        }

        Assert.Contains(sample.StandardError, line => line.Contains("StdoutAuditSink failed", StringComparison.Ordinal) && line.Contains("Broken pipe", StringComparison.Ordinal));
        Assert.Contains(sample.StandardError, line => line.Contains("audit record(s) could not be written before the host stopped", StringComparison.Ordinal));
    }

    /// <summary>
    /// Runs a command with its standard output a non-blocking pipe (as a parent that shares it may leave it) and copies what it
    /// writes to its own standard output — only while the file named by the first argument exists: until then the pipe fills up
    /// and the command's writes are refused (EAGAIN). Forwards SIGTERM to the command and exits with its exit code.
    /// </summary>
    private const string NonBlockingPipe = """
        import fcntl, os, signal, subprocess, sys, time
        go = sys.argv[1]
        r, w = os.pipe()
        fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
        child = subprocess.Popen(sys.argv[2:], stdout=w)
        os.close(w)
        signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
        while True:
            if not os.path.exists(go):
                time.sleep(0.05)
                continue
            data = os.read(r, 65536)
            if not data:
                break
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        sys.exit(child.wait())
        """;

    /// <summary>
    /// Standard output may be a non-blocking pipe that fills up while its reader is slow: the stdout sink waits for room and
    /// writes every record exactly once (a refused write is repeated, never half-written twice), and calls go on meanwhile.
    /// </summary>
    [Fact]
    public async Task StdoutOnAFullNonBlockingPipe_GetsEveryRecordOnce()
    {
        var (key, environment) = SampleProcess.ApiKey();
        var go = Path.Combine(Path.GetTempPath(), $"mcpservices-go-{Guid.NewGuid():N}");
        var sample = await SampleProcess.StartAsync(environment, TestContext.Current.CancellationToken, launcher: ["python3", "-c", NonBlockingPipe, go]);
        const int Calls = 120; // about 150 KB of records: more than the pipe holds (64 KiB)
        await using (sample)
        {
            for (var i = 0; i < Calls; i++)
            {
                using var call = await sample.CallToolAsync(key, "get_stock", """{"sku":"HAM-0001"}""", TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.OK, call.StatusCode);
            }

            await File.WriteAllTextAsync(go, "go", TestContext.Current.CancellationToken);
            Assert.Equal(0, await sample.StopAsync(TimeSpan.FromSeconds(60)));
        }

        File.Delete(go);
        Assert.DoesNotContain(sample.StandardError, line => line.Contains("AuditSink failed", StringComparison.Ordinal));
        var records = sample.StandardOutput.Where(l => l.StartsWith(RecordStart, StringComparison.Ordinal)).ToArray();
        Assert.Equal(Calls, records.Length);
        await AssertVerifiesAsync(records);
    }

    /// <summary>
    /// A tool or library that writes to the console while the audit trail goes to standard output would put its lines between
    /// the records, or inside one (the sink writes a pipe in pieces; a long console line is written in pieces too), and a log
    /// pipeline reading standard output as JSON Lines would lose records. While the stdout sink runs, console output goes to
    /// standard error. The sample runs with a startup hook (tests/ConsoleChatter) that writes a long line to the console every
    /// few milliseconds from the moment the process starts.
    /// </summary>
    [Fact]
    public async Task ConsoleOutput_GoesToStandardError_WhileTheAuditTrailOwnsStandardOutput()
    {
        var chatter = "chatter " + new string('x', 6000);
        var (key, environment) = ChattyApiKeyEnvironment(chatter);
        const int Calls = 60;
        var sample = await SampleProcess.StartAsync(environment, TestContext.Current.CancellationToken);
        await using (sample)
        {
            // Arguments that make records of several KiB, which the sink writes to the pipe in pieces.
            var sku = "HAM-" + new string('9', 5000);
            for (var i = 0; i < Calls; i++)
            {
                using var call = await sample.CallToolAsync(key, "get_stock", $$"""{"sku":"{{sku}}"}""", TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.OK, call.StatusCode);
            }

            Assert.Equal(0, await sample.StopAsync(TimeSpan.FromSeconds(30)));
        }

        // Before the service starts and after it stopped, the console is standard output: from the first record to the last,
        // only records.
        var output = sample.StandardOutput.ToList();
        var first = output.FindIndex(l => l.StartsWith(RecordStart, StringComparison.Ordinal));
        var last = output.FindLastIndex(l => l.StartsWith(RecordStart, StringComparison.Ordinal));
        Assert.True(first >= 0, "no audit record on standard output");
        var fromFirst = output[first..(last + 1)];
        Assert.All(fromFirst, line => Assert.StartsWith(RecordStart, line, StringComparison.Ordinal));
        Assert.Equal(Calls, fromFirst.Count);
        Assert.Contains(chatter, sample.StandardError);
        await AssertVerifiesAsync(fromFirst);
    }

    /// <summary>
    /// Standard output and standard error redirected to one regular file (<c>dotnet Service.dll &gt; service.log 2&gt;&amp;1</c>, or a
    /// process manager that does the same) share one file offset: the sink must write where the logs write, never at a position
    /// of its own, or records and log lines overwrite each other. Console chatter (sent to standard error while the sink runs)
    /// interleaves with the records; every record and every chatter line must come out whole.
    /// </summary>
    [Fact]
    public async Task StdoutAndStderrInOneRegularFile_LoseNoRecordAndNoLogLine()
    {
        var chatter = "chatter " + new string('x', 200);
        var (key, environment) = ChattyApiKeyEnvironment(chatter);
        using var folder = TemporaryFolder.Create("mcps-stdout-file-");
        var log = Path.Combine(folder.FullName, "service.log");
        const int Calls = 60;
        var sample = await SampleProcess.StartAsync(environment, TestContext.Current.CancellationToken, launcher: ["sh", "-c", "exec \"$@\" >\"$0\" 2>&1", log]);
        await using (sample)
        {
            for (var i = 0; i < Calls; i++)
            {
                using var call = await sample.CallToolAsync(key, "get_stock", """{"sku":"HAM-0001"}""", TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.OK, call.StatusCode);
                await Task.Delay(5, TestContext.Current.CancellationToken);
            }

            Assert.Equal(0, await sample.StopAsync(TimeSpan.FromSeconds(30)));
        }

        var lines = await File.ReadAllLinesAsync(log, TestContext.Current.CancellationToken);
        var records = lines.Where(l => l.StartsWith(RecordStart, StringComparison.Ordinal)).ToArray();
        Assert.Equal(Calls, records.Length);
        await AssertVerifiesAsync(records);
        Assert.Contains(chatter, lines);
        Assert.Contains(lines, line => line.Contains("Application is shutting down", StringComparison.Ordinal));

        // Nothing else, and nothing cut: every line is a whole record, a whole chatter line or a whole JSON log line.
        Assert.All(lines, line => Assert.True(
            line == chatter || (line.StartsWith('{') && IsJson(line)),
            $"a line that is neither a record, the console line nor a log line: {line[..Math.Min(line.Length, 120)]}"));
    }

    /// <summary>
    /// A process started with its standard output closed (<c>&gt;&amp;-</c>, or a supervisor that closes it) cannot write the
    /// stdout sink's records: it stops at startup with exit code 78 and the fix, as the file sink does for a path it cannot write
    /// — not an instance that reports ready and refuses every call once its first record fails.
    /// </summary>
    [Fact]
    public async Task StdoutSink_WithStandardOutputClosed_StopsAtStartup()
    {
        var (_, environment) = SampleProcess.ApiKey();
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{SampleProcess.FreePort()}";
        var result = await ProcessRunner.RunAsync("sh", ["-c", "exec dotnet \"$0\" >&-", SampleProcess.Dll], AppContext.BaseDirectory, environment, TimeSpan.FromMinutes(1), cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 78, result.Describe());
        Assert.Contains("the 'stdout' audit sink cannot write: standard output is closed", result.StandardError);
        Assert.DoesNotContain("Now listening", result.StandardError);
    }

    [Fact]
    public async Task AuditRecords_AreWrittenToStdout_AndTheVerifyCommandAcceptsThem()
    {
        var (key, environment) = SampleProcess.ApiKey();
        var sample = await SampleProcess.StartAsync(environment, TestContext.Current.CancellationToken);
        await using (sample)
        {
            using var ok = await sample.CallToolAsync(key, "get_stock", """{"sku":"HAM-0001"}""", TestContext.Current.CancellationToken);
            using var invalid = await sample.CallToolAsync(key, "get_stock", """{"sku":"nope"}""", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

            // SIGTERM: the audit buffer is flushed before the process ends.
            Assert.Equal(0, await sample.StopAsync(TimeSpan.FromSeconds(30)));
        }

        var records = sample.StandardOutput.Where(l => l.StartsWith(RecordStart, StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, records.Length);
        using (var first = JsonDocument.Parse(records[0]))
        {
            Assert.Equal("get_stock", first.RootElement.GetProperty("target").GetProperty("tool").GetString());
            Assert.Equal("operations", first.RootElement.GetProperty("actor").GetProperty("subject").GetString());
            Assert.Equal("ops", first.RootElement.GetProperty("actor").GetProperty("apiKeyId").GetString());
        }

        using (var second = JsonDocument.Parse(records[1]))
        {
            Assert.Equal("invalid", second.RootElement.GetProperty("outcome").GetString());
        }

        // The documented command: dotnet Inventory.dll --verify-audit <file>
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(file, sample.StandardOutput, TestContext.Current.CancellationToken);
            var verified = await VerifyAsync(file);
            Assert.True(verified.ExitCode == 0, verified.Describe());
            Assert.StartsWith("OK: 2 audit record(s) from 1 instance(s)", verified.StandardOutput);

            var lines = sample.StandardOutput.ToList();
            var index = lines.IndexOf(records[0]);
            lines[index] = records[0].Replace("HAM-0001", "HAM-0002", StringComparison.Ordinal);
            await File.WriteAllLinesAsync(file, lines, TestContext.Current.CancellationToken);
            var tampered = await VerifyAsync(file);
            Assert.Equal(1, tampered.ExitCode);
            Assert.Contains($"{file}:{index + 1}: MODIFIED", tampered.StandardOutput);

            // A file without records (the wrong file, or logs only) is not reported as intact.
            await File.WriteAllLinesAsync(file, sample.StandardOutput.Where(l => !l.StartsWith("{\"schema\":", StringComparison.Ordinal)), TestContext.Current.CancellationToken);
            var empty = await VerifyAsync(file);
            Assert.True(empty.ExitCode == 2, empty.Describe());
            Assert.Contains("Nothing to verify", empty.StandardError);

            // A directory (the audit volume) instead of its files says so, instead of "access denied".
            var directory = await VerifyAsync(Path.GetDirectoryName(file)!);
            Assert.True(directory.ExitCode == 2, directory.Describe());
            Assert.Contains("is a directory. Name the files in it, oldest first", directory.StandardError);

            // Rotated files as the shell expands audit.jsonl* (the current file first): read oldest first, and said so.
            var rotated = Directory.CreateTempSubdirectory("mcps-rotated-").FullName;
            try
            {
                var current = Path.Combine(rotated, "audit.jsonl");
                await File.WriteAllLinesAsync(current + ".1", [records[0]], TestContext.Current.CancellationToken);
                await File.WriteAllLinesAsync(current, [records[1]], TestContext.Current.CancellationToken);
                var globbed = await SampleProcess.RunToExitAsync(null, "--verify-audit", current, current + ".1");
                Assert.True(globbed.ExitCode == 0, globbed.Describe());
                Assert.StartsWith("OK: 2 audit record(s) from 1 instance(s)", globbed.StandardOutput);
                Assert.Contains($"Reading rotated files oldest first: {current}.1 {current}", globbed.StandardError);
            }
            finally
            {
                Directory.Delete(rotated, recursive: true);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Prometheus_RealServerScrapesTheSample_AndItsQueryApiReturnsTheToolCallCounter()
    {
        const string PrometheusBinary = "/usr/bin/prometheus";
        Assert.True(File.Exists(PrometheusBinary), "Prometheus is missing: run eng/setup.sh (Debian package 'prometheus').");
        var (key, environment) = SampleProcess.ApiKey();
        environment["McpService__Telemetry__Prometheus"] = "true";
        await using var sample = await SampleProcess.StartAsync(environment, TestContext.Current.CancellationToken);
        for (var i = 0; i < 3; i++)
        {
            using var response = await sample.CallToolAsync(key, "search_products", """{"query":"drill"}""", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var directory = Directory.CreateTempSubdirectory("mcps-prometheus-");
        var prometheusPort = SampleProcess.FreePort();
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: inventory
                metrics_path: /metrics
                static_configs:
                  - targets: ['127.0.0.1:{sample.Port}']
            """, TestContext.Current.CancellationToken);
        using var prometheus = ProcessRunner.Start(
            PrometheusBinary,
            [$"--config.file={Path.Combine(directory.FullName, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}", $"--web.listen-address=127.0.0.1:{prometheusPort}"],
            directory.FullName);
        prometheus.BeginOutputReadLine();
        prometheus.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient();
            var query = $"http://127.0.0.1:{prometheusPort}/api/v1/query?query=" + Uri.EscapeDataString("sum(mcpservices_tool_calls_total{job=\"inventory\",mcp_tool_name=\"search_products\",mcpservices_outcome=\"succeeded\"})");
            double? value = null;
            for (var i = 0; i < 120 && value is null; i++)
            {
                await Task.Delay(250, TestContext.Current.CancellationToken);
                try
                {
                    using var doc = JsonDocument.Parse(await http.GetStringAsync(query, TestContext.Current.CancellationToken));
                    var results = doc.RootElement.GetProperty("data").GetProperty("result");
                    if (results.GetArrayLength() > 0)
                    {
                        value = double.Parse(results[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
                catch (HttpRequestException)
                {
                    // Prometheus is still starting.
                }
            }

            Assert.Equal(3, value);
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync(CancellationToken.None);
            directory.Delete(recursive: true);
        }
    }

    private static Task<ProcessResult> VerifyAsync(string file) =>
        SampleProcess.RunToExitAsync(null, "--verify-audit", file);

    /// <summary>
    /// The sample with an API key and a startup hook (tests/ConsoleChatter) that writes <paramref name="chatter"/> to the console
    /// every few milliseconds from the moment the process starts, as a chatty tool or library would.
    /// </summary>
    private static (string Key, IDictionary<string, string?> Environment) ChattyApiKeyEnvironment(string chatter)
    {
        var (key, environment) = SampleProcess.ApiKey();
        environment["DOTNET_STARTUP_HOOKS"] = RepoPaths.BuiltAssembly("ConsoleChatter");
        environment["CHATTER_LINE"] = chatter;
        return (key, environment);
    }

    private static bool IsJson(string line)
    {
        try
        {
            using var _ = JsonDocument.Parse(line);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Writes <paramref name="records"/> to a file and checks that the documented command finds the trail intact.</summary>
    private static async Task AssertVerifiesAsync(IEnumerable<string> records)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(file, records, TestContext.Current.CancellationToken);
            var verified = await VerifyAsync(file);
            Assert.True(verified.ExitCode == 0, verified.Describe());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
