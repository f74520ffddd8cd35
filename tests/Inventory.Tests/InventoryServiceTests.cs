using System.Text.Json;
using McpServices.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Inventory.Tests;

public sealed class InventoryServiceTests : IAsyncLifetime
{
    private InventoryFactory _factory = null!;
    private McpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _factory = new InventoryFactory();
        _client = await _factory.ConnectAsOperatorAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task ListTools_ExposesTheThreeInventoryTools_WithHints()
    {
        var tools = await _client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["adjust_stock", "get_stock", "search_products"], tools.Select(t => t.Name));
        Assert.True(tools.Single(t => t.Name == "adjust_stock").ProtocolTool.Annotations?.DestructiveHint);
        Assert.True(tools.Single(t => t.Name == "get_stock").ProtocolTool.Annotations?.ReadOnlyHint);
        Assert.NotNull(tools.Single(t => t.Name == "search_products").ProtocolTool.OutputSchema);
    }

    [Fact]
    public async Task SearchProducts_FindsByName_AndHonoursLimit()
    {
        var result = await CallAsync("search_products", new { query = "drill", limit = 1 });

        Assert.NotEqual(true, result.IsError);
        var structured = result.StructuredContent!.Value;
        Assert.Equal(2, structured.GetProperty("totalMatches").GetInt32());
        var product = Assert.Single(structured.GetProperty("products").EnumerateArray());
        Assert.StartsWith("DRL-", product.GetProperty("sku").GetString());
    }

    [Fact]
    public async Task SearchProducts_LimitOutOfRange_IsInvalid()
    {
        var result = await CallAsync("search_products", new { query = "drill", limit = 500 });

        Assert.True(result.IsError);
        Assert.Contains("limit", Assert.IsType<TextContentBlock>(result.Content[0]).Text);
    }

    [Fact]
    public async Task GetStock_ReturnsPerWarehouseLevels()
    {
        var result = await CallAsync("get_stock", new { sku = "HAM-0001" });

        var report = result.StructuredContent!.Value;
        Assert.Equal("Claw hammer 16 oz", report.GetProperty("name").GetString());
        Assert.Equal(3, report.GetProperty("warehouses").GetArrayLength());
    }

    [Fact]
    public async Task GetStock_UnknownSku_IsAToolErrorForTheCaller()
    {
        var result = await CallAsync("get_stock", new { sku = "ZZZ-9999" });

        Assert.True(result.IsError);
        Assert.Equal("No product has the SKU 'ZZZ-9999'.", Assert.IsType<TextContentBlock>(result.Content[0]).Text);
    }

    [Fact]
    public async Task AdjustStock_Valid_ChangesOnHand()
    {
        var before = (await CallAsync("get_stock", new { sku = "SAW-0001", warehouse = "ams-1" })).StructuredContent!.Value
            .GetProperty("warehouses")[0].GetProperty("onHand").GetInt32();

        var result = await CallAsync("adjust_stock", new { adjustment = new { sku = "SAW-0001", warehouse = "ams-1", delta = 5, reason = "goods received" } });

        Assert.NotEqual(true, result.IsError);
        using var doc = JsonDocument.Parse(Assert.IsType<TextContentBlock>(result.Content[0]).Text);
        Assert.Equal(before, doc.RootElement.GetProperty("previousOnHand").GetInt32());
        Assert.Equal(before + 5, doc.RootElement.GetProperty("onHand").GetInt32());
    }

    [Fact]
    public async Task AdjustStock_BreaksRules_ReportsEveryField()
    {
        // An inventory admin passes the own-warehouse policy for any warehouse, so the call reaches validation.
        var admin = _factory.Token(new McpTestToken { Scopes = ["inventory:read", "inventory:write"], Roles = ["inventory-admin"] });
        await using var client = await _factory.ConnectAsync(new McpTestClientOptions { AccessToken = admin }, TestContext.Current.CancellationToken);
        var result = await CallAsync("adjust_stock", new { adjustment = new { sku = "SAW-001", warehouse = "mars-1", delta = 0, reason = "x" } }, client);

        Assert.True(result.IsError);
        var fields = result.StructuredContent!.Value.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToArray();
        Assert.Equal(["adjustment.sku", "adjustment.reason", "adjustment.delta", "adjustment.warehouse", "adjustment.sku"], fields);
    }

    [Fact]
    public async Task AdjustStock_BelowReserved_IsRefusedWithTheReason()
    {
        var result = await CallAsync("adjust_stock", new { adjustment = new { sku = "GLV-0001", warehouse = "ams-1", delta = -10_000, reason = "write-off" } });

        Assert.True(result.IsError);
        Assert.Contains("less stock than is reserved", Assert.IsType<TextContentBlock>(result.Content[0]).Text);
    }

    private async Task<CallToolResult> CallAsync(string tool, object arguments, McpClient? client = null)
    {
        var json = JsonSerializer.SerializeToElement(arguments);
        return await (client ?? _client).CallToolAsync(tool, json.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value), cancellationToken: TestContext.Current.CancellationToken);
    }
}
