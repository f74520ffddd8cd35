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

    /// <summary>The client the token was issued to: <c>client_id</c> (RFC 9068), <c>azp</c> (OpenID Connect, Entra ID v2) or <c>appid</c> (Entra ID v1).</summary>
    internal static Claim? ClientIdClaim(ClaimsIdentity identity) =>
        identity.FindFirst("client_id") ?? identity.FindFirst("azp") ?? identity.FindFirst("appid");

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
