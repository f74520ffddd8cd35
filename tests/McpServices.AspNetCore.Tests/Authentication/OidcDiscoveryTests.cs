using System.Net;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>A real OpenID Connect issuer (OpenIddict) on loopback: the service finds its keys through discovery and JWKS over HTTP.</summary>
public sealed class OidcDiscoveryTests : IAsyncLifetime
{
    private static readonly OidcTestClient Agent = new("inventory-agent", "agent-secret", ["inventory:read", "inventory:write"]);
    private OidcTestIssuer _issuer = null!;

    public async ValueTask InitializeAsync() =>
        _issuer = await OidcTestIssuer.StartAsync([Agent], ["inventory:read", "inventory:write", "inventory:audit"], cancellationToken: TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _issuer.DisposeAsync();

    [Fact]
    public async Task ClientCredentialsToken_IsValidatedThroughDiscoveryAndJwks()
    {
        await using var server = await StartServiceAsync();
        var token = await _issuer.RequestTokenAsync(Agent.ClientId, Agent.Secret, server.McpEndpoint.ToString().TrimEnd('/'), "inventory:read");

        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = token }, TestContext.Current.CancellationToken);
        var result = await client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("read", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.True(_issuer.JwksRequests >= 1);
    }

    [Fact]
    public async Task SigningKeyRotation_NewKeyIsPickedUpFromJwks_WithoutARestart()
    {
        await using var server = await StartServiceAsync();
        var resource = server.McpEndpoint.ToString().TrimEnd('/');
        var before = await _issuer.RequestTokenAsync(Agent.ClientId, Agent.Secret, resource, "inventory:read");
        await using (var first = await server.ConnectAsync(new McpTestClientOptions { AccessToken = before }, TestContext.Current.CancellationToken))
        {
            await first.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        }

        var fetchesBefore = _issuer.JwksRequests;
        _issuer.RotateSigningKey(retireOldKey: true);
        var after = await _issuer.RequestTokenAsync(Agent.ClientId, Agent.Secret, resource, "inventory:read");

        await using var second = await server.ConnectAsync(new McpTestClientOptions { AccessToken = after }, TestContext.Current.CancellationToken);
        var result = await second.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("read", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.True(_issuer.JwksRequests > fetchesBefore, "The service should have re-fetched the JWKS when it met an unknown key id.");
    }

    [Fact]
    public async Task SigningKeyRotation_WhileTheIssuerDoesNotAnswer_IsAnOutageWithinSeconds_ThenTheNewKeyWorks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServiceAsync();
        var resource = server.McpEndpoint.ToString().TrimEnd('/');
        using var http = server.CreateHttpClient();
        http.Timeout = TimeSpan.FromSeconds(20); // far below the minute the bearer handler's HTTP client waits
        Assert.Equal(HttpStatusCode.OK, await CallAsync(http, await _issuer.RequestTokenAsync(Agent.ClientId, Agent.Secret, resource, "inventory:read"), ct));

        // The issuer rotates its key, then hangs when asked for its keys: a token signed with the new key cannot be checked.
        _issuer.RotateSigningKey(retireOldKey: true);
        var after = await _issuer.RequestTokenAsync(Agent.ClientId, Agent.Secret, resource, "inventory:read");
        _issuer.StallJsonWebKeySet();

        using (var response = await http.SendAsync(RequestGateTests.Post(Call, bearer: after), ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
        }

        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "read_stock" && r.Outcome != "succeeded", cancellationToken: ct));
        Assert.Equal("identity_provider_unavailable", record.GetProperty("error").GetProperty("code").GetString());

        // The issuer answers again: the new key is read, and its tokens work.
        _issuer.Resume();
        for (var i = 0; i < 100 && await CallAsync(http, after, ct) != HttpStatusCode.OK; i++)
        {
            await Task.Delay(100, ct);
        }

        Assert.Equal(HttpStatusCode.OK, await CallAsync(http, after, ct));
    }

    [Fact]
    public async Task AnIssuerSlowerThanTheWait_WhenTheServiceStarts_IsA503_ThenItsTokensWork()
    {
        var ct = TestContext.Current.CancellationToken;
        _issuer.StallJsonWebKeySet();
        await using var server = await StartServiceAsync();
        using var http = server.CreateHttpClient();
        http.Timeout = TimeSpan.FromSeconds(20);
        var token = await _issuer.RequestTokenAsync(Agent.ClientId, Agent.Secret, server.McpEndpoint.ToString().TrimEnd('/'), "inventory:read");

        // The service's first read of the keys does not finish: the call is the provider's outage, not the token's fault.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await CallAsync(http, token, ct));

        _issuer.Resume();
        for (var i = 0; i < 100 && await CallAsync(http, token, ct) != HttpStatusCode.OK; i++)
        {
            await Task.Delay(100, ct);
        }

        Assert.Equal(HttpStatusCode.OK, await CallAsync(http, token, ct));
    }

    private const string Call = """{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""";

    private static async Task<HttpStatusCode> CallAsync(HttpClient http, string token, CancellationToken ct)
    {
        using var response = await http.SendAsync(RequestGateTests.Post(Call, bearer: token), ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task TokenForAnotherResource_FromTheSameIssuer_IsRejected()
    {
        await using var server = await StartServiceAsync();
        var token = await _issuer.RequestTokenAsync(Agent.ClientId, Agent.Secret, "https://billing.example.com/mcp", "inventory:read");

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => server.ConnectAsync(new McpTestClientOptions { AccessToken = token }, TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    private Task<McpTestServer> StartServiceAsync() =>
        TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b =>
            {
                b.Configuration["Authentication:Schemes:Bearer:Authority"] = _issuer.Authority;
                b.Configuration["Authentication:Schemes:Bearer:RequireHttpsMetadata"] = "false";
                b.Configuration["Authentication:Schemes:Bearer:RefreshInterval"] = "00:00:01";
            },
            authentication: true,
            trustTestIssuer: false);
}
