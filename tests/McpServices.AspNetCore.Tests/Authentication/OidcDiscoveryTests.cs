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
    public async Task TokenForAnotherResource_FromTheSameIssuer_IsRejected()
    {
        await using var server = await StartServiceAsync();
        var token = await _issuer.RequestTokenAsync(Agent.ClientId, Agent.Secret, "https://billing.example.com/mcp", "inventory:read");

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => server.ConnectAsync(new McpTestClientOptions { AccessToken = token }, TestContext.Current.CancellationToken));

        Assert.Contains("401", ex.ToString());
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
