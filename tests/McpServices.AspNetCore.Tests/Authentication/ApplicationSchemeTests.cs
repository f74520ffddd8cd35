using System.Net;
using System.Security.Claims;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Builder;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>
/// McpServices added to an application with authentication schemes of its own: the application's endpoints keep authenticating
/// as before, and MCP callers authenticate with McpServices' <c>Bearer</c> scheme (or share the application's of that name).
/// </summary>
public sealed class ApplicationSchemeTests
{
    private const string ReadStock = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""";
    private const string OrdersAudience = "api://orders";

    [Fact]
    public async Task AnApplicationWithCookieAuthenticationAsItsDefault_StillGetsTheMcpChallenges_NotALoginRedirect()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<PublicTools>().WithTools<SecuredTools>(),
            configure: b => b.Services.AddAuthentication(Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(),
            authentication: true);
        using var http = server.CreateHttpClient();

        using var anonymous = await CallReadStockAsync(http, token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.StartsWith("Bearer resource_metadata=", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var allowed = await CallReadStockAsync(http, server.Token("inventory:read"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "read_stock" && r.Outcome == "succeeded", cancellationToken: TestContext.Current.CancellationToken));
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
        var ordersToken = TestServer.Issuer.CreateToken(new McpTestToken { Audience = OrdersAudience, Subject = "orders-user", Scopes = ["inventory:read"] });
        var mcpToken = server.Token("inventory:read");

        // The application's endpoint: its own scheme, its own audience, its claim mapping (McpServices' hardening is not applied to it).
        Assert.Equal("orders-user", await GetOrdersAsync(http, ordersToken));
        Assert.Null(await GetOrdersAsync(http, mcpToken));

        // The MCP endpoint: only tokens for this MCP endpoint (RFC 8707), validated by McpServices' own scheme.
        using var refused = await CallReadStockAsync(http, ordersToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var allowed = await CallReadStockAsync(http, mcpToken);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(1, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task AnApplicationThatAddsTheBearerSchemeAfterMcpServices_SharesItForMcpCallers()
    {
        // Registering a scheme named "Bearer" after AddMcpService used to fail at the first request ("Scheme already exists").
        await using var server = await McpTestServer.StartAsync(
            b =>
            {
                b.Services.AddSingleton<InvocationLog>();
                b.AddMcpService().WithTools<PublicTools>().WithTools<SecuredTools>();
                b.Services.AddAuthentication().AddJwtBearer();
                TestServer.Issuer.ConfigureService(b.Services);
            },
            cancellationToken: TestContext.Current.CancellationToken);
        using var http = server.CreateHttpClient();

        using var anonymous = await CallReadStockAsync(http, token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var allowed = await CallReadStockAsync(http, server.Token("inventory:read"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(1, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task AnApplicationWhoseDefaultSchemeIsTheSharedBearer_UnderAPathBase_JudgesTokensForTheUrlTheClientAddressed()
    {
        // The authentication middleware runs the application's default scheme — here the shared "Bearer", not McpServices' policy
        // scheme in front of it — before UsePathBase("/api"): the MCP endpoint must still judge the token for /api/mcp.
        await using var server = await McpTestServer.StartAsync(
            b =>
            {
                b.Services.AddSingleton<InvocationLog>();
                b.Services.AddAuthentication("Bearer").AddJwtBearer();
                b.AddMcpService().WithTools<SecuredTools>();
                TestServer.Issuer.ConfigureService(b.Services);
            },
            app =>
            {
                app.UsePathBase("/api");
                app.MapMcpService();
            },
            cancellationToken: TestContext.Current.CancellationToken);
        using var http = server.CreateHttpClient();
        var origin = server.BaseAddress.ToString().TrimEnd('/');
        var token = TestServer.Issuer.CreateToken(new Uri($"{origin}/api/mcp"), "inventory:read");

        for (var i = 0; i < 2; i++)
        {
            using var allowed = await http.SendAsync(RequestGateTests.Post(ReadStock, path: "api/mcp", bearer: token), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var otherResource = await http.SendAsync(
            RequestGateTests.Post(ReadStock, path: "api/mcp", bearer: TestServer.Issuer.CreateToken(new Uri($"{origin}/mcp"), "inventory:read")), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, otherResource.StatusCode);
        Assert.Equal(2, server.Log().Count("read_stock"));
    }

    private static Task<HttpResponseMessage> CallReadStockAsync(HttpClient http, string? token) =>
        http.SendAsync(RequestGateTests.Post(ReadStock, bearer: token), TestContext.Current.CancellationToken);

    private static async Task<string?> GetOrdersAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/orders");
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken) : null;
    }
}
