using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>
/// A <c>tools/call</c> whose body never arrives whole — sent too slowly, in broken chunks, or cut off by the client — is answered
/// with a documented error (or nobody, when the client is gone) and still has its one audit record, from what arrived. Before,
/// it was answered "Bad Request: the request body could not be read." (also for a 408) with a null id, and left no record.
/// </summary>
public sealed class UnreadableBodyTests
{
    private const string Call = """{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}""";

    [Fact]
    public async Task ABodySentMoreSlowlyThanTheMinimumDataRate_Is408_WithItsId_AndTheCallIsAudited()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            configure: b => b.WebHost.ConfigureKestrel(k => k.Limits.MinRequestBodyDataRate = new MinDataRate(240, TimeSpan.FromSeconds(2))));
        using var tcp = await ConnectAsync(server, ct);
        var body = Encoding.UTF8.GetBytes(Call);

        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(Head(server, $"Content-Length: {body.Length}")).Concat(body[..70]).ToArray(), ct);
        var response = await ReadResponseAsync(tcp, ct);

        Assert.StartsWith("HTTP/1.1 408 ", response, StringComparison.Ordinal);
        var error = JsonDocument.Parse(response[response.IndexOf("{\"", StringComparison.Ordinal)..response.LastIndexOf('}')] + "}").RootElement;
        Assert.Equal(77, error.GetProperty("id").GetInt32());
        Assert.Equal(McpServiceErrorCodes.RequestRejected, error.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("Request Timeout: the request body arrived more slowly than the server's minimum data rate.", error.GetProperty("error").GetProperty("message").GetString());
        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "add", cancellationToken: ct));
        Assert.Equal(("invalid", "request_timeout"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(77, record.GetProperty("request").GetProperty("jsonRpcId").GetInt32());
        Assert.Equal(0, server.Log().Count("add"));
    }

    [Fact]
    public async Task ABodyInBrokenChunks_Is400_NamingTheProblem_AndTheCallIsAudited()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var tcp = await ConnectAsync(server, ct);
        var start = Call[..70];

        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(Head(server, "Transfer-Encoding: chunked") + $"{start.Length:x}\r\n{start}\r\n"), ct);
        await Task.Delay(200, ct); // the server reads the first chunk; a broken chunk in the same packet would fail the read before it
        await tcp.GetStream().WriteAsync("zz\r\n"u8.ToArray(), ct);
        var response = await ReadResponseAsync(tcp, ct);

        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"id\":77", response, StringComparison.Ordinal);
        Assert.Contains("Bad Request: the request body could not be read: Bad chunk size data.", response, StringComparison.Ordinal);
        var record = await server.Audit.WaitForAsync(r => r.Tool == "add", cancellationToken: ct);
        Assert.Equal(("invalid", "unreadable_body"), (record.Outcome, record.ErrorCode));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientThatClosesTheConnectionInTheMiddleOfTheBody_LeavesARecordOfItsCall(bool reset)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        var body = Encoding.UTF8.GetBytes(Call);
        using (var tcp = await ConnectAsync(server, ct))
        {
            await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(Head(server, $"Content-Length: {body.Length}")).Concat(body[..70]).ToArray(), ct);
            await Task.Delay(200, ct); // the server reads what was sent and waits for the rest
            if (reset)
            {
                tcp.Client.LingerState = new LingerOption(true, 0); // closed with RST instead of FIN
            }
        }

        // Kestrel reports the body's early end as a 400 or as an aborted request, depending on which it notices first: the
        // record says the same either way (this test failed one run in three before it did).
        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "add", cancellationToken: ct));
        Assert.Equal(("cancelled", "client_disconnected"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal("The client closed the connection before the request body arrived.", record.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(77, record.GetProperty("request").GetProperty("jsonRpcId").GetInt32());
        Assert.Equal(0, server.Log().Count("add"));
    }

    private static string Head(McpTestServer server, string framing) =>
        $"POST /mcp HTTP/1.1\r\nHost: {server.McpEndpoint.Authority}\r\nContent-Type: application/json\r\n"
        + $"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n{framing}\r\n\r\n";

    private static async Task<TcpClient> ConnectAsync(McpTestServer server, CancellationToken ct)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server.McpEndpoint.Host, server.McpEndpoint.Port, ct);
        return tcp;
    }

    /// <summary>The whole response: the server closes the connection after it.</summary>
    private static async Task<string> ReadResponseAsync(TcpClient tcp, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var response = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while ((read = await tcp.GetStream().ReadAsync(buffer, timeout.Token)) > 0)
        {
            response.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return response.ToString();
    }
}
