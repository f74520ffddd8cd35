//#if (!AuthNone)
using System.Net;
//#endif
using McpServices.Testing;
using ModelContextProtocol.Protocol;

namespace My_Mcp_Service.Tests;

/// <summary>The service as agents see it: a real server on 127.0.0.1, the MCP SDK's client, audit records captured.</summary>
public sealed class TicketToolsTests : IAsyncLifetime
{
    private readonly ServiceFactory _service = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task ListsTheTools()
    {
        await using var client = await _service.ConnectAsync(_service.Caller("tickets:read", "tickets:write"), TestContext.Current.CancellationToken);

        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

//#if (AuthNone)
        // Without authentication every caller sees every tool, including those you add.
        Assert.Superset(new HashSet<string> { "get_ticket", "open_ticket", "search_tickets" }, tools.Select(t => t.Name).ToHashSet());
//#else
        // Each caller sees the tools its scopes allow: tools you add with scopes of their own stay out of this list.
        Assert.Equal(["get_ticket", "open_ticket", "search_tickets"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
//#endif
    }

    [Fact]
    public async Task SearchTickets_FindsByTitle()
    {
        await using var client = await _service.ConnectAsync(_service.Caller("tickets:read"), TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("search_tickets", new Dictionary<string, object?> { ["query"] = "printer" }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        Assert.Contains("TCK-1001", Assert.IsType<TextContentBlock>(result.Content[0]).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidArguments_AreRefusedBeforeTheToolRuns_NamingEveryField()
    {
        await using var client = await _service.ConnectAsync(_service.Caller("tickets:read"), TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("search_tickets", new Dictionary<string, object?> { ["query"] = "x", ["limit"] = 500 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        var text = Assert.IsType<TextContentBlock>(result.Content[0]).Text;
        Assert.Contains("query", text, StringComparison.Ordinal);
        Assert.Contains("limit", text, StringComparison.Ordinal);
    }
//#if (!AuthNone)

    [Fact]
    public async Task OpenTicket_WithoutTheWriteScope_IsRefused()
    {
        await using var client = await _service.ConnectAsync(_service.Caller("tickets:read"), TestContext.Current.CancellationToken);

        // The service answers 403 with the MCP step-up challenge (WWW-Authenticate: Bearer error="insufficient_scope",
        // scope="..."), and a JSON-RPC error naming the missing scope; the SDK's client surfaces both as HttpRequestException.
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.CallToolAsync(
            "open_ticket",
            new Dictionary<string, object?> { ["title"] = "Coffee machine leaks", ["team"] = "facilities", ["reporterEmail"] = "ana@example.com" },
            cancellationToken: TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("tickets:write", refused.Message, StringComparison.Ordinal);
        var record = await _service.Audit.WaitForToolAsync("open_ticket", TestContext.Current.CancellationToken);
        Assert.Equal("denied", record.GetProperty("outcome").GetString());
    }
//#endif

    [Fact]
    public async Task OpenTicket_IsAudited_WithTheSensitiveArgumentRedacted()
    {
        await using var client = await _service.ConnectAsync(_service.Caller("tickets:read", "tickets:write"), TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync(
            "open_ticket",
            new Dictionary<string, object?> { ["title"] = "Coffee machine leaks", ["team"] = "facilities", ["reporterEmail"] = "ana@example.com" },
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        var record = await _service.Audit.WaitForToolAsync("open_ticket", TestContext.Current.CancellationToken);
        Assert.Equal("succeeded", record.GetProperty("outcome").GetString());
        Assert.Equal("facilities", record.GetProperty("arguments").GetProperty("team").GetString());
        Assert.DoesNotContain("ana@example.com", record.GetRawText(), StringComparison.Ordinal);
    }
}
