using System.Net;
using System.Text.Json;
using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>The sample's audit trail and metrics, seen from outside the process as an operator sees them.</summary>
public sealed class ObservabilityTests
{
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

        var records = sample.StandardOutput.Where(l => l.StartsWith("{\"schema\":\"mcpservices.io/audit/v1\"", StringComparison.Ordinal)).ToArray();
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
}
