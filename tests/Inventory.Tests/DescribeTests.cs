using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary><c>dotnet Inventory.dll --describe</c>, run as a real process.</summary>
public sealed class DescribeTests
{
    [Fact]
    public async Task Describe_PrintsDescription_MatchingTheApprovedSnapshot()
    {
        var result = await DescribeAsync();

        Assert.True(result.ExitCode == 0, result.Describe());
        Snapshot.Match(result.StandardOutput, "tests", "Inventory.Tests", "Snapshots", "inventory.describe.approved.json");
    }

    [Fact]
    public async Task Describe_IsDeterministic()
    {
        var first = await DescribeAsync();
        var second = await DescribeAsync();

        Assert.Equal(first.StandardOutput, second.StandardOutput);
    }

    [Fact]
    public async Task Describe_DoesNotBindAPort_OrStartTheServer()
    {
        // Occupy a port and point the service at it: if --describe started the server, binding would fail.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await DescribeAsync(new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });

        Assert.True(result.ExitCode == 0, result.Describe());
        using var doc = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("inventory", doc.RootElement.GetProperty("name").GetString());
        Assert.DoesNotContain("Now listening", result.StandardError);
    }

    [Fact]
    public async Task Describe_ListsExactlyTheToolsThatToolsListReturns()
    {
        var described = await DescribeAsync();
        using var doc = JsonDocument.Parse(described.StandardOutput);
        var describedTools = doc.RootElement.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToArray();

        await using var factory = new InventoryFactory();
        await using var client = await factory.ConnectAsOperatorAsync(TestContext.Current.CancellationToken);
        var listed = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(listed.Select(t => t.Name), describedTools);
        foreach (var tool in listed)
        {
            var description = doc.RootElement.GetProperty("tools").EnumerateArray().Single(t => t.GetProperty("name").GetString() == tool.Name);
            Assert.Equal(tool.Description, description.GetProperty("description").GetString());
            Assert.Equal(tool.ProtocolTool.InputSchema.GetRawText().Replace(" ", "", StringComparison.Ordinal), JsonSerializer.Serialize(description.GetProperty("inputSchema")).Replace(" ", "", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Describe_ReflectsConfiguration()
    {
        var result = await DescribeAsync(new Dictionary<string, string?> { ["McpService__Path"] = "/agents/mcp", ["McpService__Version"] = "1.2.3" });

        using var doc = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("1.2.3", doc.RootElement.GetProperty("version").GetString());
        Assert.Equal("/agents/mcp", doc.RootElement.GetProperty("endpoints").GetProperty("mcp").GetString());
    }

    [Fact]
    public async Task DotnetRun_Describe_PrintsTheSameDescription()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Name;
        // In the environment the direct run uses: the launch profile's Development would add this machine's user secrets (the
        // sample's dotnet user-jwts issuer, among the description's authorization servers) to the configuration.
        var run = await ProcessRunner.RunAsync(
            "dotnet",
            ["run", "--no-build", "--no-launch-profile", "-v", "q", "-c", configuration, "--project", RepoPaths.Combine("samples", "Inventory"), "--", "--describe"],
            RepoPaths.Root,
            new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            timeout: TimeSpan.FromMinutes(2),
            cancellationToken: TestContext.Current.CancellationToken);
        var direct = await DescribeAsync();

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal(direct.StandardOutput, run.StandardOutput);
    }

    private static Task<ProcessResult> DescribeAsync(IDictionary<string, string?>? environment = null) =>
        SampleProcess.RunToExitAsync(environment, "--describe");
}
