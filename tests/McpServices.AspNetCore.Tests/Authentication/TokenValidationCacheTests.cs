using System.Net;
using System.Net.Http.Headers;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>Validated bearer tokens are remembered, without weakening validation: expiry, key rotation and application events still rule.</summary>
public sealed class TokenValidationCacheTests
{
    private const string CallRead = """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""";

    [Fact]
    public async Task RepeatedCalls_WithOneToken_ValidateItOnce()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true);
        using var http = server.CreateHttpClient();
        var token = server.Token("inventory:read");

        for (var i = 0; i < 3; i++)
        {
            using var response = await SendAsync(http, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, server.Services.GetRequiredService<TokenValidationCache>().Count);
        Assert.Equal(3, server.Log().Count("read_stock"));

        // The caller seen by the pipeline is the same on a cache hit: subject and scopes reach the audit trail.
        var record = await server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken);
        Assert.Equal("test-user", record.GetProperty("actor").GetProperty("subject").GetString());
    }

    [Fact]
    public async Task UnderAPathBase_ATokenIsValidatedOnce_AndOnlyForItsOwnResource()
    {
        // ASP.NET Core's authentication middleware judges the token before UsePathBase("/api"), for the URL outside the path base,
        // and the MCP endpoint judges it again for the one the client addressed: the cache must answer both without a signature
        // check each, and keep its entry for the resource the token is for.
        var ct = TestContext.Current.CancellationToken;
        var signatureChecks = 0;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            authentication: true,
            configure: b => b.Services.PostConfigure<JwtBearerOptions>(McpServiceAuthenticationDefaults.BearerScheme, o =>
                o.TokenValidationParameters.IssuerSigningKeyResolver = (_, _, _, _) =>
                {
                    Interlocked.Increment(ref signatureChecks);
                    return [TestServer.Issuer.SigningKey];
                }),
            configureApp: app =>
            {
                app.UsePathBase("/api");
                app.MapMcpService();
            });
        using var http = server.CreateHttpClient();
        var token = TestServer.Issuer.CreateToken(new Uri(server.BaseAddress, "api/mcp"), "inventory:read");

        for (var i = 0; i < 3; i++)
        {
            using var response = await SendAsync(http, token, "api/mcp");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The same token at the endpoint outside the path base, another resource, is refused; its entry stays.
        using (var elsewhere = await SendAsync(http, token, "mcp"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
        }

        using (var again = await SendAsync(http, token, "api/mcp"))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        // The first call's token is checked twice — for the URL outside the path base, where its audience fails and nothing is
        // remembered, then at the endpoint —; no later call checks it again.
        Assert.Equal(2, signatureChecks);
        Assert.Equal(4, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task CachedToken_StopsWorkingWhenItExpires()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.ClockSkew = TimeSpan.Zero, authentication: true);
        using var http = server.CreateHttpClient();
        var token = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Scopes = ["inventory:read"], Expires = DateTimeOffset.UtcNow.AddSeconds(2) });

        using (var fresh = await SendAsync(http, token))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.5), TestContext.Current.CancellationToken);
        using var expired = await SendAsync(http, token);

        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("error=\"invalid_token\"", expired.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task CachedTokens_AreForgotten_WhenTheIssuerKeysChange()
    {
        var agent = new OidcTestClient("agent", "secret", ["inventory:read"]);
        await using var issuer = await OidcTestIssuer.StartAsync([agent], ["inventory:read"], cancellationToken: TestContext.Current.CancellationToken);
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b =>
            {
                b.Configuration["Authentication:Schemes:Bearer:Authority"] = issuer.Authority;
                b.Configuration["Authentication:Schemes:Bearer:RequireHttpsMetadata"] = "false";

            },
            authentication: true,
            trustTestIssuer: false);
        using var http = server.CreateHttpClient();
        var resource = server.McpEndpoint.ToString().TrimEnd('/');
        var old = await issuer.RequestTokenAsync(agent.ClientId, agent.Secret, resource, "inventory:read");
        var cache = server.Services.GetRequiredService<TokenValidationCache>();
        using (var first = await SendAsync(http, old))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        Assert.True(cache.Contains(old));

        // The issuer rotates and retires the key; a token with the new key makes the service fetch the new key set, and every
        // remembered token is forgotten: from then on the old token is judged by the bearer handler's own key set again.
        issuer.RotateSigningKey(retireOldKey: true);
        var fresh = await issuer.RequestTokenAsync(agent.ClientId, agent.Secret, resource, "inventory:read");
        using (var second = await SendAsync(http, fresh))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        Assert.False(cache.Contains(old));
    }

    [Fact]
    public async Task AFullCache_IsSweptOnlyOnceAnEntryCanHaveExpired_NotForEveryNewToken()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.TokenValidationCacheDuration = TimeSpan.FromSeconds(2), authentication: true);
        using var http = server.CreateHttpClient();
        var cache = server.Services.GetRequiredService<TokenValidationCache>();
        cache.Capacity = 3;
        string Token(int caller) => TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = $"caller-{caller}", Scopes = ["inventory:read"] });

        for (var caller = 0; caller < 3; caller++)
        {
            using var response = await SendAsync(http, Token(caller));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Full of live tokens: more callers are served (validated each time, not remembered), and none of them walks the cache
        // for expired entries — before the earliest entry can expire, a sweep would walk every entry and free nothing.
        for (var caller = 3; caller < 8; caller++)
        {
            using var response = await SendAsync(http, Token(caller));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal((3, 0), (cache.Count, cache.Sweeps));

        // Once the remembered tokens' time is up, the next new token sweeps them out and is remembered itself.
        await Task.Delay(TimeSpan.FromSeconds(2.2), TestContext.Current.CancellationToken);
        var late = Token(8);
        using (var response = await SendAsync(http, late))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal((1, 1), (cache.Count, cache.Sweeps));
        Assert.True(cache.Contains(late));
    }

    [Fact]
    public async Task ApplicationTokenValidatedEvent_SeesEveryRequest_SoTheCacheStaysOff()
    {
        var seen = 0;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b => b.Services.Configure<JwtBearerOptions>(McpServiceAuthenticationDefaults.BearerScheme, o =>
                o.Events = new JwtBearerEvents { OnTokenValidated = _ => { Interlocked.Increment(ref seen); return Task.CompletedTask; } }),
            authentication: true);
        using var http = server.CreateHttpClient();
        var token = server.Token("inventory:read");

        for (var i = 0; i < 3; i++)
        {
            using var response = await SendAsync(http, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(3, seen);
        Assert.Equal(0, server.Services.GetRequiredService<TokenValidationCache>().Count);
    }

    [Fact]
    public async Task CacheDurationZero_TurnsTheCacheOff()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.TokenValidationCacheDuration = TimeSpan.Zero, authentication: true);
        using var http = server.CreateHttpClient();

        using var response = await SendAsync(http, server.Token("inventory:read"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, server.Services.GetRequiredService<TokenValidationCache>().Count);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string token, string path = "mcp")
    {
        var request = RequestGateTests.Post(CallRead, path: path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
