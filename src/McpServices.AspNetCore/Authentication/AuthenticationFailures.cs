using System.Globalization;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.AspNetCore;

/// <summary>
/// Why a credential was refused, in words an operator can act on (log event 4). IdentityModel's messages hide every value
/// unless its process-wide PII switch is on (<c>Audiences: '[PII of type … is hidden]'</c>), and McpServices does not turn a
/// process-wide switch on for the application. The values shown here come from the token's own claims and the service's
/// settings, are cut to <see cref="MaxValueLength"/> characters, and never include the token itself. Clients are not told: every
/// refused credential gets the same 401.
/// </summary>
internal static class AuthenticationFailures
{
    /// <summary>Values taken from the token (which anyone can write) are cut to this many characters.</summary>
    internal const int MaxValueLength = 200;

    /// <summary>At most this many of the token's audiences are named.</summary>
    private const int MaxAudiences = 3;

    /// <summary>The failure of a token whose audiences are neither the service's resource URL nor a configured audience.</summary>
    public static SecurityTokenInvalidAudienceException InvalidAudience(IEnumerable<string> audiences, string? resource, IReadOnlyList<string> configured)
    {
        var presented = audiences.ToArray();
        var accepted = (resource is null ? configured : configured.Prepend(resource)).Distinct(StringComparer.Ordinal).ToArray();
        var what = presented.Length == 0
            ? "The token has no audience (aud)"
            : $"The token's audience (aud) is {Quote(presented.Take(MaxAudiences))}{(presented.Length > MaxAudiences ? $" and {presented.Length - MaxAudiences} more" : "")}";
        var sources = configured.Count > 0 ? (resource is null ? " (Authentication:Schemes:Bearer:ValidAudiences)" : " (its resource URL, and Authentication:Schemes:Bearer:ValidAudiences)") : " (its resource URL)";
        var message = accepted.Length == 0
            ? $"{what}, and this service has no resource URL to accept tokens for (set McpService:Authentication:Resource)."
            : $"{what}, but this service accepts tokens for {Quote(accepted)}{sources}. Request a token for this service's resource URL (RFC 8707 'resource').";
        return new SecurityTokenInvalidAudienceException(message) { InvalidAudience = Cut(string.Join(' ', presented)) };
    }

    /// <summary>
    /// The reason for log event 4. Failures whose message already says it — <see cref="InvalidAudience"/>'s, an API key's — are
    /// given as they are.
    /// </summary>
    public static string Describe(Exception? failure) => failure switch
    {
        null => "no identity",
        SecurityTokenExpiredException expired => $"The token expired at {Time(expired.Expires)} (UTC).",
        SecurityTokenNotYetValidException early => $"The token is not valid before {Time(early.NotBefore)} (UTC).",
        SecurityTokenInvalidIssuerException { InvalidIssuer: { Length: > 0 } issuer } =>
            $"The token's issuer (iss) {Quote([issuer])} is not one this service accepts (the authority's issuer, or Authentication:Schemes:Bearer:ValidIssuer(s)).",
        SecurityTokenSignatureKeyNotFoundException =>
            "The token's signature does not match any signing key this service has for its issuer (a token from another identity provider or environment, or signed with a key the provider no longer publishes).",
        SecurityTokenInvalidSignatureException =>
            "The token's signature does not match its content (a modified token, or one signed with another key).",
        SecurityTokenInvalidAlgorithmException =>
            "The token is signed with an algorithm this service does not accept (McpService:Authentication:ValidAlgorithms).",
        SecurityTokenInvalidLifetimeException lifetime => $"The token's lifetime is invalid: it expires at {Time(lifetime.Expires)} (exp), before it becomes valid at {Time(lifetime.NotBefore)} (nbf).",
        SecurityTokenNoExpirationException => "The token has no expiry (exp).",
        SecurityTokenMalformedException => "The credential is not a well-formed JWT.",
        _ => failure.Message,
    };

    private static string Time(DateTime? time) => time is { } value ? Time(value) : "(none)";

    private static string Time(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Quote(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"'{Cut(v)}'"));

    /// <summary>The value cut to <see cref="MaxValueLength"/> characters, control characters (a line break that would forge a log line) as '?'.</summary>
    private static string Cut(string value) =>
        LogValues.Printable(value.Length <= MaxValueLength ? value : string.Concat(value.AsSpan(0, MaxValueLength), "…"));
}
