namespace McpServices.AspNetCore;

/// <summary>
/// Per-tool authorization overrides (<c>McpService:Authorization</c>) that platform teams apply without a rebuild.
/// They tighten what the code declares; they cannot loosen it.
/// </summary>
public sealed class McpServiceAuthorizationOptions
{
    /// <summary>
    /// Gets the overrides by tool name, for example <c>McpService:Authorization:Tools:adjust_stock:RequiredScopes:0</c>; the name
    /// in any case, as configuration keys are (<c>MCPSERVICE__AUTHORIZATION__TOOLS__ADJUST_STOCK__DISABLED</c>).
    /// </summary>
    public IDictionary<string, McpToolAuthorizationOverride> Tools { get; } = new Dictionary<string, McpToolAuthorizationOverride>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Configuration override for one tool.</summary>
public sealed class McpToolAuthorizationOverride
{
    /// <summary>Gets or sets scopes required in addition to those the tool declares in code.</summary>
    public string[] RequiredScopes { get; set; } = [];

    /// <summary>Gets or sets a value indicating whether the tool is disabled: hidden from <c>tools/list</c> and refused when called.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Disabled { get; set; }
}
