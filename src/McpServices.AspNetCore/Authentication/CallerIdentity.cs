using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace McpServices.AspNetCore;

/// <summary>Who is calling, as the pipeline, rate limits and audit records see it. Built once per request from the principal.</summary>
internal sealed class CallerIdentity
{
    private const string ItemKey = "McpServices.CallerIdentity";

    public static readonly IReadOnlySet<string> NoScopes = new HashSet<string>();

    private string? _partitionKey;

    private CallerIdentity(bool isAuthenticated, string? issuer, string? subject, string? clientId, string authenticationMethod, IReadOnlySet<string> scopes, string? apiKeyId, IPAddress? remoteAddress)
    {
        IsAuthenticated = isAuthenticated;
        Issuer = issuer;
        Subject = subject;
        ClientId = clientId;
        AuthenticationMethod = authenticationMethod;
        Scopes = scopes;
        ApiKeyId = apiKeyId;
        RemoteAddress = remoteAddress;
    }

    public bool IsAuthenticated { get; }

    /// <summary>The token's issuer (<c>iss</c>): a subject or client id is unique only within its issuer.</summary>
    public string? Issuer { get; }

    public string? Subject { get; }

    public string? ClientId { get; }

    /// <summary><c>jwt</c>, <c>api_key</c> or <c>anonymous</c>.</summary>
    public string AuthenticationMethod { get; }

    public IReadOnlySet<string> Scopes { get; }

    public string? ApiKeyId { get; }

    public IPAddress? RemoteAddress { get; }

    /// <summary>
    /// Who the caller is for rate limits and request-state binding: the API key id, the subject or else the client id (with the
    /// issuer: a service that trusts several issuers must not take one issuer's "alice" for another's), or the remote address
    /// when anonymous — for IPv6 its /64 prefix, because one client (a host, a home, a cloud instance) is routinely given a whole
    /// /64 and could otherwise take a fresh bucket with every address.
    /// </summary>
    public string PartitionKey => _partitionKey ??= ApiKeyId is not null ? "key:" + ApiKeyId
        : Subject is not null ? $"sub:{Issuer} {Subject}"
        : ClientId is not null ? $"client:{Issuer} {ClientId}"
        : "ip:" + AddressPartition(RemoteAddress);

    internal static string AddressPartition(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    public static CallerIdentity Of(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var cached) && cached is CallerIdentity identity)
        {
            return identity;
        }

        identity = Create(context.User, context.Connection.RemoteIpAddress);
        context.Items[ItemKey] = identity;
        return identity;
    }

    public static void Reset(HttpContext context) => context.Items.Remove(ItemKey);

    public static CallerIdentity Create(ClaimsPrincipal? user, IPAddress? remoteAddress)
    {
        var identity = user?.Identities.FirstOrDefault(i => i.IsAuthenticated);
        if (identity is null)
        {
            return new CallerIdentity(false, null, null, null, "anonymous", NoScopes, null, remoteAddress);
        }

        var apiKeyId = identity.FindFirst(McpServiceAuthenticationDefaults.ApiKeyIdClaim)?.Value;
        var subject = identity.FindFirst("sub")?.Value ?? identity.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        var clientId = ClientIdClaim(identity)?.Value;
        var issuer = apiKeyId is null ? identity.FindFirst("iss")?.Value : null;
        return new CallerIdentity(true, issuer, subject, clientId, apiKeyId is null ? "jwt" : "api_key", ReadScopes(identity), apiKeyId, remoteAddress);
    }

    /// <summary>The authentication type of the identity <see cref="ForStatefulSession"/> adds.</summary>
    public const string SessionIdentityType = "McpServices.Session";

    /// <summary>The client the token was issued to: <c>client_id</c> (RFC 9068), <c>azp</c> (OpenID Connect, Entra ID v2) or <c>appid</c> (Entra ID v1).</summary>
    private static Claim? ClientIdClaim(ClaimsIdentity identity) =>
        identity.FindFirst("client_id") ?? identity.FindFirst("azp") ?? identity.FindFirst("appid");

    /// <summary>
    /// The request's user as the MCP SDK binds a stateful session to it. The SDK binds a session to the first
    /// <c>NameIdentifier</c>, <c>sub</c> or <c>UPN</c> claim of the user who started it, and refuses to start one for an
    /// authenticated user without any ("Authenticated users need a … claim to use stateful MCP sessions") — every
    /// client-credentials token of an identity provider that gives such tokens no subject (Duende IdentityServer, for one, issues
    /// only <c>client_id</c>). McpServices identifies such a caller by its client id (rate limits, request state, audit records),
    /// so here the user gets a second identity (authentication type <c>McpServices.Session</c>: the SDK reads only authenticated
    /// identities) with one <c>NameIdentifier</c> claim, <c>client_id:&lt;id&gt;</c> from the token's issuer: the SDK binds the
    /// session to that client, and another client's request for it is refused (403). The token's identity stays first and
    /// unchanged (<c>User.Identity</c>), so the caller's subject (the audit record's <c>actor.subject</c>) stays none. Any other
    /// user is returned as it is.
    /// </summary>
    public static ClaimsPrincipal ForStatefulSession(ClaimsPrincipal user)
    {
        if (user.Identity is not ClaimsIdentity { IsAuthenticated: true } identity
            || (SessionUserClaim(user, ClaimTypes.NameIdentifier) ?? SessionUserClaim(user, "sub") ?? SessionUserClaim(user, ClaimTypes.Upn)) is { Value.Length: > 0 }
            || ClientIdClaim(identity) is not { Value.Length: > 0 } client)
        {
            return user; // the SDK can bind the session as it is (or cannot, for want of a client id either)
        }

        var session = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "client_id:" + client.Value, ClaimValueTypes.String, client.Issuer)], SessionIdentityType);
        return new ClaimsPrincipal([.. user.Identities, session]);
    }

    /// <summary>A claim as the SDK looks for the session's user: in the authenticated identities only.</summary>
    private static Claim? SessionUserClaim(ClaimsPrincipal user, string type)
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

    /// <summary>Scopes from the <c>scope</c> and <c>scp</c> claims; each claim may hold several space-delimited scopes.</summary>
    public static IReadOnlySet<string> ReadScopes(ClaimsIdentity identity)
    {
        HashSet<string>? scopes = null;
        foreach (var claim in identity.Claims)
        {
            if (claim.Type is "scope" or "scp" or "http://schemas.microsoft.com/identity/claims/scope")
            {
                foreach (var scope in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    (scopes ??= new HashSet<string>(StringComparer.Ordinal)).Add(scope);
                }
            }
        }

        return scopes ?? NoScopes;
    }
}
