using System.Net;
using Microsoft.AspNetCore.Http;

namespace McpServices.AspNetCore;

/// <summary>
/// DNS-rebinding protection: decides whether a request's <c>Origin</c> and <c>Host</c> headers are acceptable.
/// </summary>
internal sealed class OriginPolicy
{
    private readonly HashSet<string> _allowedOrigins;
    private readonly bool _anyOrigin;
    private readonly string[] _exactHosts;
    private readonly string[] _wildcardHostSuffixes;

    public OriginPolicy(McpServiceOptions options)
    {
        _anyOrigin = options.AllowedOrigins.Contains("*");
        _allowedOrigins = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var origin in options.AllowedOrigins)
        {
            if (TryNormalizeOrigin(origin, out var normalized, out _))
            {
                _allowedOrigins.Add(normalized);
            }
        }

        _exactHosts = options.AllowedHosts.Where(h => !h.StartsWith("*.", StringComparison.Ordinal)).ToArray();
        _wildcardHostSuffixes = options.AllowedHosts.Where(h => h.StartsWith("*.", StringComparison.Ordinal)).Select(h => h[1..]).ToArray();
    }

    public bool IsHostAllowed(HostString host)
    {
        if (_exactHosts.Length == 0 && _wildcardHostSuffixes.Length == 0)
        {
            return true;
        }

        var name = host.Host;
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (var allowed in _exactHosts)
        {
            if (string.Equals(allowed, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        foreach (var suffix in _wildcardHostSuffixes)
        {
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsOriginAllowed(string origin, HostString requestHost)
    {
        if (_anyOrigin)
        {
            return true;
        }

        if (!TryNormalizeOrigin(origin, out var normalized, out var host))
        {
            return false;
        }

        if (_allowedOrigins.Contains(normalized))
        {
            return true;
        }

        // A page served from loopback may call a service that is itself addressed on loopback (local development, the Inspector).
        // A rebinding attack arrives with the attacker's host name in both Origin and Host, so it fails this test.
        return IsLoopback(host) && IsLoopback(requestHost.Host);
    }

    /// <summary>
    /// <c>scheme://host[:port]</c> with the host in its ASCII form (IDN), lower case, and an IPv6 address in brackets, as an
    /// origin is written; <paramref name="host"/> is the host alone.
    /// </summary>
    internal static bool TryNormalizeOrigin(string? origin, out string normalized, out string host)
    {
        normalized = string.Empty;
        host = string.Empty;
        if (string.IsNullOrWhiteSpace(origin) || !Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri))
        {
            return false;
        }

        if ((uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || origin.TrimEnd('/').Length < origin.Trim().Length - 1)
        {
            return false;
        }

        host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost}]" : uri.IdnHost;
        normalized = uri.IsDefaultPort ? $"{uri.Scheme}://{host}" : $"{uri.Scheme}://{host}:{uri.Port}";
        return true;
    }

    private static bool IsLoopback(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var trimmed = host.Trim('[', ']');
        return IPAddress.TryParse(trimmed, out var address) && IPAddress.IsLoopback(address);
    }
}
