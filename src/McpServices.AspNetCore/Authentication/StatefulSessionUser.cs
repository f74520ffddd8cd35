using System.Security.Claims;

namespace McpServices.AspNetCore;

/// <summary>
/// The request's user as the MCP SDK binds a stateful session to it. The SDK binds a session to the first
/// <c>NameIdentifier</c>, <c>sub</c> or <c>UPN</c> claim among the authenticated identities of the user who started it, and
/// refuses to start one for an authenticated user without any ("Authenticated users need a … claim to use stateful MCP
/// sessions") — every client-credentials token of an identity provider that gives such tokens no subject (Duende
/// IdentityServer, for one, issues only <c>client_id</c>). McpServices identifies such a caller by its client id
/// (<see cref="CallerIdentity.PartitionKey"/>: rate limits, request state, audit records), so the user gets a second identity
/// (authentication type <c>McpServices.Session</c>, since the SDK reads only authenticated identities) with one
/// <c>NameIdentifier</c> claim, <c>client_id:&lt;id&gt;</c> from the token's issuer: the SDK binds the session to that client,
/// and another client's request for it is refused (403). The token's identity stays first and unchanged (<c>User.Identity</c>),
/// so the caller's subject (the audit record's <c>actor.subject</c>) stays none.
/// </summary>
internal static class StatefulSessionUser
{
    private const string IdentityType = "McpServices.Session";

    /// <summary>The user with the client's session identity added when the SDK could not bind a session to it; else the user itself.</summary>
    public static ClaimsPrincipal For(ClaimsPrincipal user)
    {
        if (user.Identity is not ClaimsIdentity { IsAuthenticated: true } identity
            || (Find(user, ClaimTypes.NameIdentifier) ?? Find(user, "sub") ?? Find(user, ClaimTypes.Upn)) is { Value.Length: > 0 }
            || CallerIdentity.ClientIdClaim(identity) is not { Value.Length: > 0 } client)
        {
            return user; // the SDK can bind the session as it is (or cannot, for want of a client id either)
        }

        var session = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "client_id:" + client.Value, ClaimValueTypes.String, client.Issuer)], IdentityType);
        return new ClaimsPrincipal([.. user.Identities, session]);
    }

    /// <summary>A claim as the SDK looks for the session's user: in the authenticated identities only.</summary>
    private static Claim? Find(ClaimsPrincipal user, string type)
    {
        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated && identity.FindFirst(type) is { } claim)
            {
                return claim;
            }
        }

        return null;
    }
}
