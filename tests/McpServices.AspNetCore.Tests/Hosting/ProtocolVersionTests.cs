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
        // Ending it again: the transport requires 404 for a session that has ended (the SDK alone answered 200).
        Assert.Equal(System.Net.HttpStatusCode.NotFound, await SendAsync(HttpMethod.Delete, aliceToken));
    }

    [Theory]
    [InlineData("no-such-session", 404, -32001, "Session not found")]
    [InlineData(null, 400, -32000, "Bad Request: Mcp-Session-Id header is required for DELETE requests.")]
    public async Task Stateful_DeletingAnUnknownSession_Is404_AndWithoutASessionId_Is400(string? sessionId, int status, int code, string message)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = HttpServerSessionMode.Stateful);
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        using var request = new HttpRequestMessage(HttpMethod.Delete, server.McpEndpoint);
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        if (sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", sessionId);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(status, (int)response.StatusCode);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(code, body.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(message, body.RootElement.GetProperty("error").GetProperty("message").GetString());

        // The live session was not touched, and the SDK's own answers stand: 405 on the session-free protocol revision.
        var result = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 2 }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEqual(true, result.IsError);
        using var newer = new HttpRequestMessage(HttpMethod.Delete, server.McpEndpoint);
        newer.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        newer.Headers.Add("Mcp-Session-Id", client.SessionId);
        using var refused = await http.SendAsync(newer, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, refused.StatusCode);
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
