using System.Security.Cryptography;
using McpServices.AspNetCore;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.Testing;

/// <summary>
/// Mints signed JWT access tokens for tests, with an RSA key that exists only in the test process. <see cref="ConfigureService"/>
/// makes a service under test trust exactly this issuer, so tests exercise the real token validation (signature, issuer,
/// audience, lifetime, scopes) without an identity provider.
/// </summary>
/// <example>
/// <code>
/// using var issuer = new McpTestTokenIssuer();
/// await using var server = await McpTestServer.StartAsync(b => { b.AddMcpService().WithTools&lt;InventoryTools&gt;(); issuer.ConfigureService(b.Services); });
/// var token = issuer.CreateToken(server.McpEndpoint, "inventory:read");
/// await using var client = await server.ConnectAsync(new() { AccessToken = token });
/// </code>
/// </example>
public sealed class McpTestTokenIssuer : IDisposable
{
    private readonly RSA _rsa;
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>Initializes a new issuer with a fresh 2048-bit RSA key.</summary>
    /// <param name="issuer">The issuer (<c>iss</c>) of the tokens.</param>
    public McpTestTokenIssuer(string issuer = "https://issuer.mcpservices.test")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(issuer);
        Issuer = issuer;
        _rsa = RSA.Create(2048);
        SigningKey = new RsaSecurityKey(_rsa) { KeyId = "mcps-test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) };
    }

    /// <summary>Gets the issuer (<c>iss</c>) of the tokens.</summary>
    public string Issuer { get; }

    /// <summary>Gets the key the tokens are signed with (RS256).</summary>
    public SecurityKey SigningKey { get; }

    /// <summary>Makes the service trust this issuer (and only it) for the <c>Bearer</c> scheme, replacing any configured authority.</summary>
    /// <param name="services">The service's service collection.</param>
    public void ConfigureService(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.PostConfigure<JwtBearerOptions>(McpServiceAuthenticationDefaults.BearerScheme, o =>
        {
            o.Authority = null;
            o.MetadataAddress = string.Empty;
            o.ConfigurationManager = null;
            var configuration = new OpenIdConnectConfiguration { Issuer = Issuer };
            configuration.SigningKeys.Add(SigningKey);
            o.Configuration = configuration;
            o.TokenValidationParameters.ValidIssuer = Issuer;
            o.TokenValidationParameters.ValidIssuers = [Issuer];
            o.TokenValidationParameters.IssuerSigningKeys = [SigningKey];
        });
    }

    /// <summary>Creates a token for the MCP endpoint <paramref name="audience"/> with the given scopes.</summary>
    /// <param name="audience">The resource the token is for: the service's MCP endpoint URL.</param>
    /// <param name="scopes">The scopes granted.</param>
    /// <returns>The signed token.</returns>
    public string CreateToken(Uri audience, params string[] scopes) =>
        CreateToken(new McpTestToken { Audience = audience?.ToString().TrimEnd('/') ?? throw new ArgumentNullException(nameof(audience)), Scopes = scopes });

    /// <summary>Creates a token described by <paramref name="token"/> (subject, audience, scopes, roles, lifetime, extra claims).</summary>
    /// <param name="token">What the token says.</param>
    /// <returns>The signed token.</returns>
    public string CreateToken(McpTestToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var now = DateTime.UtcNow;
        var notBefore = token.NotBefore?.UtcDateTime ?? now.AddSeconds(-5);
        var claims = new Dictionary<string, object> { ["client_id"] = token.ClientId };
        if (token.Subject is not null)
        {
            claims["sub"] = token.Subject;
        }

        if (token.Scopes.Count > 0)
        {
            claims["scope"] = string.Join(' ', token.Scopes);
        }

        if (token.Roles.Count > 0)
        {
            claims["roles"] = token.Roles.ToArray();
        }

        foreach (var (name, value) in token.Claims)
        {
            claims[name] = value;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = token.Issuer ?? Issuer,
            Audience = token.Audience,
            Claims = claims,
            IssuedAt = notBefore,
            NotBefore = notBefore,
            Expires = token.Expires?.UtcDateTime ?? now.Add(token.Lifetime),
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.RsaSha256),
        };
        return _handler.CreateToken(descriptor);
    }

    /// <inheritdoc />
    public void Dispose() => _rsa.Dispose();
}

/// <summary>What a test token says.</summary>
public sealed class McpTestToken
{
    /// <summary>Gets or sets the audience: the service's MCP endpoint URL.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Gets or sets the subject (<c>sub</c>); <see langword="null"/> for a token without one, as some identity providers issue for
    /// the client credentials grant (Duende IdentityServer gives such tokens only <c>client_id</c>).
    /// </summary>
    /// <value>The default value is <c>test-user</c>.</value>
    public string? Subject { get; set; } = "test-user";

    /// <summary>Gets or sets the client id (<c>client_id</c>).</summary>
    /// <value>The default value is <c>test-client</c>.</value>
    public string ClientId { get; set; } = "test-client";

    /// <summary>Gets or sets the scopes (<c>scope</c>, space-delimited).</summary>
    public IReadOnlyCollection<string> Scopes { get; set; } = [];

    /// <summary>Gets or sets the roles (<c>roles</c>).</summary>
    public IReadOnlyCollection<string> Roles { get; set; } = [];

    /// <summary>Gets extra claims.</summary>
    public IDictionary<string, object> Claims { get; } = new Dictionary<string, object>(StringComparer.Ordinal);

    /// <summary>Gets or sets the token lifetime, used when <see cref="Expires"/> is not set.</summary>
    /// <value>The default value is 10 minutes.</value>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets an explicit expiry (use a past time for an expired token).</summary>
    public DateTimeOffset? Expires { get; set; }

    /// <summary>Gets or sets an explicit not-before time (use a future time for a token that is not yet valid).</summary>
    public DateTimeOffset? NotBefore { get; set; }

    /// <summary>Gets or sets a different issuer than the issuer's own (for negative tests).</summary>
    public string? Issuer { get; set; }
}
