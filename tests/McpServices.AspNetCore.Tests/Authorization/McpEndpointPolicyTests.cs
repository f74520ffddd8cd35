using System.Net;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;

namespace McpServices.AspNetCore.Tests.Authorization;

/// <summary>
/// McpServices added to an application with authorization rules of its own. One that requires an authenticated user
/// everywhere (<c>AuthorizationOptions.FallbackPolicy</c>), as existing APIs often do, used to refuse every MCP request before the
/// HTTP stage: anonymous tools were unreachable, and refused tool calls went unaudited.
/// </summary>
public sealed class McpEndpointPolicyTests
{
    private const string Ping = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ping","arguments":{}}}""";
    private const string ReadStock = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""";

    [Fact]
    public async Task TheMcpEndpoint_DecidesItsOwnCalls_WhileTheApplicationsEndpointsKeepTheFallback()
    {
        await using var server = await StartAsync(app => app.MapMcpService());
        using var http = server.CreateHttpClient();

        using var orders = await http.GetAsync("api/orders", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, orders.StatusCode);

        // An anonymous tool, and the list, without a token.
        using var ping = await http.SendAsync(RequestGateTests.Post(Ping), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Contains("pong", await ping.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var list = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);

        // A protected tool without a token: the HTTP stage's 401, with the request's id, and an audit record.
        using var read = await http.SendAsync(RequestGateTests.Post(ReadStock), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        using var body = JsonDocument.Parse(await read.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(7, body.RootElement.GetProperty("id").GetInt32());
        var record = McpServices.Testing.McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "read_stock", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("authentication_required", record.GetProperty("error").GetProperty("code").GetString());

        // With a token, the protected tool runs.
        using var allowed = await http.SendAsync(RequestGateTests.Post(ReadStock, bearer: server.Token("inventory:read")), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(1, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task RequireAuthorization_ChainedOnTheMcpEndpoint_StillApplies()
    {
        await using var server = await StartAsync(app => app.MapMcpService().RequireAuthorization());
        using var http = server.CreateHttpClient();

        using var ping = await http.SendAsync(RequestGateTests.Post(Ping), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, ping.StatusCode);
        Assert.Equal(0, server.Log().Count("ping"));
    }

    private static Task<McpServices.Testing.McpTestServer> StartAsync(Action<WebApplication> mapMcp) =>
        TestServer.StartAsync(b => b.WithTools<PublicTools>().WithTools<SecuredTools>(),
            configure: b => b.Services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build()),
            configureApp: app =>
            {
                mapMcp(app);
                app.MapGet("/api/orders", () => "orders");
            },
            authentication: true);
}
