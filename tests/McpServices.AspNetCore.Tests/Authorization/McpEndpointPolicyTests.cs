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

    [Fact]
    public async Task TheApplicationsEndpoints_AreChallengedWithTheirOwnErrorBodies_TheMcpEndpointWithJsonRpc()
    {
        // An API that answers errors with problem details: the 401 of its own endpoints, challenged by the scheme it shares with
        // the MCP endpoint, must be its problem details, not a JSON-RPC error its clients do not speak.
        await using var server = await StartAsync(
            app => app.MapMcpService().RequireAuthorization(),
            b => b.Services.AddProblemDetails(),
            app =>
            {
                app.UseStatusCodePages();
                app.UseAuthentication();
                app.UseAuthorization();
            });
        using var http = server.CreateHttpClient();
        var ct = TestContext.Current.CancellationToken;

        foreach (var token in new[] { null, "not-a-token" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/orders");
            if (token is not null)
            {
                request.Headers.Authorization = new("Bearer", token);
            }

            using var orders = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.Unauthorized, orders.StatusCode);
            Assert.StartsWith(token is null ? "Bearer resource_metadata=" : "Bearer error=\"invalid_token\"", orders.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.Equal("application/problem+json", orders.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await orders.Content.ReadAsStringAsync(ct));
            Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
        }

        using var ping = await http.SendAsync(RequestGateTests.Post(Ping), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, ping.StatusCode);
        Assert.Equal("application/json", ping.Content.Headers.ContentType?.MediaType);
        using var error = JsonDocument.Parse(await ping.Content.ReadAsStringAsync(ct));
        Assert.Equal(McpServiceErrorCodes.Unauthenticated, error.RootElement.GetProperty("error").GetProperty("code").GetInt32());
    }

    private static Task<McpServices.Testing.McpTestServer> StartAsync(Action<WebApplication> mapMcp, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? middleware = null) =>
        TestServer.StartAsync(b => b.WithTools<PublicTools>().WithTools<SecuredTools>(),
            configure: b =>
            {
                b.Services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
                configure?.Invoke(b);
            },
            configureApp: app =>
            {
                middleware?.Invoke(app);
                mapMcp(app);
                app.MapGet("/api/orders", () => "orders");
            },
            authentication: true);
}
