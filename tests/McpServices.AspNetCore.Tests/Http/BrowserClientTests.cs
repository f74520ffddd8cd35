using System.Net;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.AspNetCore.Builder;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>
/// An agent running in a browser calls the service from another origin: ASP.NET Core's CORS middleware answers the preflight,
/// the HTTP stage still refuses origins that are not allowed, and the browser can read the challenge and the session header.
/// </summary>
public sealed class BrowserClientTests
{
    private const string Agents = "https://agents.example.com";

    [Fact]
    public async Task AllowedOrigin_PassesThePreflight_ReadsTheChallenge_AndCallsWithAToken()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var allowed = await http.SendAsync(Preflight(Agents), ct);

        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal(Agents, Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("authorization", allowed.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);

        // Without a token: the 401 challenge, readable by the page (WWW-Authenticate exposed) so it can discover the issuer.
        using var anonymous = await http.SendAsync(RequestGateTests.Post(CallRead, Agents), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(Agents, Assert.Single(anonymous.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("WWW-Authenticate", anonymous.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.OrdinalIgnoreCase);

        using var call = RequestGateTests.Post(CallRead, Agents);
        call.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Token("inventory:read"));
        using var answered = await http.SendAsync(call, ct);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(Agents, Assert.Single(answered.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal(1, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task OtherOrigin_GetsNoCorsHeaders_AndIsRefused()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var refusedPreflight = await http.SendAsync(Preflight("https://evil.example.net"), ct);
        Assert.False(refusedPreflight.Headers.Contains("Access-Control-Allow-Origin"));

        // A client that ignores CORS (not a browser) still meets the HTTP stage's Origin check.
        using var call = RequestGateTests.Post(CallRead, "https://evil.example.net");
        call.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Token("inventory:read"));
        using var refused = await http.SendAsync(call, ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(0, server.Log().Count("read_stock"));
    }

    /// <summary>What a browser sends before a cross-origin POST with a bearer token.</summary>
    private static HttpRequestMessage Preflight(string origin)
    {
        var preflight = new HttpRequestMessage(HttpMethod.Options, "mcp");
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,mcp-protocol-version");
        return preflight;
    }

    private const string CallRead = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_stock"}}""";

    /// <summary>The setup docs/configuration.md shows for browser clients.</summary>
    private static Task<McpServices.Testing.McpTestServer> StartAsync() => TestServer.StartAsync(
        b => b.WithTools<SecuredTools>(),
        o => o.AllowedOrigins = [Agents],
        configure: b => b.Services.AddCors(cors => cors.AddPolicy("agents", policy => policy
            .WithOrigins(Agents)
            .WithMethods("POST", "GET", "DELETE")
            .WithHeaders("Authorization", "Content-Type", "Accept", "MCP-Protocol-Version", "Mcp-Session-Id", "Mcp-Method", "Mcp-Name", "Last-Event-ID", "X-API-Key")
            .WithExposedHeaders("Mcp-Session-Id", "WWW-Authenticate"))),
        configureApp: app =>
        {
            app.UseCors();
            app.MapMcpService().RequireCors("agents");
        },
        authentication: true);
}
