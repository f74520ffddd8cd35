using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace McpServices.AspNetCore;

/// <summary>Starts reading the identity provider's metadata when the service starts (see <see cref="IdentityProviderStatus"/>).</summary>
internal sealed class IdentityProviderWarmUp(IdentityProviderStatus status, IOptionsMonitor<JwtBearerOptions> jwt, McpServiceSettings settings) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Current.Authentication.Enabled
            && jwt.Get(McpServiceAuthenticationDefaults.BearerScheme) is { ConfigurationManager: IConfigurationManager<OpenIdConnectConfiguration> manager } options)
        {
            status.WarmUp(manager, options.MetadataAddress);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
