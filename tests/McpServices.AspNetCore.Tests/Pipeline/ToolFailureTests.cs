using McpServices.AspNetCore.Tests.TestTools;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Pipeline;

public sealed class ToolFailureTests
{
    [Fact]
    public async Task UnexpectedException_ReturnsSafeMessageWithReference_AndNoInternals()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<FailingTools>());
        await using var client = await server.ConnectAsync();

        var result = await client.CallToolAsync("crash", cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Matches("^The tool 'crash' failed unexpectedly\\. Reference: [0-9a-f]{32}\\.$", text);
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("InvalidOperationException", text);
        Assert.DoesNotContain(" at ", text);
    }

    [Fact]
    public async Task AStageThatThrowsBeforeTheTool_IsAFailedCall_WithTheSafeMessage_AndNeverRecordedAsSucceeded()
    {
        // A validator (or authorization handler, or a service they use) with a bug: the SDK would answer with its own message,
        // and the audit record said "succeeded" for a call that never ran.
        await using var server = await TestServer.StartAsync(b => b.WithTools<ShippingTools>(),
            configure: b => b.Services.AddSingleton<FluentValidation.IValidator<Parcel>, BrokenParcelValidator>());
        await using var client = await server.ConnectAsync();

        var result = await client.CallToolAsync("ship", new Dictionary<string, object?> { ["parcel"] = new { label = "box" } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Matches("^The call to the tool 'ship' failed unexpectedly\\. Reference: [0-9a-f]{32}\\.$", text);
        Assert.DoesNotContain("hunter2", text);
        Assert.Equal(0, server.Log().Count("ship"));

        var record = await server.Audit.WaitForToolAsync("ship", TestContext.Current.CancellationToken);
        Assert.Equal("failed", record.GetProperty("outcome").GetString());
        Assert.Equal("internal_error", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(text, record.GetProperty("error").GetProperty("message").GetString());
        Assert.EndsWith(record.GetProperty("id").GetString() + ".", text);
    }

    [Fact]
    public async Task ToolException_ReturnsItsMessageToTheCaller()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<FailingTools>());
        await using var client = await server.ConnectAsync();

        var result = await client.CallToolAsync("out_of_stock", new Dictionary<string, object?> { ["sku"] = "ABC-1234" }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.Equal("Only 3 units of ABC-1234 are left.", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public async Task ToolReturningErrorResult_IsPassedThrough()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<FailingTools>());
        await using var client = await server.ConnectAsync();

        var result = await client.CallToolAsync("soft_error", cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.Equal("soft failure", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public void ToolException_RequiresAnErrorCode()
    {
        Assert.Throws<ArgumentException>(() => new ToolException("message", " "));
        Assert.Equal(ToolException.DefaultErrorCode, new ToolException("message").ErrorCode);
    }
}
