using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;

namespace McpServices.AspNetCore.Tests.Http;

public sealed class RequestGateTests
{
    private const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";

    [Fact]
    public async Task ForeignOrigin_Is403_WithJsonRpcError()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(Initialize, origin: "http://evil.example.com"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await ReadErrorAsync(response);
        Assert.Equal(McpServiceErrorCodes.RequestRejected, error.GetProperty("code").GetInt32());
        Assert.Contains("Origin", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task RebindingAttack_ForeignHostAndOrigin_Is403()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        var request = Post(Initialize, origin: "http://evil.example.com");
        request.Headers.Host = "evil.example.com";

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("origin", 403, "denied", "origin_not_allowed")]
    [InlineData("host", 403, "denied", "host_not_allowed")]
    [InlineData("content-type", 415, "invalid", "unsupported_media_type")]
    [InlineData("accept: application/json", 406, "invalid", "not_acceptable")]
    [InlineData("accept: text/event-stream", 406, "invalid", "not_acceptable")]
    [InlineData("accept: text/html", 406, "invalid", "not_acceptable")]
    [InlineData("accept: application/json-seq, text/event-streams", 406, "invalid", "not_acceptable")]
    public async Task AToolCallRefusedBeforeItsBodyIsRead_IsStillAudited_AndAnsweredWithItsId(string refusal, int status, string outcome, string code)
    {
        // A DNS-rebinding attempt is a refused call: it belongs in the audit trail, not only in a log line.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.AllowedHosts = ["127.0.0.1"]);
        using var http = server.CreateHttpClient();
        var request = Post("""{"jsonrpc":"2.0","id":"r-1","method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}""", origin: refusal == "origin" ? "http://evil.example.com" : null);
        if (refusal == "host")
        {
            request.Headers.Host = "evil.example.com";
        }
        else if (refusal == "content-type")
        {
            request.Content!.Headers.ContentType = new("text/plain");
        }
        else if (refusal.StartsWith("accept: ", StringComparison.Ordinal))
        {
            request.Headers.Accept.Clear();
            request.Headers.TryAddWithoutValidation("Accept", refusal["accept: ".Length..]);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(status, (int)response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("r-1", body.RootElement.GetProperty("id").GetString());
        var record = McpServices.Testing.McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "add", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal((outcome, code), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(body.RootElement.GetProperty("error").GetProperty("message").GetString(), record.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(0, server.Log().Count("add"));
    }

    [Theory]
    [InlineData("*/*")]
    [InlineData("application/*, text/*")]
    [InlineData("text/event-stream;q=0.5, application/json; charset=utf-8")]
    [InlineData("application/json", "text/event-stream")] // one type per value
    public async Task AcceptHeaders_AreJudgedAsTheSdkJudgesThem(params string[] accept)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        using var request = Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}""");
        request.Headers.Accept.Clear();
        foreach (var value in accept)
        {
            request.Headers.TryAddWithoutValidation("Accept", value);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, server.Log().Count("add"));
    }

    [Fact]
    public async Task LoopbackOrigin_OnLoopbackHost_IsAccepted()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(Initialize, origin: $"http://localhost:{server.BaseAddress.Port}"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>
    /// IPv6 addresses in Origin and Host (a service on <c>http://[::1]:8080</c>, a page on an IPv6 host): a loopback page calling a
    /// loopback service is accepted, a configured IPv6 origin is accepted, any other is refused with 403 — never a 500 from an
    /// address written back without its brackets.
    /// </summary>
    [Theory]
    [InlineData("http://[::1]:5173", "[::1]:8080", null, HttpStatusCode.OK)]
    [InlineData("http://[::1]", "127.0.0.1:8080", null, HttpStatusCode.OK)]
    [InlineData("http://localhost:5173", "[::1]:8080", null, HttpStatusCode.OK)]
    [InlineData("http://[2001:db8::7]:8080", "[::1]:8080", null, HttpStatusCode.Forbidden)]
    [InlineData("http://[::1]:5173", "[2001:db8::1]:8080", null, HttpStatusCode.Forbidden)]
    [InlineData("https://[2001:DB8::7]:8443", "[2001:db8::1]:8080", "https://[2001:db8::7]:8443", HttpStatusCode.OK)]
    [InlineData("https://[2001:db8::8]:8443", "[2001:db8::1]:8080", "https://[2001:db8::7]:8443", HttpStatusCode.Forbidden)]
    public async Task Ipv6OriginsAndHosts_AreJudgedLikeOthers(string origin, string host, string? allowedOrigin, HttpStatusCode expected)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
        {
            o.AllowedOrigins = allowedOrigin is null ? [] : [allowedOrigin];
            o.AllowedHosts = ["127.0.0.1", "[::1]", "[2001:db8::1]"];
        });
        using var http = server.CreateHttpClient();
        using var request = Post(Initialize, origin: origin);
        request.Headers.Host = host;

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }

    [Fact]
    public async Task ConfiguredOrigin_IsAccepted_OthersAreNot()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.AllowedOrigins = ["https://agents.example.com"]);
        using var http = server.CreateHttpClient();

        using var allowed = await http.SendAsync(Post(Initialize, origin: "https://agents.example.com"), TestContext.Current.CancellationToken);
        using var refused = await http.SendAsync(Post(Initialize, origin: "https://agents.example.com.evil.net"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task HostFiltering_RefusesUnknownHosts_AcceptsConfiguredAndWildcards()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.AllowedHosts = ["127.0.0.1", "*.svc.cluster.local"]);
        using var http = server.CreateHttpClient();

        using var direct = await http.SendAsync(Post(Initialize), TestContext.Current.CancellationToken);
        var viaService = Post(Initialize);
        viaService.Headers.Host = "inventory.default.svc.cluster.local";
        using var service = await http.SendAsync(viaService, TestContext.Current.CancellationToken);
        var foreign = Post(Initialize);
        foreign.Headers.Host = "attacker.example";
        using var refused = await http.SendAsync(foreign, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(HttpStatusCode.OK, service.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task BodyOverLimit_WithContentLength_Is413_AndTheToolCallIsAudited()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.MaxRequestBodySize = 1024, authentication: true);
        using var http = server.CreateHttpClient();
        using var request = Post("""{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"read_stock","arguments":{"pad":" """ + new string('x', 40_000) + "\"}}}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Token("inventory:read"));

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.True(response.Headers.ConnectionClose, "the connection is closed rather than the rest of the body read");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("big-1", doc.RootElement.GetProperty("id").GetString());
        Assert.Equal(1024, doc.RootElement.GetProperty("error").GetProperty("data").GetProperty("maxRequestBodySize").GetInt32());

        // The body was not read (only its first bytes), yet the call is accounted for: who tried which tool, and why it was refused.
        var record = await server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken);
        Assert.Equal(("invalid", "payload_too_large"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal("Payload Too Large: the request body exceeds the limit of 1024 bytes.", record.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("big-1", record.GetProperty("request").GetProperty("jsonRpcId").GetString());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("arguments").ValueKind);
        Assert.Equal("jwt", record.GetProperty("actor").GetProperty("authenticationMethod").GetString());
        Assert.Equal(0, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task BodyOverLimit_FromAClientWaitingFor100Continue_Is413_WithoutAskingForTheBody()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.MaxRequestBodySize = 1024);
        using var http = server.CreateHttpClient();
        using var request = Post(CallWithPadding(64 * 1024));
        request.Headers.ExpectContinue = true;

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        // The server answered before asking for the body, so it never saw the call: no record (a client that sends its body
        // without waiting is recognized and recorded, as above).
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(await FlushedRecordsAsync(server));
    }

    [Theory]
    [InlineData("Origin", "http://evil.example", 403, "denied", "origin_not_allowed")]
    [InlineData("Content-Type", "text/plain", 415, "invalid", "unsupported_media_type")]
    [InlineData("Accept", "application/json", 406, "invalid", "not_acceptable")]
    [InlineData("Content-Length", "", 413, "invalid", "payload_too_large")]
    public async Task ACallItsHeadersDeclare_RefusedBeforeItsBodyIsSent_IsAuditedFromTheHeaders(string header, string value, int status, string outcome, string code)
    {
        // A 2026-07-28 client names the method and the tool in headers; refused while it waits for 100 Continue, it never sends
        // the body, but the headers say which call was attempted, and by whom.
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.MaxRequestBodySize = 1024, authentication: true);
        using var http = server.CreateHttpClient();
        var body = header == "Content-Length" ? CallWithPadding(64 * 1024) : """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_stock"}}""";
        using var request = Post(body);
        request.Headers.ExpectContinue = true;
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", "tools/call");
        request.Headers.Add("Mcp-Name", "read_stock");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Token("inventory:read"));
        switch (header)
        {
            case "Origin": request.Headers.Add("Origin", value); break;
            case "Content-Type": request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(value); break;
            case "Accept": request.Headers.Accept.Clear(); request.Headers.Accept.ParseAdd(value); break;
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(status, (int)response.StatusCode);
        var record = Assert.Single(await FlushedRecordsAsync(server));
        Assert.Equal((outcome, code, "read_stock"), (record.Outcome, record.ErrorCode, record.Tool));
        var json = McpTestAuditSink.Parse(record);
        Assert.Equal("test-user", json.GetProperty("actor").GetProperty("subject").GetString());
        Assert.False(json.GetProperty("request").TryGetProperty("jsonRpcId", out var id) && id.ValueKind != JsonValueKind.Null, "the id is in the body, which was not sent");
        Assert.Equal(0, server.Log().Count("read_stock"));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":" """, false, "")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"pad":" """, true, "")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"params":{"name":"add","arguments":{"pad":" """, false, "")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"pad":" """, true, "add")]
    public async Task BodyOverLimit_IsAuditedWhenItsStartShowsAToolCall(string start, bool audited, string tool)
    {
        // The method has to come before the limit: a tools/call is recognized from the start of its body, never read in full.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.MaxRequestBodySize = 1024);
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(start + new string('x', 4096) + "\"}}}"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var records = await FlushedRecordsAsync(server);
        if (audited)
        {
            var record = Assert.Single(records);
            Assert.Equal(("invalid", "payload_too_large", tool), (record.Outcome, record.ErrorCode, record.Tool));
        }
        else
        {
            Assert.Empty(records);
        }
    }

    [Fact]
    public async Task BodyOverLimit_Chunked_Is413()
    {
        // A raw HTTP/1.1 request with a chunked body (no Content-Length), written in one piece before the server answers: with
        // HttpClient the server's early 413 races the client's remaining writes (broken pipe), which says nothing about the server.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.MaxRequestBodySize = 1024);
        var body = Encoding.UTF8.GetBytes(CallWithPadding(4096));
        var request = new StringBuilder()
            .Append("POST /mcp HTTP/1.1\r\n")
            .Append($"Host: {server.McpEndpoint.Authority}\r\n")
            .Append("Content-Type: application/json\r\n")
            .Append("Accept: application/json, text/event-stream\r\n")
            .Append("MCP-Protocol-Version: 2025-11-25\r\n")
            .Append("Transfer-Encoding: chunked\r\n")
            .Append("Connection: close\r\n\r\n");
        for (var i = 0; i < body.Length; i += 512)
        {
            var chunk = Encoding.UTF8.GetString(body, i, Math.Min(512, body.Length - i));
            request.Append($"{Encoding.UTF8.GetByteCount(chunk):x}\r\n{chunk}\r\n");
        }

        request.Append("0\r\n\r\n");
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.McpEndpoint.Host, server.McpEndpoint.Port, TestContext.Current.CancellationToken);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), TestContext.Current.CancellationToken);

        var response = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while (!response.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && (read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
        {
            response.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.StartsWith("HTTP/1.1 413 ", response.ToString(), StringComparison.Ordinal);
        var record = await server.Audit.WaitForAsync(r => r.Tool == "add", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(("invalid", "payload_too_large"), (record.Outcome, record.ErrorCode));
    }

    [Fact]
    public async Task DefaultBodyLimit_IsOneMebibyte()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var under = await http.SendAsync(Post(CallWithPadding(1000 * 1000)), TestContext.Current.CancellationToken);
        using var over = await http.SendAsync(Post(CallWithPadding(1024 * 1024 + 1)), TestContext.Current.CancellationToken);

        Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, under.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
    }

    [Fact]
    public async Task NonJsonContentType_Is415()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        var request = Post(Initialize);
        request.Content = new StringContent("hello", Encoding.UTF8, "text/plain");

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"initialize"}""", "Invalid params: initialize needs params: an object with protocolVersion, capabilities and clientInfo.")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"clientInfo":{"name":"c","version":"1"}}}""", "Invalid params: params.protocolVersion must be a string: the protocol version the client wants, for example '2025-11-25'.")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":[],"clientInfo":{"name":"c","version":"1"}}}""", "Invalid params: params.capabilities must be a JSON object: the client's capabilities ({} for none).")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c"}}}""", "Invalid params: params.clientInfo must be a JSON object with string name and version members.")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"sampling":5},"clientInfo":{"name":"c","version":"1"}}}""", "Invalid params: the initialize params do not match the MCP schema (at $.capabilities.sampling).")]
    public async Task InitializeWithParamsMcpDoesNotAllow_IsInvalidParams_NotAnInternalError(string json, string message)
    {
        // The SDK reads initialize params before it dispatches and threw on these: a 500 "Internal error." for the client's mistake.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(json), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var error = await ReadErrorAsync(response);
        Assert.Equal((int)ModelContextProtocol.McpErrorCode.InvalidParams, error.GetProperty("code").GetInt32());
        Assert.Equal(message, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Initialize_OnTheProtocolThatRemovedIt_IsStillMethodNotFound_WhateverItsParams()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        // A 2026-07-28 request otherwise well formed (per-request _meta, Mcp-Method header), without any initialize params.
        using var request = Post("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}""");
        request.Headers.Remove("MCP-Protocol-Version");
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", "initialize");

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal((int)ModelContextProtocol.McpErrorCode.MethodNotFound, (await ReadErrorAsync(response)).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task AnOversizedBatch_Is413_WithoutARecord()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post("[" + CallWithPadding(1024 * 1024) + "]"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(await FlushedRecordsAsync(server));
    }

    [Theory]
    [InlineData("utf-8")]
    [InlineData("UTF-8")]
    [InlineData("\"utf-8\"")]
    [InlineData("utf8")]
    public async Task Utf8Charset_HoweverSpelled_IsAccepted(string charset)
    {
        // ASP.NET Core's JSON reader, which the SDK uses, failed with 500 on the quoted and unhyphenated spellings.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(AddCallWithCharset(charset), TestContext.Current.CancellationToken);

        await AssertAddAnsweredAsync(response);
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("iso-8859-1")]
    [InlineData("us-ascii")]
    [InlineData("no-such-charset")]
    public async Task AnotherCharset_Is415_BeforeTheSdkTranscodesTheBody(string charset)
    {
        // The SDK would read the body transcoded from that charset (or fail with 500 on an unknown one) while the HTTP stage,
        // which checks the tool's scopes, reads UTF-8: the two must never see different messages.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(AddCallWithCharset(charset), TestContext.Current.CancellationToken);

        await AssertRejectedAsync(response, HttpStatusCode.UnsupportedMediaType, "Unsupported Media Type: the request body must be UTF-8 JSON; send Content-Type application/json without a charset, or with charset=utf-8.", server);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("identity, deflate")]
    public async Task ACompressedBody_Is415_NamingTheEncodingsAccepted(string coding)
    {
        // Read as it is, a compressed body was a parse error at byte 0; decoding it would let a small body expand past every limit.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        var json = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}""";
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        var request = Post(json);
        request.Content = new ByteArrayContent(compressed.ToArray());
        request.Content.Headers.ContentType = new("application/json");
        request.Content.Headers.TryAddWithoutValidation("Content-Encoding", coding);

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertRejectedAsync(response, HttpStatusCode.UnsupportedMediaType, "Unsupported Media Type: the request body has a Content-Encoding; send it uncompressed (no Content-Encoding, or identity).", server);
        Assert.Equal("identity", response.Headers.GetValues("Accept-Encoding").Single());
    }

    [Fact]
    public async Task ContentEncodingIdentity_IsAccepted()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        var request = AddCallWithCharset("utf-8");
        request.Content!.Headers.TryAddWithoutValidation("Content-Encoding", "Identity");

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertAddAnsweredAsync(response);
    }

    [Theory]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}]""", "Bad Request: the body is a JSON array (a JSON-RPC batch); MCP does not use batches since protocol 2025-06-18. Send one JSON-RPC message, a JSON object, per request.")]
    [InlineData("42", "Bad Request: the body must be one JSON-RPC message: a JSON object.")]
    [InlineData("\"tools/call\"", "Bad Request: the body must be one JSON-RPC message: a JSON object.")]
    public async Task ValidJsonThatIsNotOneMessage_IsInvalidRequest_SayingWhy(string json, string message)
    {
        // The SDK answered "Expected StartObject token" (its reader's words).
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(json), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ReadErrorAsync(response);
        Assert.Equal((int)ModelContextProtocol.McpErrorCode.InvalidRequest, error.GetProperty("code").GetInt32());
        Assert.Equal(message, error.GetProperty("message").GetString());
        Assert.Equal(0, server.Log().Count("add"));
    }

    [Theory]
    [InlineData("{\"jsonrpc\": \"2.0\", ", "null")]
    [InlineData("", "null")]
    [InlineData("[{\"jsonrpc\":\"2.0\",", "null")]
    [InlineData("""{"jsonrpc":"2.0","id":"a","method":"tools/list"} {"jsonrpc":"2.0","id":"b","method":"tools/list"}""", "\"a\"")]
    [InlineData("""{"jsonrpc":"2.0","id":3,/* comment */"method":"tools/list"}""", "3")]
    public async Task MalformedJson_IsParseError_WithTheReadersMessage_WithoutStackTrace(string json, string id)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(json), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain("ModelContextProtocol", body);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(id, doc.RootElement.GetProperty("id").GetRawText());
        Assert.Equal(McpServiceErrorCodes.ParseError, doc.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.StartsWith("Parse error: the request body is not valid JSON: ", doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1""")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}}""")]
    public async Task ToolCallThatIsNotValidJson_IsParseError_NotRun_AndAudited(string json)
    {
        // The method and the tool were readable before the JSON broke: the call is refused and recorded like any other.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(json), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(7, doc.RootElement.GetProperty("id").GetInt32());
        var message = doc.RootElement.GetProperty("error").GetProperty("message").GetString();
        Assert.Equal(McpServiceErrorCodes.ParseError, doc.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(0, server.Log().Count("add"));
        var record = Assert.Single(await FlushedRecordsAsync(server));
        Assert.Equal(("invalid", "parse_error", "add"), (record.Outcome, record.ErrorCode, record.Tool));
        using var audited = JsonDocument.Parse(record.Json);
        Assert.Equal(message, audited.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(7, audited.RootElement.GetProperty("request").GetProperty("jsonRpcId").GetInt32());
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"note":"\udc00x"}}}""", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"\ud800":2}}}""", "add")]
    [InlineData("""{"jsonrpc":"2.0","method":"tools/call","id":7,"params":{"name":"add\ud800","arguments":{"a":1}}}""", "")]
    [InlineData("""{"jsonrpc":"2.0","id":"\uDBFF","method":"tools/call","params":{"name":"add","arguments":{"a":1}}}""", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","\ud800":1,"arguments":{"a":1}}}""", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"ping","\ud800":1}""", null)]
    [InlineData("""{"jsonrpc":"\ud800","id":1,"method":"ping"}""", null)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"ping","params":{"\udc00":1}}""", null)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"\ud800"}}""", null)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"\ud800":"x"},"argument":{"name":"a","value":"b"}}}""", null)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"\ud800":"x","name":"a","version":"1"}}}""", null)]
    public async Task StringsThatAreNotUnicode_AreParseErrors_AndTheAuditTrailKeepsWorking(string json, string? tool)
    {
        // \ud800-\udfff escapes without their pair: well-formed JSON, but no Unicode string. Such a call used to reach the audit
        // writer, which could not write its arguments; the trail then refused every later call. In a member name, or in a value
        // the HTTP stage compares (jsonrpc, a logging level, a completion reference), the JSON reader threw while comparing, and
        // any such request, whatever its method, got a 500.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var response = await http.SendAsync(Post(json), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ReadErrorAsync(response);
        Assert.Equal(McpServiceErrorCodes.ParseError, error.GetProperty("code").GetInt32());
        Assert.Contains("unpaired UTF-16 surrogate", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        if (tool is not null)
        {
            var record = await server.Audit.WaitForAsync(r => r.Outcome == "invalid", cancellationToken: ct);
            Assert.Equal(("parse_error", tool), (record.ErrorCode, record.Tool));
            Assert.Equal(JsonValueKind.Null, McpServices.Testing.McpTestAuditSink.Parse(record).GetProperty("arguments").ValueKind);
        }

        Assert.Equal(0, server.Log().Count("add"));

        using var next = await http.SendAsync(Post("""{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}"""), ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        await server.Audit.WaitForAsync(r => r.Outcome == "succeeded", cancellationToken: ct);
        using var ready = await http.GetAsync("readyz", ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData("{'jsonrpc':'2.0','id':7,'method':'tools/call','params':{'name':'add','arguments':{'a':1,'b%ff':2}}}", "add", 90)]
    [InlineData("{'jsonrpc':'2.0','id':7,'method':'tools/call','params':{'name':'add','arguments':{'a':1,'note':'caf%e9'}}}", "add", 99)]
    [InlineData("{'jsonrpc':'2.0','id':7,'method':'tools/call','params':{'name':'add','argument%c4s':{'a':1}}}", "add", 78)]
    [InlineData("{'jsonrpc':'2.0','id':7,'method':'tools/call','params':{'name':'add','arguments':{'a':1,'b%9e':2}}", "add", -1)]
    [InlineData("{'jsonrpc':'2.0','id':7,'method':'tools/list','params':{'c%a1rsor':'x'}}", null, 58)]
    public async Task BodyThatIsNotUtf8_IsParseError_NamingTheByte_AndAToolCallIsAudited(string template, string? tool, int offset)
    {
        // (offset -1: the JSON is also cut off, and the reader's message about that comes first.)
        // Raw bytes that are not UTF-8 (Latin-1 text, a broken sequence): the JSON reader does not check them, and the SDK failed
        // on them with a bare −32603, a 500, or a response cut off after it had started.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();
        var ct = TestContext.Current.CancellationToken;
        // %xx is one raw byte; everything else is ASCII.
        var bytes = Regex.Replace(template.Replace('\'', '"'), "%([0-9a-f]{2})", m => ((char)Convert.ToByte(m.Groups[1].Value, 16)).ToString()).Select(c => (byte)c).ToArray();
        var request = Post("{}");
        request.Content = new ByteArrayContent(bytes);
        request.Content.Headers.ContentType = new("application/json");

        using var response = await http.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ReadErrorAsync(response);
        Assert.Equal(McpServiceErrorCodes.ParseError, error.GetProperty("code").GetInt32());
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith("Parse error: the request body is not valid JSON: ", message, StringComparison.Ordinal);
        if (offset >= 0)
        {
            Assert.EndsWith($"the body is not valid UTF-8 (an invalid byte sequence at byte {offset}); MCP messages are UTF-8.", message, StringComparison.Ordinal);
        }
        if (tool is not null)
        {
            var record = await server.Audit.WaitForAsync(r => r.Outcome == "invalid", cancellationToken: ct);
            Assert.Equal(("parse_error", tool), (record.ErrorCode, record.Tool));
            Assert.Equal(JsonValueKind.Null, McpServices.Testing.McpTestAuditSink.Parse(record).GetProperty("arguments").ValueKind);
        }

        Assert.Equal(0, server.Log().Count("add"));
        using var next = await http.SendAsync(Post("""{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}"""), ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Theory]
    [InlineData("""{"id":9,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}""", "the message has no \"jsonrpc\" member; JSON-RPC 2.0 messages carry \"jsonrpc\": \"2.0\".")]
    [InlineData("""{"jsonrpc":"1.0","id":9,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}""", "\"jsonrpc\" must be the string \"2.0\", the JSON-RPC version MCP uses.")]
    [InlineData("""{"jsonrpc":2.0,"id":9,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}""", "\"jsonrpc\" must be the string \"2.0\", the JSON-RPC version MCP uses.")]
    [InlineData("""{"jsonrpc":null,"id":9,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}""", "\"jsonrpc\" must be the string \"2.0\", the JSON-RPC version MCP uses.")]
    public async Task AMessageWithoutJsonRpc20_IsInvalidRequest_WithItsId_AndAudited(string json, string problem)
    {
        // The SDK answered these with id null, and for some values with its internal type names in the message.
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(json), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(9, body.RootElement.GetProperty("id").GetInt32());
        Assert.Equal((int)ModelContextProtocol.McpErrorCode.InvalidRequest, body.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("Bad Request: " + problem, body.RootElement.GetProperty("error").GetProperty("message").GetString());
        var record = await server.Audit.WaitForAsync(r => r.Tool == "add", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(("invalid", "invalid_request"), (record.Outcome, record.ErrorCode));
        Assert.Equal(0, server.Log().Count("add"));
    }

    [Fact]
    public async Task AnEscapedJsonRpcVersion_IsTheVersion()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post("""{"jsonrpc":"2\u002e0","id":9,"method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}"""), TestContext.Current.CancellationToken);

        await AssertAddAnsweredAsync(response);
    }

    [Fact]
    public async Task EscapedSurrogatePairs_AreOrdinaryText()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post("""{"jsonrpc":"2.0","id":"\ud83d\ude00","method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"result\"", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var record = await server.Audit.WaitForAsync(r => r.Outcome == "succeeded", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("\U0001F600", McpServices.Testing.McpTestAuditSink.Parse(record).GetProperty("request").GetProperty("jsonRpcId").GetString());
    }

    [Theory]
    [InlineData("""{"a":1}""", "must be a string or an integer")]
    [InlineData("[7]", "must be a string or an integer")]
    [InlineData("1.5", "must be a string or an integer")]
    [InlineData("1e2", "must be a string or an integer")]
    [InlineData("9223372036854775808", "must be a string or an integer")]
    [InlineData("true", "must be a string or an integer")]
    [InlineData("null", "must not be null")]
    public async Task ToolCallWithAnIdMcpDoesNotAllow_IsInvalidRequest_NotRun_AndAudited(string id, string problem)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        // The id comes first, so a reader that does not step over an object id would lose the method after it.
        using var response = await http.SendAsync(Post("""{"jsonrpc":"2.0","id":""" + id + ""","method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("ModelContextProtocol", body);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("id").ValueKind);
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(-32600, error.GetProperty("code").GetInt32());
        Assert.Contains("Bad Request: the JSON-RPC id " + problem, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, server.Log().Count("add"));
        var record = Assert.Single(await FlushedRecordsAsync(server));
        Assert.Equal(("invalid", "invalid_request", "add"), (record.Outcome, record.ErrorCode, record.Tool));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}""", -32600)]
    [InlineData("""{"jsonrpc":"2.0","id":-3,"method":"tools/list"}""", 0)]
    [InlineData("""{"jsonrpc":"2.0","id":"","method":"tools/list"}""", 0)]
    public async Task OtherRequests_IdsAreCheckedTheSameWay(string json, int expectedCode)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(json), TestContext.Current.CancellationToken);

        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        if (expectedCode == 0)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"tools\"", body);
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var doc = JsonDocument.Parse(body);
            Assert.Equal(expectedCode, doc.RootElement.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal("Bad Request: the JSON-RPC id must be a string or an integer (64-bit).", doc.RootElement.GetProperty("error").GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":[1]}""", "params must be a JSON object.", "")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call"}""", "tools/call needs params: an object with the name of the tool to call and its arguments.", "")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{"a":1}}}""", "params.name must be a string: the name of the tool to call.", "")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":{"name":"add"},"arguments":{"a":1}}}""", "params.name must be a string: the name of the tool to call.", "")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":"a=1"}}""", "params.arguments must be a JSON object of the tool's arguments.", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1},"_meta":5}}""", "params._meta must be a JSON object.", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1},"_meta":{"traceparent":"x","progressToken":{"id":1}}}}""", "params._meta.progressToken must be a string or a number: the token the progress notifications of the request carry.", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"_meta":{"progressToken":true},"name":"add","arguments":{"a":1}}}""", "params._meta.progressToken must be a string or a number: the token the progress notifications of the request carry.", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1},"requestState":[1]}}""", "params.requestState must be a string: the requestState of the server's input-required result, unchanged.", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1},"inputResponses":"yes"}}""", "params.inputResponses must be a JSON object: the answers to the server's input requests, by their keys.", "add")]
    // An argument or a member of one given twice: the tool, the binding and typed policies would get the last copy, a gateway or
    // an audit reader with another parser the first (RepeatedMembers).
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2,"a":40}}}""", "params.arguments has more than one \"a\" member; JSON parsers disagree on which one counts, so send each member once.", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{"a":1,"b":2,"\u0061":40},"name":"add"}}""", "params.arguments has more than one \"a\" member; JSON parsers disagree on which one counts, so send each member once.", "add")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":{"x":[{"w":"ams-1"},{"w":"ams-1","w":"ber-1"}]}}}}""", "params.arguments.b.x[1] has more than one \"w\" member; JSON parsers disagree on which one counts, so send each member once.", "add")]
    public async Task ToolCallWithMalformedParams_IsInvalidParams_NamesTheProblem_AndIsAudited(string json, string problem, string tool)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(json), TestContext.Current.CancellationToken);

        // A JSON-RPC error for the request (HTTP 200, like the SDK's own -32602), not the SDK's bare "An error occurred." (-32603).
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using (var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)))
        {
            Assert.Equal(7, doc.RootElement.GetProperty("id").GetInt32());
            var error = doc.RootElement.GetProperty("error");
            Assert.Equal(-32602, error.GetProperty("code").GetInt32());
            Assert.Equal("Invalid params: " + problem, error.GetProperty("message").GetString());
        }

        Assert.Equal(0, server.Log().Count("add"));
        var record = Assert.Single(await FlushedRecordsAsync(server));
        Assert.Equal(("invalid", "invalid_params", tool), (record.Outcome, record.ErrorCode, record.Tool));
        using var audited = JsonDocument.Parse(record.Json);
        Assert.Equal("Invalid params: " + problem, audited.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("tools/list", """[1]""")]
    [InlineData("tools/list", """{"_meta":"x"}""")]
    [InlineData("tools/list", """{"_meta":{"progressToken":[1]}}""")]
    [InlineData("resources/list", "\"x\"")]
    public async Task OtherRequestsWithMalformedParams_AreInvalidParams(string method, string parameters)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post($$"""{"jsonrpc":"2.0","id":"r1","method":"{{method}}","params":{{parameters}}}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("r1", doc.RootElement.GetProperty("id").GetString());
        Assert.Equal(-32602, doc.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.StartsWith("Invalid params: params", doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ping","name":"read_stock"}}""", "params.name")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_stock","na\u006de":"ping"}}""", "params.name")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ping","arguments":{},"arguments":{"a":1}}}""", "params.arguments")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ping","_meta":{},"_meta":{}}}""", "params._meta")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_stock"},"params":{"name":"ping"}}""", "params")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/list","method":"tools/call","params":{"name":"ping"}}""", "method")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"id":8,"method":"tools/call","params":{"name":"ping"}}""", "id")]
    [InlineData("""{"jsonrpc":"2.0","jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ping"}}""", "jsonrpc")]
    public async Task ToolCallWithAMemberGivenTwice_IsRefusedAsAmbiguous_BeforeAnyToolRuns(string json, string member)
    {
        // Which copy counts differs between parsers; a gate that authorizes one tool while the SDK runs another would be a
        // bypass, so such messages are refused whatever the copies say (here an anonymous tool next to a protected one).
        await using var server = await TestServer.StartAsync(b => b.WithTools<PublicTools>().WithTools<SecuredTools>(), authentication: true);
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post(json, bearer: server.Token("inventory:read")), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((-32600, $"Bad Request: the JSON-RPC message has more than one \"{member}\" member; send each member once."), await ReadCodeAndMessageAsync(response));
        Assert.Equal(0, server.Log().Count("ping") + server.Log().Count("read_stock"));
        var record = await server.Audit.WaitForAsync(r => r.Outcome == "invalid", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("invalid_request", record.ErrorCode);
    }

    [Fact]
    public async Task ACallWithAnArgumentGivenTwice_IsCheckedForItAfterAuthentication_AndAuditedWithTheLastValue_LikeTheSdkReadsIt()
    {
        const string Call = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_stock","arguments":{"sku":"A","sku":"B"}}}""";
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true);
        using var http = server.CreateHttpClient();

        // Without a credential the names of the arguments are not compared (RepeatedMembers): the caller is refused for that.
        using var response = await http.SendAsync(Post(Call), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var record = await server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken);
        Assert.Equal("denied", record.GetProperty("outcome").GetString());
        Assert.Equal("B", record.GetProperty("arguments").GetProperty("sku").GetString());

        using var refused = await http.SendAsync(Post(Call, bearer: server.Token("inventory:read")), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal(
            (-32602, "Invalid params: params.arguments has more than one \"sku\" member; JSON parsers disagree on which one counts, so send each member once."),
            await ReadCodeAndMessageAsync(refused));
        Assert.Equal(0, server.Log().Count("read_stock"));
        Assert.Equal("invalid_params", (await server.Audit.WaitForAsync(r => r.Outcome == "invalid", cancellationToken: TestContext.Current.CancellationToken)).ErrorCode);
    }

    [Fact]
    public async Task FailureOfTheHttpStageItself_IsTheDocumentedInternalError_AndTheCallIsAudited()
    {
        // A broken authentication service (a custom handler that throws) fails the HTTP stage after the call was admitted.
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b => b.Services.AddScoped<Microsoft.AspNetCore.Authentication.IAuthenticationService>(sp => new ThrowsOnSecondAuthentication(ActivatorUtilities.CreateInstance<Microsoft.AspNetCore.Authentication.AuthenticationService>(sp))),
            authentication: true);
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_stock"}}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using (var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)))
        {
            // The error answers the request: JSON-RPC asks for the request's id whenever it could be read.
            Assert.Equal(7, doc.RootElement.GetProperty("id").GetInt32());
            var error = doc.RootElement.GetProperty("error");
            Assert.Equal((McpServiceErrorCodes.InternalError, "Internal error."), (error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()));
        }

        var record = await server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken);
        Assert.Equal("failed", record.GetProperty("outcome").GetString());
        Assert.Equal("internal_error", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, server.Log().Count("read_stock"));
    }

    /// <summary>The authentication middleware's call works; the HTTP stage's own call (the second for the McpServices scheme in a request) throws.</summary>
    private sealed class ThrowsOnSecondAuthentication(Microsoft.AspNetCore.Authentication.IAuthenticationService inner) : Microsoft.AspNetCore.Authentication.IAuthenticationService
    {
        public Task<Microsoft.AspNetCore.Authentication.AuthenticateResult> AuthenticateAsync(Microsoft.AspNetCore.Http.HttpContext context, string? scheme)
        {
            if (scheme == McpServiceAuthenticationDefaults.Scheme)
            {
                var calls = context.Items["calls"] is int n ? n + 1 : 1;
                context.Items["calls"] = calls;
                if (calls > 1)
                {
                    throw new InvalidOperationException("broken handler");
                }
            }

            return inner.AuthenticateAsync(context, scheme);
        }

        public Task ChallengeAsync(Microsoft.AspNetCore.Http.HttpContext context, string? scheme, Microsoft.AspNetCore.Authentication.AuthenticationProperties? properties) => inner.ChallengeAsync(context, scheme, properties);

        public Task ForbidAsync(Microsoft.AspNetCore.Http.HttpContext context, string? scheme, Microsoft.AspNetCore.Authentication.AuthenticationProperties? properties) => inner.ForbidAsync(context, scheme, properties);

        public Task SignInAsync(Microsoft.AspNetCore.Http.HttpContext context, string? scheme, System.Security.Claims.ClaimsPrincipal principal, Microsoft.AspNetCore.Authentication.AuthenticationProperties? properties) => inner.SignInAsync(context, scheme, principal, properties);

        public Task SignOutAsync(Microsoft.AspNetCore.Http.HttpContext context, string? scheme, Microsoft.AspNetCore.Authentication.AuthenticationProperties? properties) => inner.SignOutAsync(context, scheme, properties);
    }

    [Fact]
    public async Task ToolCallSentAsANotification_IsNotRun_NotAnswered_AndTheRecordSaysWhy()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Post("""{"jsonrpc":"2.0","method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, server.Log().Count("add"));
        var record = Assert.Single(await FlushedRecordsAsync(server));
        Assert.Equal(("invalid", "invalid_request", "add"), (record.Outcome, record.ErrorCode, record.Tool));
    }

    [Fact]
    public async Task NullParamsAndNullArguments_AreAccepted()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var list = await http.SendAsync(Post("""{"jsonrpc":"2.0","id":1,"method":"tools/list","params":null}"""), TestContext.Current.CancellationToken);
        using var call = await http.SendAsync(Post("""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":null,"_meta":null}}"""), TestContext.Current.CancellationToken);

        Assert.Contains("\"tools\"", await list.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var text = await call.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("\"result\"", text);
        Assert.DoesNotContain("-32602", text);
    }

    /// <summary>The JSON-RPC message of a response body, whether sent as JSON or as one server-sent event.</summary>
    internal static string MessageOf(string body) =>
        body.StartsWith('{') ? body : body.Split('\n').First(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];

    internal static HttpRequestMessage Post(string json, string? origin = null, string path = "mcp", string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }

        return request;
    }

    /// <summary>A call of <c>add</c> (40 + 2) whose Content-Type names <paramref name="charset"/>.</summary>
    private static HttpRequestMessage AddCallWithCharset(string charset)
    {
        var request = Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}""");
        request.Content!.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");
        return request;
    }

    private static string CallWithPadding(int size)
    {
        var prefix = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"pad":" """;
        var suffix = "\"}}}";
        return prefix + new string('x', Math.Max(0, size - prefix.Length - suffix.Length)) + suffix;
    }

    /// <summary>Every audit record of the server so far, once the writer has written what it holds.</summary>
    private static async Task<IReadOnlyList<AuditRecord>> FlushedRecordsAsync(McpServices.Testing.McpTestServer server)
    {
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);
        return server.Audit.Records;
    }

    /// <summary>Asserts a refusal by the HTTP stage: the status, −32045 and the message; the tool did not run.</summary>
    private static async Task AssertRejectedAsync(HttpResponseMessage response, HttpStatusCode status, string message, McpServices.Testing.McpTestServer server)
    {
        Assert.Equal(status, response.StatusCode);
        var error = await ReadErrorAsync(response);
        Assert.Equal(McpServiceErrorCodes.RequestRejected, error.GetProperty("code").GetInt32());
        Assert.Equal(message, error.GetProperty("message").GetString());
        Assert.Equal(0, server.Log().Count("add"));
    }

    /// <summary>Asserts that the call of <c>add</c> (40 + 2) was answered.</summary>
    private static async Task AssertAddAnsweredAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"text\":\"42\"", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static async Task<JsonElement> ReadErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("error").Clone();
    }

    private static async Task<(int Code, string? Message)> ReadCodeAndMessageAsync(HttpResponseMessage response)
    {
        var error = await ReadErrorAsync(response);
        return (error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString());
    }
}
