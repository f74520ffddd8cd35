using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Auditing;

public sealed class AuditRecordTests
{
    [Fact]
    public async Task SucceededCall_RecordCarriesEveryField()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Version = "3.1.4", authentication: true);
        var token = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "alice", ClientId = "agent-7", Scopes = ["inventory:read", "extra"] });
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = token, ProtocolVersion = "2025-11-25" }, TestContext.Current.CancellationToken);

        await client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        var record = await server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken);

        Assert.Equal(
            ["schema", "id", "time", "service", "actor", "source", "request", "target", "arguments", "outcome", "error", "durationMs", "resultBytes", "prevHash", "hash"],
            record.EnumerateObject().Select(p => p.Name));
        Assert.Equal("mcpservices.io/audit/v1", record.GetProperty("schema").GetString());
        Assert.Matches("^[0-9a-f]{32}$", record.GetProperty("id").GetString());
        Assert.True(DateTimeOffset.UtcNow - record.GetProperty("time").GetDateTimeOffset() < TimeSpan.FromMinutes(1));
        Assert.EndsWith("Z", record.GetProperty("time").GetString());
        var service = record.GetProperty("service");
        Assert.Equal("test-service", service.GetProperty("name").GetString());
        Assert.Equal("3.1.4", service.GetProperty("version").GetString());
        Assert.True(Guid.TryParse(service.GetProperty("instance").GetString(), out _));
        var actor = record.GetProperty("actor");
        Assert.Equal("alice", actor.GetProperty("subject").GetString());
        Assert.Equal(TestServer.Issuer.Issuer, actor.GetProperty("issuer").GetString());
        Assert.Equal("agent-7", actor.GetProperty("clientId").GetString());
        Assert.Equal("jwt", actor.GetProperty("authenticationMethod").GetString());
        Assert.Equal(["extra", "inventory:read"], actor.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(JsonValueKind.Null, actor.GetProperty("apiKeyId").ValueKind);
        Assert.Equal("127.0.0.1", record.GetProperty("source").GetProperty("remoteAddress").GetString());
        var request = record.GetProperty("request");
        Assert.NotEqual(JsonValueKind.Null, request.GetProperty("jsonRpcId").ValueKind);
        Assert.Equal("2025-11-25", request.GetProperty("protocolVersion").GetString());
        Assert.Equal("read_stock", record.GetProperty("target").GetProperty("tool").GetString());
        Assert.Equal("3.1.4", record.GetProperty("target").GetProperty("version").GetString());
        Assert.Equal("succeeded", record.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("error").ValueKind);
        Assert.True(record.GetProperty("durationMs").GetDouble() > 0);
        Assert.True(record.GetProperty("resultBytes").GetInt64() > 10);
        Assert.Matches("^sha256:[0-9a-f]{64}$", record.GetProperty("hash").GetString());
    }

    [Fact]
    public async Task ApiKeyCaller_IsRecordedWithKeyIdAndOwner()
    {
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.ApiKeys["ci-bot"] = new McpServiceApiKey { Owner = "release-pipeline", Hash = hash, Scopes = ["inventory:read"] }, authentication: true);
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = key }, TestContext.Current.CancellationToken);

        await client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        var actor = (await server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken)).GetProperty("actor");

        Assert.Equal("release-pipeline", actor.GetProperty("subject").GetString());
        Assert.Equal("api_key", actor.GetProperty("authenticationMethod").GetString());
        Assert.Equal("ci-bot", actor.GetProperty("apiKeyId").GetString());
    }

    [Fact]
    public async Task EveryOutcome_IsRecorded_ForRefusedCallsAsSurelyAsForSuccessfulOnes()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>().WithTools<OrderTools>().WithTools<FailingTools>().WithTools<SlowTools>(),
            o =>
            {
                o.RateLimits.Tools["read_stock"] = new McpRateLimit { PermitsPerPeriod = 1, Period = TimeSpan.FromMinutes(1) };
                o.Authorization.Tools["reserve"] = new McpToolAuthorizationOverride();
            },
            authentication: true);
        var all = server.Token("inventory:read");
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = all }, TestContext.Current.CancellationToken);
        using var http = server.CreateHttpClient();
        var ct = TestContext.Current.CancellationToken;

        await client.CallToolAsync("read_stock", cancellationToken: ct);                                                             // succeeded
        await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("read_stock", cancellationToken: ct).AsTask());   // rate_limited
        await client.CallToolAsync("reserve", new Dictionary<string, object?> { ["sku"] = "bad", ["quantity"] = 0 }, cancellationToken: ct); // invalid
        await client.CallToolAsync("crash", cancellationToken: ct);                                                                  // failed
        using (var request = RequestGateTests.Post("""{"jsonrpc":"2.0","id":"w1","method":"tools/call","params":{"name":"write_stock","arguments":{"why":"x"}}}"""))
        {
            request.Headers.Authorization = new("Bearer", all);
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(request, ct)).StatusCode);                                  // denied (scope)
        }

        using (var request = RequestGateTests.Post("""{"jsonrpc":"2.0","id":"a1","method":"tools/call","params":{"name":"read_stock"}}"""))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(request, ct)).StatusCode);                              // denied (no token)
        }

        using (var cancel = new CancellationTokenSource())
        {
            var gate = server.Services.GetRequiredService<CallGate>();
            var held = client.CallToolAsync("hold", cancellationToken: cancel.Token).AsTask();
            await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            await cancel.CancelAsync();                                                                                          // cancelled
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
        }

        var outcomes = new Dictionary<string, JsonElement>();
        foreach (var expected in new[] { "succeeded", "rate_limited", "invalid", "failed", "denied", "cancelled" })
        {
            var record = await server.Audit.WaitForAsync(r => r.Outcome == expected, cancellationToken: ct);
            outcomes[expected] = McpTestAuditSink.Parse(record);
        }

        Assert.Equal("rate_limited", outcomes["rate_limited"].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("invalid_arguments", outcomes["invalid"].GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("quantity", outcomes["invalid"].GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("internal_error", outcomes["failed"].GetProperty("error").GetProperty("code").GetString());
        var denials = server.Audit.Records.Where(r => r.Outcome == "denied").Select(McpTestAuditSink.Parse).ToArray();
        var scope = Assert.Single(denials, d => d.GetProperty("error").GetProperty("code").GetString() == "insufficient_scope");
        Assert.Equal("\"w1\"", scope.GetProperty("request").GetProperty("jsonRpcId").GetRawText());
        Assert.Equal("x", scope.GetProperty("arguments").GetProperty("why").GetString());
        var anonymous = Assert.Single(denials, d => d.GetProperty("error").GetProperty("code").GetString() == "authentication_required");
        Assert.Equal("anonymous", anonymous.GetProperty("actor").GetProperty("authenticationMethod").GetString());
        Assert.Equal(0, server.Log().Count("write_stock"));
    }

    [Fact]
    public async Task ToolCallTheSdkRejectsBeforeThePipeline_IsStillRecordedOnce()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        // A well-formed call with a protocol version the SDK does not speak: the SDK answers 400 without running the pipeline.
        using var request = RequestGateTests.Post("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}""");
        request.Headers.Remove("MCP-Protocol-Version");
        request.Headers.Add("MCP-Protocol-Version", "1999-01-01");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var record = McpTestAuditSink.Parse(Assert.Single(server.Audit.Records));
        Assert.Equal("invalid", record.GetProperty("outcome").GetString());
        Assert.Equal("rejected_by_transport", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(
            "The MCP transport rejected the request (HTTP 400): the MCP-Protocol-Version header '1999-01-01' is not a protocol version this service speaks (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28).",
            record.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("1999-01-01", record.GetProperty("request").GetProperty("protocolVersion").GetString());
        Assert.Equal(0, server.Log().Count("add"));
    }

    /// <summary>
    /// 2026-07-28 requests name their method and tool in headers too, so gateways can route and authorize without the body; a
    /// call whose headers say one tool while its body calls another is refused by the SDK's transport — and its record says why,
    /// since such a mismatch is what an attempt to slip a call past a header-based policy looks like.
    /// </summary>
    [Theory]
    [InlineData("2026-07-28", "tools/call", "subtract", "the Mcp-Name header 'subtract' does not match the tool name in the body 'add'")]
    [InlineData("2026-07-28", "tools/list", "add", "the Mcp-Method header 'tools/list' does not match the method in the body 'tools/call'")]
    [InlineData("2026-07-28", "tools/call", null, "the Mcp-Name header, required with protocol 2026-07-28, is missing")]
    [InlineData("2026-07-28", "tools/call", "=?base64?c3VidHJhY3Q=?=", "the Mcp-Name header '=?base64?c3VidHJhY3Q=?=' does not match the tool name in the body 'add'")]
    [InlineData("2026-07-28", "tools/call", "=?base64?YWRk?=", "a 2026-07-28 request must carry the client's capabilities as an object in params._meta[\"io.modelcontextprotocol/clientCapabilities\"]", false)]
    [InlineData("2026-07-28", "tools/call", "=?base64?YWRk?", "the Mcp-Name header '=?base64?YWRk?' does not match the tool name in the body 'add'")]
    [InlineData("2026-07-28", "tools/call", "=?base64?###?=", "the Mcp-Name header '=?base64?###?=' is not valid Base64 inside =?base64?…?=")]
    [InlineData("2025-11-25", "tools/call", "add", "the MCP-Protocol-Version header '2026-07-28' does not match params._meta[\"io.modelcontextprotocol/protocolVersion\"] '2025-11-25'")]
    [InlineData(null, "tools/call", "add", "a 2026-07-28 request must carry the protocol version in params._meta[\"io.modelcontextprotocol/protocolVersion\"]")]
    [InlineData("2026-07-28", "tools/call", "add", "a 2026-07-28 request must carry the client's capabilities as an object in params._meta[\"io.modelcontextprotocol/clientCapabilities\"]", false)]
    [InlineData("2026-07-28", "tools/call", "add", "the MCP-Protocol-Version header '2026-07-28' is not a protocol version this service speaks (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25) (a stateful service: use the initialize handshake)", true, true)]
    public async Task ToolCallTheSdkRejectsForItsProtocolHeaders_IsRecordedWithTheReason(string? metaVersion, string method, string? name, string reason, bool capabilities = true, bool stateful = false)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = stateful ? HttpServerSessionMode.Stateful : HttpServerSessionMode.Stateless);
        using var http = server.CreateHttpClient();
        var clientCapabilities = capabilities ? ",\"io.modelcontextprotocol/clientCapabilities\":{}" : string.Empty;
        var meta = metaVersion is null ? string.Empty : $",\"_meta\":{{\"io.modelcontextprotocol/protocolVersion\":\"{metaVersion}\"{clientCapabilities}}}";
        using var request = RequestGateTests.Post($"{{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{{\"name\":\"add\",\"arguments\":{{\"a\":1}}{meta}}}}}");
        WithHeaders(request, ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", method), ("Mcp-Name", name));

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var record = McpTestAuditSink.Parse(Assert.Single(server.Audit.Records));
        Assert.Equal(("invalid", "rejected_by_transport"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal($"The MCP transport rejected the request (HTTP 400): {reason}.", record.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(0, server.Log().Count("add"));
    }

    /// <summary>
    /// A 2026-07-28 call can be wrong in several ways at once; the SDK answers with the first fault its checks meet, and the record
    /// must name the same one (a record that blamed the capabilities while the client was told its Mcp-Method header did not
    /// match would send whoever reads the trail after the wrong problem). Every combination of faults, stateless and stateful.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACallWithSeveralProtocolFaults_IsRecordedWithTheFaultTheClientWasTold(bool stateful)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = stateful ? HttpServerSessionMode.Stateful : HttpServerSessionMode.Stateless);
        using var http = server.CreateHttpClient();
        string?[] versions = ["2026-07-28", null, "2025-11-25"];
        string?[] methods = ["tools/call", null, "tools/list"];
        string?[] names = ["add", null, "subtract", "=?base64?YWRk?=", "=?base64?###?="]; // 'add' Base64-encoded, and not Base64
        var disagreements = new List<string>();
        var calls = 0;
        foreach (var version in versions)
        {
            foreach (var capabilities in new[] { true, false })
            {
                foreach (var method in methods)
                {
                    foreach (var name in names)
                    {
                        if (!stateful && version == versions[0] && capabilities && method == methods[0] && name is "add" or "=?base64?YWRk?=")
                        {
                            continue; // nothing wrong: the call runs
                        }

                        var meta = new List<string>();
                        if (version is not null)
                        {
                            meta.Add($"\"io.modelcontextprotocol/protocolVersion\":\"{version}\"");
                        }

                        if (capabilities)
                        {
                            meta.Add("\"io.modelcontextprotocol/clientCapabilities\":{}");
                        }

                        using var request = RequestGateTests.Post($"{{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{{\"name\":\"add\",\"arguments\":{{\"a\":1}},\"_meta\":{{{string.Join(',', meta)}}}}}}}");
                        WithHeaders(request, ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", method), ("Mcp-Name", name));

                        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
                        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
                        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                        var told = answer.RootElement.GetProperty("error").GetProperty("message").GetString()!;
                        calls++;
                        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);
                        var record = McpTestAuditSink.Parse(server.Audit.Records[^1]);
                        var recorded = record.GetProperty("error").GetProperty("message").GetString()!;
                        if (ProtocolFault(told) != ProtocolFault(recorded))
                        {
                            disagreements.Add($"meta version {version ?? "none"}, capabilities {capabilities}, Mcp-Method {method ?? "none"}, Mcp-Name {name ?? "none"}: told \"{told}\", recorded \"{recorded}\"");
                        }
                    }
                }
            }
        }

        Assert.Equal(calls, server.Audit.Records.Count);
        Assert.True(disagreements.Count == 0, string.Join('\n', disagreements));
        Assert.Equal(0, server.Log().Count("add"));
    }

    private const string NoSession = "the service keeps sessions, and the request has no Mcp-Session-Id header: send initialize first, then the session id it returns with every request";
    private const string UnwantedSession = "the service keeps no sessions, and the request carries an Mcp-Session-Id header: send requests without it";

    /// <summary>
    /// Before 2026-07-28 a service that keeps sessions takes a call only within a session, and a stateless one refuses a session
    /// id. A call without <c>Mcp-Session-Id</c> on the first (a client that skipped initialize, or was set up for a stateless
    /// service), or with one on the second (a client that kept the id a stateful replica gave it, or made one up) is refused by the
    /// SDK's transport, whatever the tool — its objection comes before the HTTP stage's answer for a tool the service does not
    /// have — and the record says why.
    /// </summary>
    [Theory]
    [InlineData(HttpServerSessionMode.Stateful, "2025-11-25", null, "add", "A new session can only be created by an initialize request", NoSession)]
    [InlineData(HttpServerSessionMode.Stateful, null, null, "add", "A new session can only be created by an initialize request", NoSession)]
    [InlineData(HttpServerSessionMode.StatefulForInitializeClients, "2025-06-18", null, "add", "A new session can only be created by an initialize request", NoSession)]
    [InlineData(HttpServerSessionMode.Stateless, "2025-11-25", "a-session-from-somewhere-else", "add", "The Mcp-Session-Id header is not supported in stateless mode", UnwantedSession)]
    [InlineData(HttpServerSessionMode.Stateless, "2025-11-25", "a-session-from-somewhere-else", "nope", "The Mcp-Session-Id header is not supported in stateless mode", UnwantedSession)]
    public async Task ASessionTheTransportRefuses_IsRecordedWithTheReason(HttpServerSessionMode mode, string? version, string? sessionId, string tool, string told, string reason)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = mode);
        using var http = server.CreateHttpClient();
        using var request = RequestGateTests.Post("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"TOOL","arguments":{"a":1,"b":2}}}""".Replace("TOOL", tool, StringComparison.Ordinal));
        WithHeaders(request, ("MCP-Protocol-Version", version), ("Mcp-Session-Id", sessionId));

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(told, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var record = McpTestAuditSink.Parse(Assert.Single(server.Audit.Records));
        Assert.Equal(("invalid", "rejected_by_transport"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal($"The MCP transport rejected the request (HTTP 400): {reason}.", record.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(0, server.Log().Count("add"));
    }

    /// <summary>
    /// Before 2026-07-28 the transport neither requires nor checks the Mcp-Method and Mcp-Name headers, and would run the tool the
    /// body names. A gateway that authorizes by header would then have allowed one tool while another ran; so headers that a
    /// request carries must agree with its body whatever its protocol version (400 / −32020, as 2026-07-28 requires), and
    /// headers that agree, or none, change nothing.
    /// </summary>
    [Theory]
    [InlineData("tools/call", "add", null)]
    [InlineData(null, null, null)]
    [InlineData("tools/call", "=?base64?YWRk?=", null)]
    [InlineData("tools/call", "divide", "Header mismatch: Mcp-Name header value 'divide' does not match body value 'add'.")]
    [InlineData("tools/list", null, "Header mismatch: Mcp-Method header value 'tools/list' does not match body value 'tools/call'.")]
    [InlineData(null, "=?base64?###?=", "Header mismatch: Mcp-Name header contains invalid Base64 encoding.")]
    [InlineData("tools/list", null, "The MCP transport rejected the request (HTTP 400): the MCP-Protocol-Version header '1999-01-01' is not a protocol version this service speaks (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28).", "1999-01-01")]
    public async Task MirroredHeaders_BeforeTheRevisionThatDefinesThem_MustAgreeWithTheBody(string? method, string? name, string? refusal, string version = "2025-11-25")
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        using var request = RequestGateTests.Post("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}""");
        WithHeaders(request, ("MCP-Protocol-Version", version), ("Mcp-Method", method), ("Mcp-Name", name));

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);

        var record = McpTestAuditSink.Parse(Assert.Single(server.Audit.Records));
        if (refusal is null)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("succeeded", record.GetProperty("outcome").GetString());
            Assert.Equal(1, server.Log().Count("add"));
            return;
        }

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, server.Log().Count("add"));
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(9, answer.RootElement.GetProperty("id").GetInt32());
        if (version != "2025-11-25")
        {
            // The transport refuses the version first, and answers itself.
            Assert.Equal(-32022, answer.RootElement.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal(("invalid", "rejected_by_transport", refusal), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString(), record.GetProperty("error").GetProperty("message").GetString()));
            return;
        }

        Assert.Equal(-32020, answer.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(refusal, answer.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(("invalid", "header_mismatch", refusal), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString(), record.GetProperty("error").GetProperty("message").GetString()));
    }

    /// <summary>
    /// Gives the request each header whose value is not <see langword="null"/>, replacing the one it has (the posted request
    /// carries a protocol version), and leaves out each whose value is <see langword="null"/>.
    /// </summary>
    private static void WithHeaders(HttpRequestMessage request, params (string Name, string? Value)[] headers)
    {
        foreach (var (name, value) in headers)
        {
            request.Headers.Remove(name);
            if (value is not null)
            {
                request.Headers.Add(name, value);
            }
        }
    }

    /// <summary>Which protocol fault a message names, in the SDK's words or the audit record's.</summary>
    private static string ProtocolFault(string message) =>
        message.Contains("Mcp-Method", StringComparison.Ordinal) ? "Mcp-Method header"
        : message.Contains("Mcp-Name", StringComparison.Ordinal) ? "Mcp-Name header"
        : message.Contains("clientCapabilities", StringComparison.Ordinal) ? "capabilities"
        : message.Contains("protocolVersion", StringComparison.Ordinal) && message.Contains("does not match", StringComparison.Ordinal) ? "_meta version differs"
        : message.Contains("protocolVersion", StringComparison.Ordinal) ? "_meta version missing"
        : message.Contains("does not support sessions", StringComparison.Ordinal) || message.Contains("this service speaks", StringComparison.Ordinal) ? "version not served"
        : $"unrecognized: {message}";

    [Fact]
    public async Task AToolNameTheTransportRefuses_IsQuotedInItsRecord_CutWithoutBreakingACharacter()
    {
        // A long tool name with an emoji across the cut: the record must still be written (a lone surrogate cannot be).
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        var name = new string('t', 99) + "\U0001F600" + new string('t', 20);
        using var request = RequestGateTests.Post($"{{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{{\"name\":\"{name}\",\"_meta\":{{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{{}}}}}}}}");
        WithHeaders(request, ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "add"));

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var record = McpTestAuditSink.Parse(Assert.Single(server.Audit.Records));
        Assert.Equal(
            $"The MCP transport rejected the request (HTTP 400): the Mcp-Name header 'add' does not match the tool name in the body '{new string('t', 99)}…'.",
            record.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task CallWhoseRecordCannotBeWrittenInFull_KeepsARecordWithoutItsData_AndTheTrailGoesOn()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(b => b.WithTools<UnwritableResultTools>().WithTools<CalculatorTools>(), configure: b => b.Logging.AddProvider(logs));
        using var http = server.CreateHttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var response = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"unwritable"}}"""), ct);
        using var next = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"""), ct);

        var record = await server.Audit.WaitForToolAsync("unwritable", ct);
        Assert.Equal("""{"$omitted":{"reason":"unserializable"}}""", record.GetProperty("arguments").GetRawText());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("resultBytes").ValueKind);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains("could not be serialized; it is written without its arguments", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        await server.Audit.WaitForToolAsync("add", ct);
        var lines = server.Audit.Records.Select(r => Encoding.UTF8.GetString(r.Json.Span));
        Assert.True(AuditVerifier.Verify([("memory", new StringReader(string.Join('\n', lines)))]).Intact);
    }

    [Fact]
    public async Task ToolCallWhoseClientDisconnectsBeforeTheSdkRunsIt_IsRecordedAsCancelled()
    {
        // The client goes away right after its request arrived: the request's abort token fires as soon as the gate has read
        // the body, so the call is admitted (its audit place reserved) but the SDK never hands it to the pipeline.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), configureApp: app =>
        {
            app.Use((context, next) =>
            {
                var disconnect = new CancellationTokenSource();
                context.Features.Set<IHttpRequestLifetimeFeature>(new DisconnectingLifetime(disconnect));
                context.Request.Body = new DisconnectAtEndOfBody(context.Request.Body, disconnect);
                return next(context);
            });
            app.MapMcpService();
        });
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}"""), TestContext.Current.CancellationToken);
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);

        var record = McpTestAuditSink.Parse(Assert.Single(server.Audit.Records));
        Assert.Equal("cancelled", record.GetProperty("outcome").GetString());
        Assert.Equal("client_disconnected", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("7", record.GetProperty("request").GetProperty("jsonRpcId").GetRawText());
        Assert.Equal(0, server.Log().Count("add"));
    }

    private sealed class DisconnectingLifetime(CancellationTokenSource disconnect) : IHttpRequestLifetimeFeature
    {
        public CancellationToken RequestAborted { get; set; } = disconnect.Token;

        public void Abort() => disconnect.Cancel();
    }

    private sealed class DisconnectAtEndOfBody(Stream inner, CancellationTokenSource disconnect) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, CancellationToken.None);
            if (read == 0)
            {
                await disconnect.CancelAsync();
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task Unavailable_WhileDraining_IsRecorded()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SlowTools>().WithTools<CalculatorTools>(), o => o.DrainTimeout = TimeSpan.FromSeconds(10));
        var gate = server.Services.GetRequiredService<CallGate>();
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var http = server.CreateHttpClient();
        var held = client.CallToolAsync("hold", cancellationToken: TestContext.Current.CancellationToken).AsTask();
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var stopping = server.StopAsync(TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);

        using var refused = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"""), TestContext.Current.CancellationToken);
        gate.Release.SetResult();
        await held;
        await stopping;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var record = McpTestAuditSink.Parse(Assert.Single(server.Audit.Records, r => r.Tool == "add"));
        Assert.Equal("unavailable", record.GetProperty("outcome").GetString());
        Assert.Equal("service_unavailable", record.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task SensitiveParametersAndProperties_AreRedacted_AndConfiguredPathsToo()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<AccountTools>(), o => o.Audit.RedactPaths = ["register:registration.profile.city", "referrer"]);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        await client.CallToolAsync("reset_password", new Dictionary<string, object?> { ["user"] = "bob", ["newPassword"] = "hunter2!" }, cancellationToken: TestContext.Current.CancellationToken);
        await client.CallToolAsync("register", new Dictionary<string, object?>
        {
            ["registration"] = new { email = "bob@example.com", password = "s3cret", profile = new { taxId = "123-45", city = "Lyon" }, previous = new[] { new { taxId = "999", city = "Nice" } } },
            ["referrer"] = "partner-42",
        }, cancellationToken: TestContext.Current.CancellationToken);

        var reset = (await server.Audit.WaitForToolAsync("reset_password", TestContext.Current.CancellationToken)).GetProperty("arguments");
        var register = (await server.Audit.WaitForToolAsync("register", TestContext.Current.CancellationToken)).GetProperty("arguments");

        Assert.Equal("bob", reset.GetProperty("user").GetString());
        Assert.Equal("[redacted]", reset.GetProperty("newPassword").GetString());
        var registration = register.GetProperty("registration");
        Assert.Equal("bob@example.com", registration.GetProperty("email").GetString());
        Assert.Equal("[redacted]", registration.GetProperty("password").GetString());
        Assert.Equal("[redacted]", registration.GetProperty("profile").GetProperty("taxId").GetString());
        Assert.Equal("[redacted]", registration.GetProperty("profile").GetProperty("city").GetString());
        Assert.Equal("[redacted]", registration.GetProperty("previous")[0].GetProperty("taxId").GetString());
        Assert.Equal("Nice", registration.GetProperty("previous")[0].GetProperty("city").GetString());
        Assert.Equal("[redacted]", register.GetProperty("referrer").GetString());
        Assert.DoesNotContain(server.Audit.Records, r => Encoding.UTF8.GetString(r.Json.Span).Contains("hunter2", StringComparison.Ordinal) || Encoding.UTF8.GetString(r.Json.Span).Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SensitiveValues_SentWithOtherCapitalization_OrOnARecordParameter_AreRedacted()
    {
        // The SDK's serializer binds member names ignoring case: "Password" reaches the tool as the [Sensitive] Password, so the
        // audit trail must not show it in clear. And [Sensitive] on a positional record parameter marks the property.
        await using var server = await TestServer.StartAsync(b => b.WithTools<AccountTools>(), o => o.Audit.RedactPaths = ["register:registration.profile.city"]);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var registered = await client.CallToolAsync("register", new Dictionary<string, object?>
        {
            ["registration"] = new Dictionary<string, object> { ["Email"] = "bob@example.com", ["PASSWORD"] = "s3cret", ["Profile"] = new Dictionary<string, object> { ["TaxId"] = "123-45", ["City"] = "Lyon" } },
        }, cancellationToken: TestContext.Current.CancellationToken);
        var added = await client.CallToolAsync("add_card", new Dictionary<string, object?> { ["card"] = new { holder = "Bob", number = "4111111111111111" } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("registered bob@example.com via ", Assert.IsType<TextContentBlock>(Assert.Single(registered.Content)).Text);
        Assert.Equal("card of Bob ending 11", Assert.IsType<TextContentBlock>(Assert.Single(added.Content)).Text);
        var registration = (await server.Audit.WaitForToolAsync("register", TestContext.Current.CancellationToken)).GetProperty("arguments").GetProperty("registration");
        Assert.Equal("[redacted]", registration.GetProperty("PASSWORD").GetString());
        Assert.Equal("[redacted]", registration.GetProperty("Profile").GetProperty("TaxId").GetString());
        Assert.Equal("[redacted]", registration.GetProperty("Profile").GetProperty("City").GetString());
        var card = (await server.Audit.WaitForToolAsync("add_card", TestContext.Current.CancellationToken)).GetProperty("arguments").GetProperty("card");
        Assert.Equal("Bob", card.GetProperty("holder").GetString());
        Assert.Equal("[redacted]", card.GetProperty("number").GetString());
        Assert.DoesNotContain(server.Audit.Records, r => Encoding.UTF8.GetString(r.Json.Span) is var json && (json.Contains("s3cret", StringComparison.Ordinal) || json.Contains("4111111111111111", StringComparison.Ordinal) || json.Contains("123-45", StringComparison.Ordinal)));

        using var description = JsonDocument.Parse(server.Services.GetRequiredService<ServiceDescriber>().DescribeToString());
        var addCard = description.RootElement.GetProperty("tools").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "add_card");
        Assert.Equal(["card.number"], addCard.GetProperty("sensitiveParameters").EnumerateArray().Select(e => e.GetString()));
    }

    /// <summary>
    /// A [Sensitive] member of a polymorphic argument's derived type ([JsonDerivedType]): redaction followed the declared type,
    /// which does not have the member, and the audit trail kept the value in clear.
    /// </summary>
    [Fact]
    public async Task SensitiveMembers_OfDerivedTypes_AreRedacted()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<MeasurementTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var arguments = JsonDocument.Parse("""{"figure":{"$type":"tile","side":1,"owner":"alice-secret"},"more":[{"$type":"disc","radius":2},{"$type":"tile","side":2,"owner":"bob-secret"}]}""");

        var result = await client.CallToolAsync("draw", arguments.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()), cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        var recorded = (await server.Audit.WaitForToolAsync("draw", TestContext.Current.CancellationToken)).GetProperty("arguments");
        Assert.DoesNotContain("-secret", recorded.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("[redacted]", recorded.GetProperty("figure").GetProperty("owner").GetString());
        Assert.Equal(2, recorded.GetProperty("more")[0].GetProperty("radius").GetInt32());

        using var description = JsonDocument.Parse(server.Services.GetRequiredService<ServiceDescriber>().DescribeToString());
        var draw = description.RootElement.GetProperty("tools").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "draw");
        Assert.Equal(["figure.owner", "more.*.owner"], draw.GetProperty("sensitiveParameters").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task SensitiveMembers_OfRecursiveTypesAtEveryDepth_AndOfDictionaryValues_AreRedacted()
    {
        // A tree type's [Sensitive] member is sensitive however deep a client nests it; so is one inside dictionary values.
        // A configured '**' path redacts a name at any depth, also one the type does not declare (the leaf's "pin", which the
        // service is told to let through so that the tool runs).
        await using var server = await TestServer.StartAsync(b => b.WithTools<AccountTools>(), o =>
        {
            o.Audit.RedactPaths = ["share:**.pin"];
            o.AllowUnknownArguments = true;
        });
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        object Level(int depth) => depth == 0
            ? new { name = "leaf", token = "tok-0", pin = "pin-0" }
            : new { name = $"level-{depth}", token = $"tok-{depth}", children = new[] { Level(depth - 1) }, credentials = new Dictionary<string, object> { ["db"] = new { user = "app", secret = $"sec-{depth}" } } };

        var result = await client.CallToolAsync("share", new Dictionary<string, object?> { ["workspace"] = Level(4), ["note"] = "tok-in-note" }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("shared level-4", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        var arguments = (await server.Audit.WaitForToolAsync("share", TestContext.Current.CancellationToken)).GetProperty("arguments");
        var json = arguments.GetRawText();
        Assert.DoesNotContain("tok-", json.Replace("tok-in-note", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("sec-", json, StringComparison.Ordinal);
        Assert.DoesNotContain("pin-", json, StringComparison.Ordinal);
        var leaf = arguments.GetProperty("workspace");
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("app", leaf.GetProperty("credentials").GetProperty("db").GetProperty("user").GetString());
            leaf = leaf.GetProperty("children")[0];
        }

        Assert.Equal(("leaf", "[redacted]"), (leaf.GetProperty("name").GetString(), leaf.GetProperty("token").GetString()));
        Assert.Equal("tok-in-note", arguments.GetProperty("note").GetString());

        using var description = JsonDocument.Parse(server.Services.GetRequiredService<ServiceDescriber>().DescribeToString());
        var share = description.RootElement.GetProperty("tools").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "share");
        Assert.Equal(["workspace.**.token", "workspace.**.credentials.*.secret"], share.GetProperty("sensitiveParameters").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData(AuditArgumentsMode.Redacted)]
    [InlineData(AuditArgumentsMode.Digest)]
    public async Task ValidationMessagesAboutSensitiveFields_AreRedactedInTheRecord_NotForTheCaller(AuditArgumentsMode mode)
    {
        // A validator's message may quote the value ({PropertyValue}); the caller sent it and sees it, the audit trail must not.
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<AccountTools>(),
            o => o.Audit.Arguments = mode,
            configure: b => b.Services.AddSingleton<FluentValidation.IValidator<PinChange>, PinChangeValidator>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("change_pin", new Dictionary<string, object?> { ["change"] = new Dictionary<string, object> { ["card"] = "12", ["pin_code"] = "98x7" } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        // The field is the member the caller sent (pin_code, the [JsonPropertyName]; not the policy's pin), which is also the
        // path the redaction of [Sensitive] names.
        const string Received = "Invalid arguments for tool 'change_pin':\n- change.pin_code: '98x7' is not a 4-digit PIN.\n- change.card: '12' is not a card number.";
        Assert.Equal(Received, Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        var record = await server.Audit.WaitForToolAsync("change_pin", TestContext.Current.CancellationToken);
        Assert.Equal(("invalid", "invalid_arguments"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(
            "Invalid arguments for tool 'change_pin':\n- change.pin_code: [redacted]\n- change.card: '12' is not a card number.",
            record.GetProperty("error").GetProperty("message").GetString());
        Assert.DoesNotContain("98x7", record.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidationExceptionsThrownByAToolWithSensitiveFields_AreHiddenInTheRecord()
    {
        // The tool's own validator names its fields ("Secret.Code"), which cannot be matched to argument paths: for a tool with sensitive
        // fields every such message is hidden from the record.
        await using var server = await TestServer.StartAsync(b => b.WithTools<AccountTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("verify_pin", new Dictionary<string, object?> { ["card"] = "4111", ["pin"] = "65x3" }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.Equal("Invalid arguments for tool 'verify_pin':\n- Secret.Code: '65x3' does not match card 4111.", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        var record = await server.Audit.WaitForToolAsync("verify_pin", TestContext.Current.CancellationToken);
        Assert.Equal("Invalid arguments for tool 'verify_pin':\n- Secret.Code: [redacted]", record.GetProperty("error").GetProperty("message").GetString());
        // (Not a value of hexadecimal digits: the record's ids and hashes could contain one by chance.)
        Assert.DoesNotContain("65x3", record.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArgumentsSentToAToolTheServiceDoesNotHave_AreRecordedAsTheirDigest_NotInClear()
    {
        // A misspelled or retired tool name: which of its arguments are sensitive is unknown, so none is written in clear.
        await using var server = await TestServer.StartAsync(b => b.WithTools<AccountTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("reset_pasword", new Dictionary<string, object?> { ["user"] = "bob", ["newPassword"] = "hunter2!" }, cancellationToken: TestContext.Current.CancellationToken).AsTask());
        var record = await server.Audit.WaitForToolAsync("reset_pasword", TestContext.Current.CancellationToken);

        Assert.Equal(("invalid", "unknown_tool"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        var omitted = record.GetProperty("arguments").GetProperty("$omitted");
        Assert.Equal("unknown_tool", omitted.GetProperty("reason").GetString());
        var sent = """{"user":"bob","newPassword":"hunter2!"}"""u8;
        Assert.Equal(sent.Length, omitted.GetProperty("bytes").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(sent)), omitted.GetProperty("sha256").GetString());
        Assert.DoesNotContain(server.Audit.Records, r => Encoding.UTF8.GetString(r.Json.Span).Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SensitiveParameters_AreListedInTheSelfDescription()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<AccountTools>());

        using var doc = JsonDocument.Parse(server.Services.GetRequiredService<ServiceDescriber>().DescribeToString());
        var tools = doc.RootElement.GetProperty("tools").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("sensitiveParameters").EnumerateArray().Select(e => e.GetString()).ToArray());

        Assert.Equal(["newPassword"], tools["reset_password"]);
        Assert.Equal(["registration.password", "registration.profile.taxId", "registration.previous.*.taxId"], tools["register"]);
    }

    [Fact]
    public async Task DigestMode_RecordsOnlyTheSha256OfTheArguments()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<AccountTools>(), o => o.Audit.Arguments = AuditArgumentsMode.Digest);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        await client.CallToolAsync("reset_password", new Dictionary<string, object?> { ["user"] = "bob", ["newPassword"] = "hunter2!" }, cancellationToken: TestContext.Current.CancellationToken);
        var arguments = (await server.Audit.WaitForToolAsync("reset_password", TestContext.Current.CancellationToken)).GetProperty("arguments");

        Assert.Equal(["sha256"], arguments.EnumerateObject().Select(p => p.Name));
        var expected = Convert.ToHexStringLower(SHA256.HashData("""{"user":"bob","newPassword":"hunter2!"}"""u8));
        Assert.Equal(expected, arguments.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Records_AreChained_ByPrevHash_AndEachHashCoversItsRecord()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        for (var i = 0; i < 5; i++)
        {
            await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = i }, cancellationToken: TestContext.Current.CancellationToken);
        }

        await server.Audit.WaitForAsync(_ => server.Audit.Records.Count >= 5, cancellationToken: TestContext.Current.CancellationToken);
        var records = server.Audit.Records.Select(McpTestAuditSink.Parse).ToArray();

        Assert.Equal(AuditRecordSerializer.Genesis, records[0].GetProperty("prevHash").GetString());
        for (var i = 1; i < records.Length; i++)
        {
            Assert.Equal(records[i - 1].GetProperty("hash").GetString(), records[i].GetProperty("prevHash").GetString());
        }

        var lines = server.Audit.Records.Select(r => Encoding.UTF8.GetString(r.Json.Span)).ToArray();
        Assert.True(AuditVerifier.Verify([("memory", new StringReader(string.Join('\n', lines)))]).Intact);
    }
}
