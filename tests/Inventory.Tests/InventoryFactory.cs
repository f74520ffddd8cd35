using McpServices.Testing;
using Microsoft.AspNetCore.Hosting;
using ModelContextProtocol.Client;

namespace Inventory.Tests;

/// <summary>The Inventory sample's real Program, trusting a test token issuer.</summary>
public sealed class InventoryFactory(string? authority = null, IReadOnlyDictionary<string, string>? settings = null) : McpServiceFactory<Program>
{
    public McpTestTokenIssuer Issuer { get; } = new();

    public string Token(params string[] scopes) => Issuer.CreateToken(McpEndpoint, scopes);

    public string Token(McpTestToken token)
    {
        token.Audience ??= McpEndpoint.ToString();
        return Issuer.CreateToken(token);
    }

    /// <summary>Connects with a token carrying both inventory scopes and ownership of <c>ams-1</c>.</summary>
    public Task<McpClient> ConnectAsOperatorAsync(CancellationToken cancellationToken = default)
    {
        var token = Token(new McpTestToken { Scopes = ["inventory:read", "inventory:write"], Claims = { ["warehouse"] = "ams-1" } });
        return ConnectAsync(new McpTestClientOptions { AccessToken = token }, cancellationToken);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }

        if (authority is null)
        {
            builder.ConfigureServices(Issuer.ConfigureService);
        }
        else
        {
            // A real OpenID Connect issuer, configured the way a deployment configures one.
            builder.UseSetting("Authentication:Schemes:Bearer:Authority", authority);
            builder.UseSetting("Authentication:Schemes:Bearer:RequireHttpsMetadata", "false");
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Issuer.Dispose();
    }
}
