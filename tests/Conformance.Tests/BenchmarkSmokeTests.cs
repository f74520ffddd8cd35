using McpServices.Tests.Common;

namespace Conformance.Tests;

/// <summary>
/// The micro-benchmarks (<c>bench/Micro</c>) are not part of the test run, so a benchmark whose setup stops working (a new startup
/// check its configuration does not satisfy, say) would only show as "NA" in the next benchmark run. Every benchmark runs once
/// here, in process (BenchmarkDotNet's dry job): its setup, one invocation with the checks it makes on the answer, its cleanup.
/// </summary>
public sealed class BenchmarkSmokeTests
{
    [Fact]
    public async Task EveryMicroBenchmark_RunsOnce()
    {
        // Built with the solution (the project reference orders it), in the configuration of this test run.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        var benchmarks = RepoPaths.Combine("artifacts", "bin", "McpServices.Benchmarks", configuration, "McpServices.Benchmarks.dll");
        Assert.True(File.Exists(benchmarks), $"{benchmarks} is missing: build the solution first.");
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
