using McpServices.Testing;
//#if (!AuthNone)
using Microsoft.AspNetCore.Hosting;
//#endif

namespace My_Mcp_Service.Tests;

//#if (AuthNone)
/// <summary>The real service (its Program) on 127.0.0.1. Authentication is off, so clients connect without a credential.</summary>
public sealed class ServiceFactory : McpServiceFactory<Program>
{
    /// <summary>Client options for a caller. Without authentication no credential is sent and no scope is checked: the scopes
    /// only say what the call would need once authentication is on (McpService:Authentication:Enabled).</summary>
    public McpTestClientOptions Caller(params string[] scopes) => new();
}
//#else
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
//#endif
