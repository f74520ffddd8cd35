using System.Text.Json;
using System.Text.RegularExpressions;
using McpServices.Tests.Common;

namespace Conformance.Tests;

/// <summary>
/// The official MCP conformance suite (<c>@modelcontextprotocol/conformance</c>, pinned in <c>tests/interop/package-lock.json</c>)
/// against <c>samples/Conformance</c>, started as a real process with authentication off and the audit trail on stdout.
/// </summary>
public sealed partial class ConformanceSuiteTests
{
    private static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The released suite: every scenario (active and pending) against the stateful service, with no expected failures.</summary>
    [Fact]
    public async Task ReleasedSuite_EveryScenario_Passes()
    {
        var run = await RunSuiteAsync("Stateful", "@modelcontextprotocol/conformance", ["--suite", "all"]);

        Assert.True(run.Result.ExitCode == 0, run.Result.Describe());
        Assert.Equal(0, run.Failed);
        Assert.True(run.Passed >= 40, run.Result.Describe());
        AssertEveryToolCallAudited(run);
    }

    /// <summary>The newest suite with the 2025-11-25 requirement set (the initialize handshake), against the stateful service.</summary>
    [Fact]
    public async Task NewestSuite_2025_11_25_Requirements_Pass()
    {
        var run = await RunSuiteAsync("Stateful", "@modelcontextprotocol/conformance-next", ["--requirements", "2025-11-25"]);

        Assert.True(run.Result.ExitCode == 0, run.Result.Describe());
        Assert.Equal(0, run.Failed);
        AssertEveryToolCallAudited(run);
    }

    /// <summary>
    /// The newest suite with the 2026-07-28 requirement set (stateless: <c>server/discover</c>, per-request <c>_meta</c>,
    /// multi round-trip requests), against the stateless service. Only the baseline's unscored extension may fail.
    /// </summary>
    [Fact]
    public async Task NewestSuite_2026_07_28_Requirements_Pass()
    {
        var baseline = Path.Combine(AppContext.BaseDirectory, "conformance-baseline.yml");
        var run = await RunSuiteAsync("Stateless", "@modelcontextprotocol/conformance-next", ["--requirements", "2026-07-28", "--expected-failures", baseline]);

        Assert.True(run.Result.ExitCode == 0, run.Result.Describe());
        var failing = FailingScenario().Matches(run.Result.StandardOutput).Select(m => m.Groups["name"].Value).Distinct().Order().ToArray();
        var expected = File.ReadAllLines(baseline).Select(l => l.Trim()).Where(l => l.StartsWith("- ", StringComparison.Ordinal))
            .Select(l => l[2..].Split('#')[0].Trim()).Order().ToArray();
        Assert.Equal(expected, failing);
        Assert.Contains("server-stateless", run.Result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("✗ server-stateless", run.Result.StandardOutput, StringComparison.Ordinal);

        // Multi round-trip calls are audited round by round: the rounds that asked for input, and the completed calls.
        var outcomes = run.AuditRecords.Select(r => r.GetProperty("outcome").GetString()).ToArray();
        Assert.Contains("input_required", outcomes);
        Assert.Contains("succeeded", outcomes);
        AssertEveryToolCallAudited(run);
    }

    private static void AssertEveryToolCallAudited(SuiteRun run)
    {
        Assert.NotEmpty(run.AuditRecords);
        Assert.All(run.AuditRecords, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("target").GetProperty("tool").GetString())));
        Assert.True(run.Verified.ExitCode == 0, run.Verified.Describe());
        Assert.StartsWith($"OK: {run.AuditRecords.Count} audit record(s)", run.Verified.StandardOutput, StringComparison.Ordinal);
    }

    private static async Task<SuiteRun> RunSuiteAsync(string sessionMode, string package, string[] arguments)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var service = await ServiceProcess.StartAsync("Conformance.dll", new Dictionary<string, string?> { ["McpService__SessionMode"] = sessionMode }, cancellationToken);
        ProcessResult result;
        var output = Directory.CreateTempSubdirectory("mcps-conformance-");
        await using (service)
        {
            var suite = Path.Combine(InteropTools.Directory, "node_modules", package, "dist", "index.js");
            Assert.True(File.Exists(suite), $"{package} is missing: run eng/setup.sh (or 'npm ci' in tests/interop).");

            // The suite checks Host/Origin handling against "localhost"; the service listens on the loopback address.
            result = await ProcessRunner.RunAsync(
                InteropTools.Node,
                [suite, "server", "--url", $"http://localhost:{service.Port}/mcp", "-o", output.FullName, .. arguments],
                InteropTools.Directory,
                timeout: SuiteTimeout,
                cancellationToken: cancellationToken);
            TestContext.Current.TestOutputHelper?.WriteLine(result.StandardOutput[Math.Max(0, result.StandardOutput.IndexOf("=== SUMMARY ===", StringComparison.Ordinal))..]);

            // SIGTERM flushes the audit trail before the process ends.
            Assert.Equal(0, await service.StopAsync(TimeSpan.FromSeconds(30)));
        }

        output.Delete(recursive: true);
        var total = Total().Match(result.StandardOutput);
        Assert.True(total.Success, result.Describe());
        var lines = service.StandardOutput.Where(l => l.StartsWith("{\"schema\":\"mcpservices.io/audit/v1\"", StringComparison.Ordinal)).ToArray();
        var records = lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var verified = await ProcessRunner.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Conformance.dll"), "--verify-audit", "-"],
            AppContext.BaseDirectory,
            standardInput: string.Join('\n', lines) + "\n",
            timeout: TimeSpan.FromMinutes(1),
            cancellationToken: cancellationToken);
        return new SuiteRun(result, int.Parse(total.Groups["passed"].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(total.Groups["failed"].Value, System.Globalization.CultureInfo.InvariantCulture), records, verified);
    }

    [GeneratedRegex(@"^Total: (?<passed>\d+) passed, (?<failed>\d+) failed", RegexOptions.Multiline)]
    private static partial Regex Total();

    [GeneratedRegex(@"^✗ (?<name>[a-z0-9\-]+):", RegexOptions.Multiline)]
    private static partial Regex FailingScenario();

    private sealed record SuiteRun(ProcessResult Result, int Passed, int Failed, IReadOnlyList<JsonElement> AuditRecords, ProcessResult Verified);
}
