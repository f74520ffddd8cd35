using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.AspNetCore;

/// <summary>
/// The bearer scheme's configuration manager with a bound on how long a request waits for the identity provider's metadata.
/// </summary>
/// <remarks>
/// Until the standard manager has read the metadata once, every token validation waits on its lock and then fetches the
/// metadata itself, with no cancellation: when the identity provider accepts connections but does not answer, each request
/// waits for the HTTP client's timeout (a minute by default) behind every request before it. Wrapped, requests share one
/// fetch (<see cref="IdentityProviderStatus"/>) and wait for it at most five seconds, then fail as the provider's outage (503).
/// Once the metadata has been read, calls go straight to the standard manager, which answers at once and refreshes in the
/// background. It derives from <see cref="BaseConfigurationManager"/> so that token handlers treat it as they do the standard one.
/// </remarks>
internal sealed class BoundedConfigurationManager : BaseConfigurationManager, IConfigurationManager<OpenIdConnectConfiguration>
{
    private readonly IdentityProviderStatus _status;
    private readonly IHttpContextAccessor _httpContextAccessor;

    public BoundedConfigurationManager(ConfigurationManager<OpenIdConnectConfiguration> inner, IdentityProviderStatus status, IHttpContextAccessor httpContextAccessor)
    {
        Inner = inner;
        _status = status;
        _httpContextAccessor = httpContextAccessor;
        MetadataAddress = inner.MetadataAddress;
        AutomaticRefreshInterval = inner.AutomaticRefreshInterval;
        RefreshInterval = inner.RefreshInterval;
    }

    /// <summary>The standard manager that reads the metadata.</summary>
    public ConfigurationManager<OpenIdConnectConfiguration> Inner { get; }

    public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel) =>
        _status.IsAvailable ? Inner.GetConfigurationAsync(cancel) : WaitForConfigurationAsync(cancel);

    public override async Task<BaseConfiguration> GetBaseConfigurationAsync(CancellationToken cancel) =>
        await GetConfigurationAsync(cancel).ConfigureAwait(false);

    public override void RequestRefresh() => Inner.RequestRefresh();

    private async Task<OpenIdConnectConfiguration> WaitForConfigurationAsync(CancellationToken cancel)
    {
        if (!await _status.WaitForMetadataAsync(Inner, MetadataAddress, cancel).ConfigureAwait(false))
        {
            // The token handler goes on without the metadata and fails the token; this request is the provider's outage
            // (503), also if the metadata arrives before the failure is handled.
            _httpContextAccessor.HttpContext?.Features.Set(IdentityProviderStatus.MetadataMissedFeature.Instance);
            throw new InvalidOperationException($"The identity provider's metadata at {MetadataAddress} cannot be read: {_status.Failure ?? "no answer yet"}.");
        }

        return await Inner.GetConfigurationAsync(cancel).ConfigureAwait(false);
    }
}
