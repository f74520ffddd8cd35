using Microsoft.AspNetCore.Authorization;

namespace McpServices.AspNetCore;

/// <summary>
/// The authorization policy of the MCP endpoint when the application has a fallback policy: it admits every request, because the
/// HTTP stage decides authentication and scopes itself (and audits its refusals). Policies the application adds with
/// <c>.RequireAuthorization(...)</c> still apply.
/// </summary>
internal static class McpEndpointPolicy
{
    public const string Name = "McpServices.McpEndpoint";

    public static AuthorizationPolicy Policy { get; } = new AuthorizationPolicyBuilder().RequireAssertion(static _ => true).Build();
}
