using System.Net;
using System.Text.Json;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using ModelContextProtocol.AspNetCore;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>
/// A request whose <c>MCP-Protocol-Version</c> the service does not speak is refused with HTTP 400 and −32022, whose
/// <c>data.supported</c> a client picks its next attempt from: every version listed there must work. ModelContextProtocol.AspNetCore
/// 2.4.0 lists 2026-07-28 on a fully stateful service too, which refuses it; McpServices answers there without it. On a
/// stateless service the list is the versions <c>server/discover</c> lists (the 2026-07-28 conformance suite checks that);
/// clients of the earlier versions, which that service serves too, negotiate with <c>initialize</c> instead.
/// </summary>
public sealed class UnsupportedProtocolVersionTests
{
    private static readonly string[] InitializeVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
    private static readonly string[] AllVersions = [.. InitializeVersions, "2026-07-28"];
    private const string Meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}";

    [Theory]
    [InlineData(HttpServerSessionMode.Stateless)]
    [InlineData(HttpServerSessionMode.Stateful)]
    [InlineData(HttpServerSessionMode.StatefulForInitializeClients)]
    public async Task AnUnservedVersion_IsRefused_ListingVersionsTheServiceServes(HttpServerSessionMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = mode);
        using var http = server.CreateHttpClient();
        var supported = mode switch
        {
            HttpServerSessionMode.Stateful => InitializeVersions,
            HttpServerSessionMode.Stateless => await DiscoveredVersionsAsync(http, ct),
            _ => AllVersions,
        };

        using var post = RequestGateTests.Post("""{"jsonrpc":"2.0","id":9,"method":"tools/list"}""");
        post.Headers.Remove("MCP-Protocol-Version");
        post.Headers.Add("MCP-Protocol-Version", "1999-01-01");
        await AssertRefusedAsync(http, post, supported, id: 9, ct);

        if (mode != HttpServerSessionMode.Stateless)
        {
            // The GET stream and the DELETE that ends a session check the version too (a stateless service has neither: 405).
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Delete })
            {
                using var request = new HttpRequestMessage(method, "mcp");
                request.Headers.Add("Accept", "text/event-stream");
                request.Headers.Add("MCP-Protocol-Version", "1999-01-01");
                await AssertRefusedAsync(http, request, supported, id: null, ct);
            }
        }

        // Every version listed is served: a client that picks one from the list gets an answer.
        foreach (var version in supported)
        {
            using var request = RequestGateTests.Post(version == "2026-07-28"
                ? "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" + Meta + "}}"
                : """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"VERSION","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""".Replace("VERSION", version, StringComparison.Ordinal));
            request.Headers.Remove("MCP-Protocol-Version");
            request.Headers.Add("MCP-Protocol-Version", version);
            if (version == "2026-07-28")
            {
                request.Headers.Add("Mcp-Method", "server/discover");
            }

            using var response = await http.SendAsync(request, ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{version}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    /// <summary>
    /// On a fully stateful service the HTTP stage answers, where the transport would: the call is not run, and its record says why
    /// (the stateless service's record, where the transport answers, is in <c>AuditRecordTests</c>).
    /// </summary>
    [Fact]
    public async Task ToolCallWithAnUnservedVersion_OnAFullyStatefulService_IsNotRun_AndItsRecordSaysWhy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = HttpServerSessionMode.Stateful);
        using var http = server.CreateHttpClient();
        using var post = RequestGateTests.Post("""{"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}""");
        post.Headers.Remove("MCP-Protocol-Version");
        post.Headers.Add("MCP-Protocol-Version", "2099-12-31");

        await AssertRefusedAsync(http, post, InitializeVersions, id: "c1", ct);
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(ct);

        Assert.Equal(0, server.Log().Count("add"));
        var record = McpTestAuditSink.Parse(Assert.Single(server.Audit.Records));
        Assert.Equal("invalid", record.GetProperty("outcome").GetString());
        Assert.Equal("rejected_by_transport", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(
            "The MCP transport rejected the request (HTTP 400): the MCP-Protocol-Version header '2099-12-31' is not a protocol version this service speaks (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25).",
            record.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task TheNewestVersion_OnAFullyStatefulService_KeepsTheTransportsOwnAnswer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = HttpServerSessionMode.Stateful);
        using var http = server.CreateHttpClient();
        using var post = RequestGateTests.Post("""{"jsonrpc":"2.0","id":9,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}""");
        post.Headers.Remove("MCP-Protocol-Version");
        post.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        post.Headers.Add("Mcp-Method", "tools/list");

        var error = await AssertRefusedAsync(http, post, InitializeVersions, id: 9, ct, requested: "2026-07-28");
        Assert.Contains("does not support sessions", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The <c>supportedVersions</c> a stateless service's <c>server/discover</c> lists.</summary>
    private static async Task<string[]> DiscoveredVersionsAsync(HttpClient http, CancellationToken ct)
    {
        using var request = RequestGateTests.Post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" + Meta + "}}");
        request.Headers.Remove("MCP-Protocol-Version");
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", "server/discover");
        using var response = await http.SendAsync(request, ct);
        var message = JsonDocument.Parse(RequestGateTests.MessageOf(await response.Content.ReadAsStringAsync(ct))).RootElement;
        var versions = message.GetProperty("result").GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()!).ToArray();
        Assert.NotEmpty(versions);
        return versions;
    }

    private static async Task<JsonElement> AssertRefusedAsync(HttpClient http, HttpRequestMessage request, string[] supported, object? id, CancellationToken ct, string? requested = null)
    {
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{request.Method}: {(int)response.StatusCode} {body}");
        var answer = JsonDocument.Parse(body).RootElement;
        switch (id)
        {
            case null:
                Assert.Equal(JsonValueKind.Null, answer.GetProperty("id").ValueKind);
                break;
            case int number:
                Assert.Equal(number, answer.GetProperty("id").GetInt32());
                break;
            default:
                Assert.Equal(id, answer.GetProperty("id").GetString());
                break;
        }

        var error = answer.GetProperty("error");
        Assert.Equal(-32022, error.GetProperty("code").GetInt32());
        requested ??= request.Headers.GetValues("MCP-Protocol-Version").Single();
        if (requested != "2026-07-28")
        {
            Assert.Equal($"Bad Request: The MCP-Protocol-Version header value '{requested}' is not supported.", error.GetProperty("message").GetString());
        }

        Assert.Equal(supported, error.GetProperty("data").GetProperty("supported").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(requested, error.GetProperty("data").GetProperty("requested").GetString());
        return error.Clone();
    }
}
