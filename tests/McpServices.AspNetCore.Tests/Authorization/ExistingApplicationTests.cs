using System.Net;
using System.Security.Claims;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;

namespace McpServices.AspNetCore.Tests.Authorization;

/// <summary>
/// McpServices added to an application with authentication and authorization of its own. One that requires an authenticated user
/// everywhere (<c>AuthorizationOptions.FallbackPolicy</c>), as existing APIs often do, used to refuse every MCP request before the
/// HTTP stage: anonymous tools were unreachable, and refused tool calls went unaudited.
/// </summary>
public sealed class ExistingApplicationTests
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
        using var authorized = RequestGateTests.Post(ReadStock);
        authorized.Headers.Authorization = new("Bearer", server.Token("inventory:read"));
        using var allowed = await http.SendAsync(authorized, TestContext.Current.CancellationToken);
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
    public async Task AnApplicationWithCookieAuthenticationAsItsDefault_StillGetsTheMcpChallenges_NotALoginRedirect()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<PublicTools>().WithTools<SecuredTools>(),
            configure: b => b.Services.AddAuthentication(Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(),
            authentication: true);
        using var http = server.CreateHttpClient();

        using var anonymous = await http.SendAsync(RequestGateTests.Post(ReadStock), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.StartsWith("Bearer resource_metadata=", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var authorized = RequestGateTests.Post(ReadStock);
        authorized.Headers.Authorization = new("Bearer", server.Token("inventory:read"));
        using var allowed = await http.SendAsync(authorized, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var record = McpServices.Testing.McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "read_stock" && r.Outcome == "succeeded", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("jwt", record.GetProperty("actor").GetProperty("authenticationMethod").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnApplicationWithItsOwnJwtScheme_KeepsItUnchanged_WhileMcpCallersNeedTokensForTheMcpEndpoint(bool namedAsDefault)
    {
        // The application's API accepts tokens from the same identity provider, issued for its own audience, through a scheme
        // of its own. McpServices used to take any JWT scheme as its own and then found no "Bearer" scheme to authenticate
        // with: the service refused to start, saying that no issuer was configured.
        await using var server = await TestServer.StartAsync(b => b.WithTools<PublicTools>().WithTools<SecuredTools>(),
            // Without a default named, ASP.NET Core makes an application's only scheme the default; McpServices' schemes must not
            // take that place (the application's endpoints would then have refused its own tokens).
            configure: b => (namedAsDefault ? b.Services.AddAuthentication("Orders") : b.Services.AddAuthentication()).AddJwtBearer("Orders", o =>
            {
                o.TokenValidationParameters.ValidIssuer = TestServer.Issuer.Issuer;
                o.TokenValidationParameters.ValidAudience = OrdersAudience;
                o.TokenValidationParameters.IssuerSigningKey = TestServer.Issuer.SigningKey;
            }),
            configureApp: app =>
            {
                app.MapMcpService();
                app.MapGet("/api/orders", (ClaimsPrincipal user) => user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "no mapped subject").RequireAuthorization();
            },
            authentication: true);
        using var http = server.CreateHttpClient();
        var ordersToken = TestServer.Issuer.CreateToken(new McpServices.Testing.McpTestToken { Audience = OrdersAudience, Subject = "orders-user", Scopes = ["inventory:read"] });
        var mcpToken = server.Token("inventory:read");

        // The application's endpoint: its own scheme, its own audience, its claim mapping (McpServices' hardening is not applied to it).
        Assert.Equal("orders-user", await GetOrdersAsync(http, ordersToken));
        Assert.Null(await GetOrdersAsync(http, mcpToken));

        // The MCP endpoint: only tokens for this MCP endpoint (RFC 8707), validated by McpServices' own scheme.
        using var withOrdersToken = RequestGateTests.Post(ReadStock);
        withOrdersToken.Headers.Authorization = new("Bearer", ordersToken);
        using var refused = await http.SendAsync(withOrdersToken, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var withMcpToken = RequestGateTests.Post(ReadStock);
        withMcpToken.Headers.Authorization = new("Bearer", mcpToken);
        using var allowed = await http.SendAsync(withMcpToken, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(1, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task AnApplicationThatAddsTheBearerSchemeAfterMcpServices_SharesItForMcpCallers()
    {
        // Registering a scheme named "Bearer" after AddMcpService used to fail at the first request ("Scheme already exists").
        await using var server = await McpServices.Testing.McpTestServer.StartAsync(
            b =>
            {
                b.Services.AddSingleton<InvocationLog>();
                b.AddMcpService().WithTools<PublicTools>().WithTools<SecuredTools>();
                b.Services.AddAuthentication().AddJwtBearer();
                TestServer.Issuer.ConfigureService(b.Services);
            },
            cancellationToken: TestContext.Current.CancellationToken);
        using var http = server.CreateHttpClient();

        using var anonymous = await http.SendAsync(RequestGateTests.Post(ReadStock), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var authorized = RequestGateTests.Post(ReadStock);
        authorized.Headers.Authorization = new("Bearer", server.Token("inventory:read"));
        using var allowed = await http.SendAsync(authorized, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(1, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task AnApplicationThatServesItsOwnReadinessEndpoint_StopsAtStartup_NamingTheSetting()
    {
        // Routing would answer every probe with 500 (ambiguous match): the pod would never become ready.
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<PublicTools>(),
            configureApp: app =>
            {
                app.MapMcpService();
                app.MapGet("/readyz", () => "ok").WithDisplayName("orders readiness");
                app.MapGet("/livez/", () => "ok"); // routing ignores the trailing slash and case
            }));

        Assert.Equal("McpServiceConfigurationException", error.GetType().Name);
        Assert.Equal(
            "Two endpoints share a path, so every request to it would fail (500, ambiguous match): " +
            "the application maps its own endpoint at '/livez' (HTTP: GET /livez/), where McpServices maps its liveness endpoint; move McpServices' with McpService:LivenessPath, or remove the application's; " +
            "the application maps its own endpoint at '/readyz' (orders readiness), where McpServices maps its readiness endpoint; move McpServices' with McpService:ReadinessPath, or remove the application's.",
            error.Message);
    }

    [Theory]
    [InlineData("/.well-known/oauth-protected-resource/mcp", "move McpServices' with McpService:Path, or remove the application's")]
    [InlineData("/.well-known/oauth-protected-resource", "MCP clients look for the metadata there when the challenge does not name it, so remove the application's")]
    public async Task AnApplicationThatServesProtectedResourceMetadata_StopsAtStartup_SayingWhatToDo(string path, string fix)
    {
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<SecuredTools>(),
            configureApp: app =>
            {
                app.MapMcpService();
                app.MapGet(path, () => "{}").WithDisplayName("orders metadata");
            },
            authentication: true));

        Assert.Equal(
            $"Two endpoints share a path, so every request to it would fail (500, ambiguous match): the application maps its own endpoint at '{path}' (orders metadata), where McpServices maps its protected resource metadata endpoint; {fix}.",
            error.Message);
    }

    [Fact]
    public async Task AnApplicationThatPostsToTheMcpPathItself_StopsAtStartup_NamingTheSetting()
    {
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<PublicTools>(),
            configureApp: app =>
            {
                app.MapMcpService();
                app.MapPost("/MCP", () => "legacy").WithDisplayName("legacy agent endpoint");
                app.MapGet("/mcp", () => "docs"); // stateless: the SDK maps only POST there, so a GET page does not clash
            }));

        Assert.Equal(
            "Two endpoints share a path, so every request to it would fail (500, ambiguous match): the application maps its own endpoint at '/mcp' (legacy agent endpoint), where McpServices maps its MCP endpoint; move McpServices' with McpService:Path, or remove the application's.",
            error.Message);
    }

    [Fact]
    public async Task AnApplicationThatAlsoMapsTheSdksMcpEndpoint_StopsAtStartup()
    {
        // A second MCP endpoint from the SDK template's app.MapMcp() served every tool with no authentication, scope check or
        // audit of refusals: a tool that needs inventory:read answered an anonymous call.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<SecuredTools>(),
            configureApp: app =>
            {
                app.MapMcpService();
                app.MapMcp("/raw");
            },
            authentication: true));

        Assert.Equal(
            "The application maps an MCP endpoint of its own at '/raw' (the MCP SDK's MapMcp()): calls through it would bypass McpServices' authentication, authorization, rate limits and audit. " +
            "Remove it; app.MapMcpService() serves the MCP endpoint (at McpService:Path).",
            error.Message);
    }

    [Fact]
    public async Task AnApplicationWithOtherHealthPaths_OrACatchAll_Starts()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<PublicTools>(),
            configureApp: app =>
            {
                app.MapMcpService();
                app.MapGet("/healthz", () => "ok");
                app.MapGet("/docs", () => "about our MCP service").WithDisplayName("MCP docs"); // not the SDK's endpoint
                app.MapGet("/{**path}", (string path) => path);
            });
        using var http = server.CreateHttpClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal("somewhere", await http.GetStringAsync("somewhere", TestContext.Current.CancellationToken));
    }

    private const string OrdersAudience = "api://orders";

    private static async Task<string?> GetOrdersAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/orders");
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken) : null;
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
