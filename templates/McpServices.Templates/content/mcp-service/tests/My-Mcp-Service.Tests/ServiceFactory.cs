using McpServices.Testing;
using Microsoft.AspNetCore.Hosting;

namespace My_Mcp_Service.Tests;

/// <summary>The real service (its Program), trusting a test token issuer instead of your identity provider.</summary>
public sealed class ServiceFactory : McpServiceFactory<Program>
{
    public McpTestTokenIssuer Issuer { get; } = new();

    /// <summary>Client options for a caller whose token grants <paramref name="scopes"/>.</summary>
    public McpTestClientOptions Caller(params string[] scopes) => new() { AccessToken = Issuer.CreateToken(McpEndpoint, scopes) };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(Issuer.ConfigureService);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Issuer.Dispose();
    }
}
