using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace McpServices.AspNetCore;

/// <summary>
/// In Development, rebuilds the bearer scheme's options when configuration reloads: <c>dotnet user-jwts create</c> writes the
/// signing key into the user secrets and the issuer and audience into appsettings.Development.json while the service may be
/// running, and its token then works without a restart. Elsewhere the identity provider's settings change with a restart
/// (a rollout), as ASP.NET Core has them.
/// </summary>
internal sealed class DevelopmentJwtSettingsReload(IHostEnvironment environment, IConfiguration? configuration = null) : IOptionsChangeTokenSource<JwtBearerOptions>
{
    public string Name => McpServiceAuthenticationDefaults.BearerScheme;

    public IChangeToken GetChangeToken() =>
        configuration is not null && environment.IsDevelopment() ? configuration.GetReloadToken() : Microsoft.Extensions.FileProviders.NullChangeToken.Singleton;
}
