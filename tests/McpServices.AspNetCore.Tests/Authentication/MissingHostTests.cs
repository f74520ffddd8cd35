using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>
/// The resource URL comes from the request's Host unless it is configured. An HTTP/1.0 request may leave Host out (and an
/// HTTP/1.1 one send it empty): the challenge then pointed at "http:///.well-known/…" and the metadata named "http:///mcp" as the
/// resource, cacheable for five minutes. Such a request now gets a 400 that says why, and a tool call among them its record.
/// </summary>
public sealed class MissingHostTests
{
    private const string Call = """{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""";

    [Theory]
    [InlineData("HTTP/1.0", null)]
    [InlineData("HTTP/1.1", "")]
    public async Task WithoutAConfiguredResource_ARequestWithoutHost_Is400_AndItsToolCallIsAudited(string version, string? host)
    {
        var ct = TestContext.Current.CancellationToken;
        var audit = new McpTestAuditSink();
        await using var app = await StartWithoutHostNamesAsync(audit, authentication: true, ct);
        var port = new Uri(app.Urls.First()).Port;

        var call = await SendAsync(port, $"POST /mcp {version}", host, Call, ct);
        var metadata = await SendAsync(port, $"GET /.well-known/oauth-protected-resource/mcp {version}", host, body: null, ct);

        Assert.StartsWith($"HTTP/1.1 400 ", call, StringComparison.Ordinal);
        Assert.DoesNotContain("WWW-Authenticate", call, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(ResourceUrls.NoHostMessage, Body(call).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(9, Body(call).GetProperty("id").GetInt32());
        var record = McpTestAuditSink.Parse(await audit.WaitForAsync(r => r.Tool == "read_stock", cancellationToken: ct));
        Assert.Equal(("invalid", "missing_host"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));

        Assert.StartsWith("HTTP/1.1 400 ", metadata, StringComparison.Ordinal);
        Assert.Contains("Cache-Control: no-store", metadata, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("invalid_request", Body(metadata).GetProperty("error").GetString());
        Assert.DoesNotContain("http:///", metadata, StringComparison.Ordinal);

        // An endpoint of the application that shares the scheme is still challenged, without pointing at "http:///…".
        var orders = await SendAsync(port, $"GET /orders {version}", host, body: null, ct);
        Assert.StartsWith("HTTP/1.1 401 ", orders, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate: Bearer\r\n", orders, StringComparison.Ordinal);
        Assert.DoesNotContain("http:///", orders, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAConfiguredResource_ARequestWithoutHost_IsChallengedWithThatResourcesMetadata()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.Resource = "https://agents.example.com/mcp", authentication: true);

        var call = await SendAsync(server.McpEndpoint.Port, "POST /mcp HTTP/1.0", host: null, Call, ct);
        var metadata = await SendAsync(server.McpEndpoint.Port, "GET /.well-known/oauth-protected-resource/mcp HTTP/1.0", host: null, body: null, ct);

        Assert.StartsWith("HTTP/1.1 401 ", call, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate: Bearer resource_metadata=\"https://agents.example.com/.well-known/oauth-protected-resource/mcp\"", call, StringComparison.Ordinal);
        Assert.Equal("https://agents.example.com/mcp", Body(metadata).GetProperty("resource").GetString());
    }

    [Fact]
    public async Task WithoutAuthentication_ARequestWithoutHost_IsServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await StartWithoutHostNamesAsync(new McpTestAuditSink(), authentication: false, ct);

        var call = await SendAsync(new Uri(app.Urls.First()).Port, "POST /mcp HTTP/1.0", host: null, """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}""", ct);

        Assert.StartsWith("HTTP/1.1 200 ", call, StringComparison.Ordinal);
        Assert.Contains("42", call, StringComparison.Ordinal);
    }

    /// <summary>
    /// A service in Development, where neither AllowedHosts nor Resource is required (McpTestServer would name the loopback
    /// hosts, which refuses a request without Host with 403 before the resource URL matters).
    /// </summary>
    private static async Task<WebApplication> StartWithoutHostNamesAsync(McpTestAuditSink audit, bool authentication, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", Args = [] });
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<IAuditSink>(audit);
        builder.Services.AddSingleton<InvocationLog>();
        TestServer.Issuer.ConfigureService(builder.Services);
        builder.AddMcpService(o =>
        {
            o.Audit.Sinks = ["none"];
            o.Authentication.Enabled = authentication;
        }).WithTools<SecuredTools>().WithTools<CalculatorTools>();
        var app = builder.Build();
        app.MapMcpService();
        app.MapGet("/orders", () => "orders").RequireAuthorization();
        await app.StartAsync(ct);
        return app;
    }

    /// <summary>One request on its own connection; the whole response (the server closes HTTP/1.0 connections after it).</summary>
    private static async Task<string> SendAsync(int port, string requestLine, string? host, string? body, CancellationToken ct)
    {
        var request = new StringBuilder(requestLine).Append("\r\n");
        if (host is not null)
        {
            request.Append("Host: ").Append(host).Append("\r\n");
        }

        if (body is not null)
        {
            request.Append("Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n")
                .Append($"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n");
        }

        request.Append("Connection: close\r\n\r\n").Append(body);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
        await tcp.GetStream().WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), ct);
        using var reader = new StreamReader(tcp.GetStream(), Encoding.UTF8);
        return await reader.ReadToEndAsync(ct);
    }

    private static JsonElement Body(string response)
    {
        var json = response[response.IndexOf('{', StringComparison.Ordinal)..(response.LastIndexOf('}') + 1)];
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
