using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>McpServiceFactory runs the service's real Program, isolated from what its configuration points at outside tests.</summary>
public sealed class TestingKitTests
{
    [Fact]
    public async Task AuditSinksTheServiceConfigures_AreReplacedByTheInMemorySink()
    {
        // A service whose appsettings.json sends the audit trail to a file and to a collector: in its tests the file must not appear
        // in the project folder, and a collector that is not there must not make the fail-closed trail refuse every call.
        using var folder = TemporaryFolder.Create("mcps-kit-");
        var file = Path.Combine(folder.FullName, "audit.jsonl");
        await using var factory = new InventoryFactory(settings: new Dictionary<string, string>
        {
            ["McpService:Audit:Sinks:0"] = "file",
            ["McpService:Audit:FilePath"] = file,
            ["McpService:Audit:Sinks:1"] = "otlp",
            ["McpService:Audit:OtlpEndpoint"] = "http://127.0.0.1:9",
        });
        await using var client = await factory.ConnectAsOperatorAsync(TestContext.Current.CancellationToken);

        for (var i = 0; i < 3; i++)
        {
            var result = await client.CallToolAsync("get_stock", new Dictionary<string, object?> { ["sku"] = "HAM-0001" }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.NotEqual(true, result.IsError);
        }

        Assert.Equal("succeeded", (await factory.Audit.WaitForToolAsync("get_stock", TestContext.Current.CancellationToken)).GetProperty("outcome").GetString());
        Assert.False(File.Exists(file), "the test wrote the service's audit file");
    }
}
