namespace McpServices.AspNetCore;

/// <summary>
/// Authentication settings of an MCP service (<c>McpService:Authentication</c>). JWT bearer tokens themselves are configured in
/// ASP.NET Core's standard <c>Authentication:Schemes:Bearer</c> section (<c>Authority</c>, <c>ValidAudiences</c>, <c>ValidIssuer</c>, …).
/// </summary>
public sealed class McpServiceAuthenticationOptions
{
    /// <summary>Gets or sets a value indicating whether callers must authenticate (JWT bearer token or API key).</summary>
    /// <value>The default value is <see langword="true"/>. Turning it off outside Development also requires <see cref="AcknowledgeUnauthenticated"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets the explicit acknowledgement that an unauthenticated service outside Development is intended:
    /// anyone who can reach it can call every tool.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AcknowledgeUnauthenticated { get; set; }

    /// <summary>
    /// Gets or sets the canonical URL of this MCP server as clients address it (RFC 8707 resource indicator), for example
    /// <c>https://inventory.example.com/mcp</c>. Tokens must carry it in their audience, and it is the <c>resource</c> in the
    /// protected resource metadata. Set it when the service runs behind an ingress that changes the scheme, host or path.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: derived from each request (scheme, host, path base and MCP path).</value>
    public string? Resource { get; set; }

    /// <summary>Gets or sets the authorization servers advertised in the protected resource metadata.</summary>
    /// <value>The default value is empty: the JWT <c>Authority</c>, or else the configured valid issuers.</value>
    public string[] AuthorizationServers { get; set; } = [];

    /// <summary>
    /// Gets or sets what clients must put before a scope to request it from the identity provider, when the provider leaves it
    /// out of the token: Microsoft Entra ID issues <c>scp: "Stock.Read"</c> for the requested scope <c>api://inventory/Stock.Read</c>
    /// (the Application ID URI and <c>/</c>). Tools declare and tokens are checked with the short scope; the protected resource
    /// metadata's <c>scopes_supported</c> and the <c>insufficient_scope</c> challenge advertise it with the prefix, so that clients
    /// request scopes the provider knows.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: clients request the scopes as tools declare them.</value>
    public string? ScopePrefix { get; set; }

    /// <summary>A scope as clients request it from the identity provider: after <see cref="ScopePrefix"/>.</summary>
    internal string Advertised(string scope) => ScopePrefix + scope;

    /// <summary>Gets or sets the clock skew tolerated when checking token lifetimes.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the JWT signing algorithms accepted. Tokens signed with any other algorithm (including <c>none</c>) are rejected.
    /// </summary>
    /// <value>The default value is empty: RS256/384/512, PS256/384/512 and ES256/384/512, plus HS256/384/512 only when symmetric signing keys are configured (as <c>dotnet user-jwts</c> does).</value>
    public string[] ValidAlgorithms { get; set; } = [];

    /// <summary>
    /// Gets or sets how long a bearer token that passed validation is remembered, so that further calls with it skip signature
    /// verification and claims parsing. An entry never outlives the token, is dropped when the issuer's keys are refreshed, and is
    /// not used when the application handles <c>JwtBearerEvents.OnTokenValidated</c> or <c>OnMessageReceived</c> itself.
    /// </summary>
    /// <value>The default value is 5 minutes; <see cref="TimeSpan.Zero"/> turns the cache off.</value>
    public TimeSpan TokenValidationCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the claim type that carries roles in JWT bearer tokens.</summary>
    /// <value>The default value is <c>roles</c>.</value>
    public string RoleClaimType { get; set; } = "roles";

    /// <summary>Gets the API keys accepted, by key id. Only SHA-256 hashes of the keys are stored.</summary>
    public IDictionary<string, McpServiceApiKey> ApiKeys { get; } = new Dictionary<string, McpServiceApiKey>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets the path of a JSON file with more API keys (same shape as <see cref="ApiKeys"/>), typically a mounted Kubernetes Secret.
    /// The file is re-read every <see cref="ApiKeysReloadInterval"/>: a key removed or disabled there stops working without a restart.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no file.</value>
    public string? ApiKeysFile { get; set; }

    /// <summary>Gets or sets how often <see cref="ApiKeysFile"/> is checked for changes.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan ApiKeysReloadInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the request header that carries an API key (an API key can also be sent as a bearer token).</summary>
    /// <value>The default value is <c>X-API-Key</c>.</value>
    public string ApiKeyHeader { get; set; } = "X-API-Key";
}

/// <summary>An API key for a headless or CI caller, stored as a hash.</summary>
public sealed class McpServiceApiKey
{
    /// <summary>Gets or sets who owns the key (a team, a pipeline); it is the caller's subject in audit records.</summary>
    public string? Owner { get; set; }

    /// <summary>Gets or sets the SHA-256 of the whole key, as <c>sha256:&lt;64 hex digits&gt;</c> (or just the hex digits).</summary>
    public string? Hash { get; set; }

    /// <summary>Gets or sets the scopes the key grants.</summary>
    public string[] Scopes { get; set; } = [];

    /// <summary>Gets or sets a value indicating whether the key is revoked.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Disabled { get; set; }
}
