using System.Net;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>
/// A stateful session belongs to the caller who started it. The MCP SDK binds it to the user's NameIdentifier, sub or UPN claim
/// and refused to start one at all for a client-credentials token without a subject (Duende IdentityServer issues only
/// client_id); McpServices identifies such a caller by its client id, and so does the session now.
/// </summary>
public sealed class SessionBindingTests
{
    private const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"agent","version":"1"}}}""";
    private const string Call = """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}""";

    [Theory]
    [InlineData(HttpServerSessionMode.Stateful)]
    [InlineData(HttpServerSessionMode.StatefulForInitializeClients)]
    public async Task AClientCredentialsTokenWithoutASubject_StartsAStatefulSession_BoundToItsClient(HttpServerSessionMode mode)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = mode, authentication: true);
        string ClientToken(string client) => server.Token(t => { t.Subject = null; t.ClientId = client; });

        // The SDK's own client: initialize, then a call in the session.
        await using (var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = ClientToken("agent-a"), ProtocolVersion = "2025-11-25" }, TestContext.Current.CancellationToken))
        {
            var result = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal("3", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        }

        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "add", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("succeeded", record.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("actor").GetProperty("subject").ValueKind); // the token has none
        Assert.Equal("agent-a", record.GetProperty("actor").GetProperty("clientId").GetString());

        // The session is the client's: another client's token cannot use it, another token of the same client can.
        using var http = server.CreateHttpClient();
        var (status, _, session) = await SendAsync(http, Initialize, ClientToken("agent-a"), session: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(session);

        server.Audit.Clear();
        (status, var body, _) = await SendAsync(http, Call, ClientToken("agent-b"), session);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("does not match the user who initiated the session", body, StringComparison.Ordinal);
        var refused = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "add", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("session_forbidden", refused.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("agent-b", refused.GetProperty("actor").GetProperty("clientId").GetString());

        (status, body, _) = await SendAsync(http, Call, ClientToken("agent-a"), session);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"text\":\"3\"", body, StringComparison.Ordinal);

        // Ending the session (DELETE, outside the POST path) is the client's too.
        Assert.Equal(HttpStatusCode.Forbidden, await DeleteAsync(http, ClientToken("agent-b"), session));
        Assert.Equal(HttpStatusCode.OK, await DeleteAsync(http, ClientToken("agent-a"), session));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(http, Call, ClientToken("agent-a"), session)).Status);
    }

    [Fact]
    public async Task ASessionStartedWithASubject_IsRefusedToAnotherSubjectOfTheSameClient()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = HttpServerSessionMode.Stateful, authentication: true);
        using var http = server.CreateHttpClient();

        var (_, _, session) = await SendAsync(http, Initialize, server.Token(t => t.Subject = "alice"), session: null);
        var (status, _, _) = await SendAsync(http, Call, server.Token(t => t.Subject = "bob"), session);
        Assert.Equal(HttpStatusCode.Forbidden, status);

        // A subject-less token of the client that alice used is not alice either.
        (status, _, _) = await SendAsync(http, Call, server.Token(t => t.Subject = null), session);
        Assert.Equal(HttpStatusCode.Forbidden, status);

        (status, _, _) = await SendAsync(http, Call, server.Token(t => t.Subject = "alice"), session);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task AnApiKeysSession_IsItsOwners()
    {
        var (ci, ciHash) = ApiKeyStore.CreateKey("ci-bot");
        var (ops, opsHash) = ApiKeyStore.CreateKey("ops-bot");
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
        {
            o.SessionMode = HttpServerSessionMode.Stateful;
            o.Authentication.ApiKeys["ci-bot"] = new McpServiceApiKey { Owner = "ci", Hash = ciHash };
            o.Authentication.ApiKeys["ops-bot"] = new McpServiceApiKey { Owner = "ops", Hash = opsHash };
        }, authentication: true);

        await using (var client = await server.ConnectAsync(new McpTestClientOptions { Headers = { ["X-API-Key"] = ci }, ProtocolVersion = "2025-11-25" }, TestContext.Current.CancellationToken))
        {
            var result = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal("3", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        }

        using var http = server.CreateHttpClient();
        var (_, _, session) = await SendAsync(http, Initialize, ci, session: null);
        Assert.NotNull(session);
        var (status, _, _) = await SendAsync(http, Call, ops, session);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        (status, _, _) = await SendAsync(http, Call, ci, session);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static async Task<HttpStatusCode> DeleteAsync(HttpClient http, string token, string session)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, "mcp");
        request.Headers.Authorization = new("Bearer", token);
        request.Headers.Add("Mcp-Session-Id", session);
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, string Body, string? Session)> SendAsync(HttpClient http, string json, string token, string? session)
    {
        using var request = RequestGateTests.Post(json, bearer: token);
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken),
            response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.Single() : null);
    }
}
