using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Hosting;

public sealed class ProtocolVersionTests
{
    [Theory]
    [InlineData("2025-11-25")]
    [InlineData("2026-07-28")]
    public async Task Stateless_ClientPinnedToVersion_ListsAndCalls(string version)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        await using var client = await server.ConnectAsync(new McpTestClientOptions { ProtocolVersion = version });

        Assert.Equal(version, client.NegotiatedProtocolVersion);
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(tools, t => t.Name == "add");
        var result = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1, ["b"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("2", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public async Task Stateless_IsTheDefault_NoSessionIdIsIssued()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        await using var client = await server.ConnectAsync(new McpTestClientOptions { ProtocolVersion = "2025-11-25" });

        Assert.Null(client.SessionId);
    }

    [Fact]
    public async Task Stateful_ByOption_IssuesSessions_AndServesInitializeClients()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = HttpServerSessionMode.Stateful);
        await using var client = await server.ConnectAsync();

        Assert.Equal("2025-11-25", client.NegotiatedProtocolVersion);
        Assert.False(string.IsNullOrEmpty(client.SessionId));
        var result = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 2 }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("4", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }
}
