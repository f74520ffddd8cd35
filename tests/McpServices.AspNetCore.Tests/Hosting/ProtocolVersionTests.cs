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

    [Fact]
    public async Task Stateful_ASessionCannotBeUsedByAnotherCaller()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.SessionMode = HttpServerSessionMode.Stateful, authentication: true);
        await using var alice = await server.ConnectWithScopesAsync("inventory:read");
        Assert.False(string.IsNullOrEmpty(alice.SessionId));
        using var http = server.CreateHttpClient();
        var mallory = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "mallory", Scopes = ["inventory:read"] });

        using var request = Http.RequestGateTests.Post("""{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"read_stock"}}""");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", mallory);
        request.Headers.Add("Mcp-Session-Id", alice.SessionId);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, server.Log().Count("read_stock"));
        var record = await server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken);
        Assert.Equal("mallory", record.GetProperty("actor").GetProperty("subject").GetString());
        Assert.Equal("denied", record.GetProperty("outcome").GetString());
        Assert.Equal("session_forbidden", record.GetProperty("error").GetProperty("code").GetString());

        // The session's owner still uses it.
        var result = await alice.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEqual(true, result.IsError);
    }

    [Fact]
    public async Task Stateful_AnotherCallerCannotEndOrListenToASession_ItsOwnerCan()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.SessionMode = HttpServerSessionMode.Stateful, authentication: true);
        await using var alice = await server.ConnectWithScopesAsync("inventory:read");
        using var http = server.CreateHttpClient();
        var aliceToken = server.Token("inventory:read");
        var mallory = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "mallory", Scopes = ["inventory:read"] });

        async Task<System.Net.HttpStatusCode> SendAsync(HttpMethod method, string? token)
        {
            using var request = new HttpRequestMessage(method, server.McpEndpoint);
            request.Headers.Add("Mcp-Session-Id", alice.SessionId);
            request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            return response.StatusCode;
        }

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Delete, null));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Delete, mallory));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Get, mallory));

        // The session survived both attempts; its owner ends it, and then it is gone.
        Assert.NotEqual(true, (await alice.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken)).IsError);
        Assert.Equal(System.Net.HttpStatusCode.OK, await SendAsync(HttpMethod.Delete, aliceToken));
        using var after = Http.RequestGateTests.Post("""{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"read_stock"}}""");
        after.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", aliceToken);
        after.Headers.Add("Mcp-Session-Id", alice.SessionId);
        using var response = await http.SendAsync(after, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Stateful_ACallOnAnUnknownSession_Is404_AndAuditedAsSuch()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = HttpServerSessionMode.Stateful);
        using var http = server.CreateHttpClient();

        using var request = Http.RequestGateTests.Post("""{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}""");
        request.Headers.Add("Mcp-Session-Id", "no-such-session");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        var record = await server.Audit.WaitForToolAsync("add", TestContext.Current.CancellationToken);
        Assert.Equal(("invalid", "session_not_found"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
    }
}
