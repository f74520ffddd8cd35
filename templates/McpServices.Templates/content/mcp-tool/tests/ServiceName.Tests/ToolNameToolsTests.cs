using ModelContextProtocol.Protocol;

namespace ServiceRootNamespace.Tests;

public sealed class ToolNameToolsTests : IAsyncLifetime
{
    private readonly ServiceFactory _service = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task GetToolName_ReturnsTheItem()
    {
        await using var client = await _service.ConnectAsync(_service.Caller("toolnamelower:read"), TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("get_toolnamelower", new Dictionary<string, object?> { ["request"] = new { id = "ABC-0001", quantity = 2 } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        Assert.Contains("2 x ABC-0001", Assert.IsType<TextContentBlock>(result.Content[0]).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToolName_InvalidRequest_IsRefusedByTheValidator()
    {
        await using var client = await _service.ConnectAsync(_service.Caller("toolnamelower:read"), TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("get_toolnamelower", new Dictionary<string, object?> { ["request"] = new { id = "nope", quantity = 0 } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        var text = Assert.IsType<TextContentBlock>(result.Content[0]).Text;
        Assert.Contains("Id must look like ABC-0001.", text, StringComparison.Ordinal);
        Assert.Contains("Quantity", text, StringComparison.Ordinal);
    }
}
