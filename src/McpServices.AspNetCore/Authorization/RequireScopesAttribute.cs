namespace McpServices.AspNetCore;

/// <summary>
/// Declares the OAuth scopes a caller's token must carry to call a tool; the token needs every scope listed.
/// On a class it is the default for the class's tools; a method's own <see cref="RequireScopesAttribute"/> replaces the class default.
/// Scopes come from the token's <c>scope</c> or <c>scp</c> claim (space-delimited). A call without them is answered with
/// HTTP 403 and the specification's <c>insufficient_scope</c> challenge; the scopes also appear in <c>--describe</c> and in the
/// protected resource metadata's <c>scopes_supported</c>.
/// </summary>
/// <example>
/// <code>
/// [RequireScopes("inventory:read")]
/// public class InventoryTools
/// {
///     public StockReport GetStock(string sku) => …;                 // inventory:read
///     [RequireScopes("inventory:write")]
///     public StockReport AdjustStock(StockAdjustment change) => …;  // inventory:write
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true, Inherited = true)]
public sealed class RequireScopesAttribute : Attribute
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="scopes">The scopes required, for example <c>inventory:write</c>.</param>
    public RequireScopesAttribute(params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        if (scopes.Length == 0 || scopes.Any(s => string.IsNullOrWhiteSpace(s) || s.Contains(' ', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal)))
        {
            throw new ArgumentException("Give at least one scope; a scope is a non-empty string without spaces or quotes.", nameof(scopes));
        }

        Scopes = scopes;
    }

    /// <summary>Gets the scopes required.</summary>
    public IReadOnlyList<string> Scopes { get; }
}
