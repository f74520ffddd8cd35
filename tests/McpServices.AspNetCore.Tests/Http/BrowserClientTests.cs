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

    /// <summary>
    /// The protected resource metadata is public and read before the client has a token: a browser client on any origin may read
    /// it, and the preflight its <c>MCP-Protocol-Version</c> header causes is answered (it was a 405, so the browser refused to
    /// send the request). An application whose own CORS policy covers the path answers for it instead, with one
    /// <c>Access-Control-Allow-Origin</c>.
    /// </summary>
    [Theory]
    [InlineData("no CORS middleware", "*")]
    [InlineData("a CORS policy on the MCP endpoint", "*")]
    [InlineData("a default CORS policy", Agents)]
    public async Task ProtectedResourceMetadata_IsReadableFromBrowsersOnOtherOrigins(string setup, string allowedOrigin)
    {
        await using var server = setup switch
        {
            "no CORS middleware" => await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true),
            "a CORS policy on the MCP endpoint" => await StartAsync(),
            _ => await TestServer.StartAsync(
                b => b.WithTools<SecuredTools>(),
                configure: b => b.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy.WithOrigins(Agents).WithMethods("GET", "POST").WithHeaders("MCP-Protocol-Version", "Authorization", "Content-Type"))),
                configureApp: app =>
                {
                    app.UseCors();
                    app.MapMcpService();
                },
                authentication: true),
        };
        using var http = server.CreateHttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var preflight = new HttpRequestMessage(HttpMethod.Options, ".well-known/oauth-protected-resource/mcp");
        preflight.Headers.Add("Origin", Agents);
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "mcp-protocol-version");
        using var answer = await http.SendAsync(preflight, ct);
        using var read = new HttpRequestMessage(HttpMethod.Get, ".well-known/oauth-protected-resource/mcp");
        read.Headers.Add("Origin", Agents);
        read.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        using var metadata = await http.SendAsync(read, ct);

        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal(allowedOrigin, Assert.Single(answer.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("GET", answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Contains("mcp-protocol-version", answer.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        Assert.Equal(allowedOrigin, Assert.Single(metadata.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("\"authorization_servers\"", await metadata.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
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
