using System.Text.Json;
using McpServices.Tests.Common;

namespace Conformance.Tests;

/// <summary>
/// The benchmarks (<c>bench/</c>) are not part of the test run, so a benchmark whose setup stops working (a new startup check its
/// configuration does not satisfy, say) would only show in the next benchmark run. Here every micro-benchmark runs once, and the
/// load test runs with rounds of a second: what they measure is not judged, only that they still measure it.
/// </summary>
public sealed class BenchmarkSmokeTests
{
    /// <summary>
    /// <c>bench/run.sh</c> with rounds of one second: the three servers build, start, answer every call with 2xx, and the governed
    /// server's audit trail holds a verified record for every call it answered.
    /// </summary>
    [Fact]
    public async Task LoadTest_RunsEveryServer_WithoutErrorsOrLostAuditRecords()
    {
        var output = Directory.CreateTempSubdirectory("mcps-load-smoke-");
        try
        {
            var run = await ProcessRunner.RunAsync(
                "bash",
                [RepoPaths.Combine("bench", "run.sh"), "--output", output.FullName, "--duration", "1", "--rounds", "1", "--warmup", "1", "--single-rounds", "1", "--starts", "1"],
                workingDirectory: RepoPaths.Root,
                timeout: TimeSpan.FromMinutes(5),
                cancellationToken: TestContext.Current.CancellationToken);

            Assert.True(run.ExitCode == 0, run.Describe());
            using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output.FullName, "results.json"), TestContext.Current.CancellationToken));
            var servers = results.RootElement.GetProperty("servers").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
            Assert.Equal(["bare", "governed", "off"], servers.Keys.Order(StringComparer.Ordinal));
            Assert.All(servers.Values, s =>
            {
                Assert.Equal(0, s.GetProperty("non2xx").GetInt32());
                Assert.True(s.GetProperty("rps").GetDouble() > 0, s.ToString());
            });
            var audit = results.RootElement.GetProperty("audit");
            Assert.True(audit.GetProperty("answered").GetInt64() > 0, audit.ToString());
            Assert.Equal(0, audit.GetProperty("lost").GetInt64());
            Assert.Equal(0, audit.GetProperty("verify_exit_code").GetInt32());
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Every micro-benchmark (<c>bench/Micro</c>) once, in process (BenchmarkDotNet's dry job): its setup, one invocation with the
    /// checks it makes on the answer, its cleanup.
    /// </summary>
    [Fact]
    public async Task EveryMicroBenchmark_RunsOnce()
    {
        // Built with the solution (the project reference orders it), in the configuration of this test run.
        var benchmarks = RepoPaths.BuiltAssembly("McpServices.Benchmarks");
        var output = Directory.CreateTempSubdirectory("mcps-bench-smoke-");
        try
        {
            var run = await ProcessRunner.RunAsync(
                "dotnet",
                [benchmarks, "--filter", "*", "--job", "Dry", "--inProcess", "--artifacts", output.FullName],
                // Not this test's folder, which holds the conformance sample's appsettings.json (the benchmarks' hosts read none).
                workingDirectory: Path.GetDirectoryName(benchmarks),
                timeout: TimeSpan.FromMinutes(5),
                cancellationToken: TestContext.Current.CancellationToken);

            // Program.cs exits with 1 when a benchmark failed (BenchmarkDotNet itself reports it as "NA" and exits with 0).
            Assert.True(run.ExitCode == 0, run.Describe());
            Assert.Contains("'tools/call (16 concurrent)'", run.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("'6 audit: serialize, redact, hash and chain a record'", run.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
