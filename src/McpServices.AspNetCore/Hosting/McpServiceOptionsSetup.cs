using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>Fills the defaults that depend on the application: name and version.</summary>
internal sealed class McpServiceOptionsSetup(IHostEnvironment environment) : IPostConfigureOptions<McpServiceOptions>
{
    public void PostConfigure(string? name, McpServiceOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Name))
        {
            options.Name = ServiceNaming.ToServiceName(environment.ApplicationName);
        }

        if (string.IsNullOrWhiteSpace(options.Version))
        {
            options.Version = ServiceNaming.GetInformationalVersion(environment.ApplicationName) ?? "0.0.0";
        }
        else
        {
            options.Version = ServiceNaming.StripBuildMetadata(options.Version.Trim());
        }

        options.Path = NormalizePath(options.Path);
        options.LivenessPath = NormalizePath(options.LivenessPath);
        options.ReadinessPath = NormalizePath(options.ReadinessPath);
    }

    private static string NormalizePath(string path)
    {
        path = path?.Trim() ?? string.Empty;
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }
}

/// <summary>Validates <see cref="McpServiceOptions"/> at startup with messages that name the fix.</summary>
internal sealed class McpServiceOptionsValidator(IHostEnvironment environment) : IValidateOptions<McpServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, McpServiceOptions options)
    {
        var failures = new List<string>();
        const string Section = McpServiceOptions.SectionName;

        if (string.IsNullOrEmpty(options.Name))
        {
            failures.Add($"{Section}:Name is not set, and the application name '{environment.ApplicationName}' gives no default (the default is its ASCII letters and digits in kebab-case). Set a name of 1-63 lowercase letters, digits or '-', starting with a letter (for example 'inventory'; it names the Kubernetes Service), in configuration ({Section}:Name) or in AddMcpService(o => o.Name = ...).");
        }
        else if (options.Name.Length > 63 || !ServiceNaming.ServiceName().IsMatch(options.Name))
        {
            failures.Add($"{Section}:Name '{options.Name}' is not a valid service name. Use 1-63 lowercase letters, digits or '-', starting with a letter and ending with a letter or digit (for example 'inventory'; it names the Kubernetes Service), in configuration ({Section}:Name) or in AddMcpService(o => o.Name = ...).");
        }

        if (string.IsNullOrEmpty(options.Version) || !ServiceNaming.SemVer().IsMatch(options.Version))
        {
            failures.Add($"{Section}:Version '{options.Version}' is not a SemVer 2.0 version such as '1.4.0' or '2.0.0-beta.1'. Set <Version> in the project file, or {Section}:Version in configuration.");
        }

        ValidatePath(failures, $"{Section}:Path", options.Path);
        ValidatePath(failures, $"{Section}:LivenessPath", options.LivenessPath);
        ValidatePath(failures, $"{Section}:ReadinessPath", options.ReadinessPath);
        var paths = new[] { options.Path, options.LivenessPath, options.ReadinessPath };
        if (paths.Distinct(StringComparer.OrdinalIgnoreCase).Count() != paths.Length)
        {
            failures.Add($"{Section}:Path, {Section}:LivenessPath and {Section}:ReadinessPath must be different paths; they are '{options.Path}', '{options.LivenessPath}' and '{options.ReadinessPath}'.");
        }

        if (options.MaxRequestBodySize <= 0)
        {
            failures.Add($"{Section}:MaxRequestBodySize must be a positive number of bytes (the default is 1048576); it is {options.MaxRequestBodySize}.");
        }

        if (options.DrainTimeout < TimeSpan.Zero || options.DrainTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{Section}:DrainTimeout must be between 00:00:00 and 00:10:00 (the default is 00:00:25); it is {options.DrainTimeout}.");
        }

        if (options.Authentication.TokenValidationCacheDuration < TimeSpan.Zero || options.Authentication.TokenValidationCacheDuration > TimeSpan.FromHours(1))
        {
            failures.Add($"{Section}:Authentication:TokenValidationCacheDuration must be between 00:00:00 (off) and 01:00:00 (the default is 00:05:00); it is {options.Authentication.TokenValidationCacheDuration}.");
        }

        ValidateAuthentication(failures, options.Authentication);
        if (options.Authentication.Resource is { } resource && (!Uri.TryCreate(resource, UriKind.Absolute, out var resourceUri) || (resourceUri.Scheme != Uri.UriSchemeHttps && resourceUri.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(resourceUri.Fragment)))
        {
            failures.Add($"{Section}:Authentication:Resource '{resource}' must be the absolute URL clients use for the MCP endpoint, for example 'https://inventory.example.com/mcp'.");
        }

        foreach (var (tool, setting) in options.Authorization.Tools)
        {
            ValidateScopes(failures, $"{Section}:Authorization:Tools:{tool}:RequiredScopes", setting.RequiredScopes);
        }

        ValidateRateLimit(failures, $"{Section}:RateLimits:Default", options.RateLimits.Default);
        foreach (var (tool, limit) in options.RateLimits.Tools)
        {
            ValidateRateLimit(failures, $"{Section}:RateLimits:Tools:{tool}", limit);
        }

        ValidateTimeout(failures, $"{Section}:Timeouts:Default", options.Timeouts.Default);
        foreach (var (tool, timeout) in options.Timeouts.Tools)
        {
            ValidateTimeout(failures, $"{Section}:Timeouts:Tools:{tool}", timeout);
        }

        for (var i = 0; i < options.RequestState.Keys.Length; i++)
        {
            // The key itself is a secret: the message names its place, never its value.
            if (!RequestStateKeys.TryDecode(options.RequestState.Keys[i], out _))
            {
                failures.Add($"{Section}:RequestState:Keys:{i} is not a key: give the base64 of 32 random bytes (for example from 'openssl rand -base64 32').");
            }
        }

        var audit = options.Audit;
        if (audit.BufferCapacity < 1)
        {
            failures.Add($"{Section}:Audit:BufferCapacity must be at least 1 (the default is 10000); it is {audit.BufferCapacity}.");
        }

        if (audit.MaxArgumentsBytes < 256)
        {
            failures.Add($"{Section}:Audit:MaxArgumentsBytes must be at least 256 (the default is 16384); it is {audit.MaxArgumentsBytes}.");
        }

        foreach (var sink in audit.Sinks ?? [])
        {
            if (sink.Trim().ToLowerInvariant() is not ("stdout" or "file" or "otlp" or "none"))
            {
                failures.Add($"{Section}:Audit:Sinks contains '{sink}'. The built-in sinks are 'stdout', 'file', 'otlp' and 'none'; register others with WithAuditSink<T>().");
            }
        }

        if (!string.IsNullOrWhiteSpace(audit.OtlpEndpoint) && !(IsHttpUrl(audit.OtlpEndpoint.Trim()) && !audit.OtlpEndpoint.Contains('?', StringComparison.Ordinal)))
        {
            failures.Add($"{Section}:Audit:OtlpEndpoint '{audit.OtlpEndpoint}' is not an OTLP/HTTP endpoint. Use an absolute http(s) URL such as 'http://otel-collector:4318' (the sink posts to its /v1/logs), or leave it empty for OTEL_EXPORTER_OTLP_ENDPOINT.");
        }

        if (audit.FileMaxBytes < 1024 || audit.FileMaxFiles < 1)
        {
            failures.Add($"{Section}:Audit:FileMaxBytes must be at least 1024 and {Section}:Audit:FileMaxFiles at least 1.");
        }

        if (!options.Telemetry.PrometheusPath.StartsWith('/'))
        {
            failures.Add($"{Section}:Telemetry:PrometheusPath '{options.Telemetry.PrometheusPath}' must be an absolute path such as '/metrics'.");
        }
        else if (paths.Contains(options.Telemetry.PrometheusPath.TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
        {
            failures.Add($"{Section}:Telemetry:PrometheusPath '{options.Telemetry.PrometheusPath}' is already the path of the MCP, liveness or readiness endpoint; use another, such as '/metrics'.");
        }

        foreach (var path in audit.RedactPaths)
        {
            var (tool, segments) = Redaction.ParseConfigured(path);
            if (tool is "" || segments.Any(segment => segment.Length == 0 || segment.Any(c => char.IsWhiteSpace(c) || c is '[' or ']')))
            {
                failures.Add($"{Section}:Audit:RedactPaths contains '{path}', which is not a path: argument and property names separated by '.', '*' for any property or array index, '**' for any number of them, optionally after '<tool>:' (for example 'payment.card', 'create_order:lines.*.card' or '**.password').");
            }
        }

        foreach (var origin in options.AllowedOrigins)
        {
            if (origin != "*" && !OriginPolicy.TryNormalizeOrigin(origin, out _, out _))
            {
                failures.Add($"{Section}:AllowedOrigins contains '{origin}', which is not an origin. Use 'scheme://host[:port]' without a path, for example 'https://agents.example.com'.");
            }
        }

        foreach (var host in options.AllowedHosts)
        {
            if (IPAddress.TryParse(host, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6 && !host.StartsWith('['))
            {
                failures.Add($"{Section}:AllowedHosts contains '{host}', an IPv6 address without brackets. Write it as a Host header carries it: '[{host}]'.");
            }
            else if (string.IsNullOrWhiteSpace(host) || host.Contains('/', StringComparison.Ordinal) || host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
            {
                failures.Add($"{Section}:AllowedHosts contains '{host}', which is not a host name. Use names without scheme or port, for example 'inventory.example.com' or '*.svc.cluster.local'.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateAuthentication(List<string> failures, McpServiceAuthenticationOptions auth)
    {
        const string Section = McpServiceOptions.SectionName;

        foreach (var (id, key) in auth.ApiKeys)
        {
            if (!ApiKeyStore.IsValidKeyId(id) || !ApiKeyStore.TryParseHash(key.Hash, out _))
            {
                failures.Add($"{Section}:Authentication:ApiKeys:{id} is not a usable API key: {ApiKeyStore.KeyRequirements} (docs/authentication.md shows how to create one).");
            }

            ValidateScopes(failures, $"{Section}:Authentication:ApiKeys:{id}:Scopes", key.Scopes);
        }

        if (auth.ClockSkew < TimeSpan.Zero || auth.ClockSkew > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{Section}:Authentication:ClockSkew must be between 00:00:00 and 00:05:00 (the default is 00:00:30): it is how long after expiry a token is still accepted; it is {auth.ClockSkew}.");
        }

        if (string.IsNullOrWhiteSpace(auth.RoleClaimType))
        {
            failures.Add($"{Section}:Authentication:RoleClaimType must name the claim that carries roles (the default is 'roles').");
        }

        var algorithms = JwtBearerSetup.AsymmetricAlgorithms.Concat(JwtBearerSetup.SymmetricAlgorithms).ToArray();
        foreach (var algorithm in auth.ValidAlgorithms.Where(a => !algorithms.Contains(a, StringComparer.Ordinal)))
        {
            failures.Add($"{Section}:Authentication:ValidAlgorithms contains '{algorithm}'. Use signing algorithms from: {string.Join(", ", algorithms)}.");
        }

        foreach (var server in auth.AuthorizationServers.Where(s => !IsHttpUrl(s)))
        {
            failures.Add($"{Section}:Authentication:AuthorizationServers contains '{server}', which is not an absolute http(s) URL (the issuer URL of an authorization server, for example 'https://login.example.com/realms/agents').");
        }

        if (auth.ScopePrefix is { } prefix && (prefix.Length == 0 || prefix.Any(c => c is < '!' or > '~' or '"' or '\\')))
        {
            failures.Add($"{Section}:Authentication:ScopePrefix '{prefix}' cannot start a scope: printable ASCII without spaces, quotes or backslashes, such as 'api://inventory/' (Microsoft Entra ID: the Application ID URI and '/').");
        }

        if (auth.ApiKeysReloadInterval <= TimeSpan.Zero || auth.ApiKeysReloadInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{Section}:Authentication:ApiKeysReloadInterval must be longer than zero and at most 01:00:00 (the default is 00:00:10): it bounds how long a revoked key keeps working; it is {auth.ApiKeysReloadInterval}.");
        }

        if (string.IsNullOrEmpty(auth.ApiKeyHeader) || !auth.ApiKeyHeader.All(IsHeaderNameChar) || string.Equals(auth.ApiKeyHeader, "Authorization", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{Section}:Authentication:ApiKeyHeader '{auth.ApiKeyHeader}' is not a header name an API key can use: letters, digits and !#$%&'*+-.^_`|~, not 'Authorization' (keys are accepted there as bearer tokens anyway). The default is 'X-API-Key'.");
        }
    }

    /// <summary>RFC 6749 §3.3: a scope token is printable ASCII without space, <c>"</c> or <c>\</c>.</summary>
    private static void ValidateScopes(List<string> failures, string key, IEnumerable<string> scopes)
    {
        foreach (var scope in scopes.Where(s => s.Length == 0 || s.Any(c => c is < '!' or > '~' or '"' or '\\')))
        {
            failures.Add($"{key} contains '{scope}', which is not a scope: printable ASCII without spaces, quotes or backslashes (scopes are space-delimited in tokens).");
        }
    }

    /// <summary>An absolute http(s) URL: what an authorization server's issuer identifier is.</summary>
    internal static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static bool IsHeaderNameChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);

    private static void ValidateTimeout(List<string> failures, string key, TimeSpan? timeout)
    {
        if (timeout is { } value && (value < TimeSpan.Zero || value > TimeSpan.FromDays(1)))
        {
            failures.Add($"{key} must be between 00:00:00 (no limit) and one day (1.00:00:00); it is {value}.");
        }
    }

    private static void ValidateRateLimit(List<string> failures, string key, McpRateLimit? limit)
    {
        if (limit is null)
        {
            return;
        }

        if (limit.PermitsPerPeriod < 0)
        {
            failures.Add($"{key}:PermitsPerPeriod must be 0 (no limit) or more; it is {limit.PermitsPerPeriod}.");
        }

        if (limit.Period <= TimeSpan.Zero || limit.Period > TimeSpan.FromDays(1))
        {
            failures.Add($"{key}:Period must be longer than zero and at most one day (1.00:00:00; the default is 00:01:00); it is {limit.Period}.");
        }

        if (limit.Burst < 0)
        {
            failures.Add($"{key}:Burst must be 0 (as many as PermitsPerPeriod) or more; it is {limit.Burst}.");
        }
    }

    private static void ValidatePath(List<string> failures, string key, string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Contains("//", StringComparison.Ordinal) || path.IndexOfAny(['?', '#', ' ']) >= 0)
        {
            var fix = new StringBuilder().Append(key).Append(" '").Append(path).Append("' is not a valid path. Use an absolute path such as '/mcp'.");
            failures.Add(fix.ToString());
        }
    }
}
