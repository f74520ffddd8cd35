using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// Fails startup, with a message that says how to fix it, when authentication cannot work or is switched off without
/// acknowledgement, or when configuration names tools that do not exist. Runs when the host starts — not during
/// <c>--describe</c>, which must not need production credentials.
/// </summary>
internal sealed class McpServiceStartupCheck(
    IOptions<McpServiceOptions> options,
    IHostEnvironment environment,
    IOptionsMonitor<JwtBearerOptions> jwtOptions,
    ApiKeyStore apiKeys,
    ToolAuthorizer authorizer,
    ToolCatalog catalog,
    Microsoft.Extensions.Logging.ILoggerFactory loggerFactory,
    Microsoft.Extensions.DependencyInjection.IServiceProviderIsService? serviceProviderIsService = null,
    Microsoft.Extensions.Configuration.IConfiguration? configuration = null,
    McpServiceMarker? marker = null) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        StartupErrors.Observe(loggerFactory);
        if (Type.GetType("ModelContextProtocol.AspNetCore.AuthorizationFiltersMarker, ModelContextProtocol.AspNetCore") is { } filtersMarker
            && serviceProviderIsService?.IsService(filtersMarker) == true)
        {
            throw new InvalidOperationException("The MCP SDK's AddAuthorizationFilters() was called (for example inside WithMcpServer): McpServices authorizes tool calls itself, so that refused calls are audited and answered with the MCP specification's challenges. Remove the AddAuthorizationFilters() call and use [RequireScopes] and [Authorize] on tools.");
        }

        if (marker is { MappedInto: null } && serviceProviderIsService?.IsService(typeof(Microsoft.AspNetCore.Hosting.Server.IServer)) == true)
        {
            throw new InvalidOperationException(
                "builder.AddMcpService() was called, but app.MapMcpService() was not: the service would run without its MCP endpoint, health endpoints and metadata. " +
                "Call app.MapMcpService() after builder.Build().");
        }

        CheckToolNames(options.Value, authorizer, catalog);
        CheckRouteConflicts();
        var audit = options.Value.Audit;
        if (!audit.Enabled && !environment.IsDevelopment() && !audit.AcknowledgeDisabled)
        {
            throw new McpServiceConfigurationException(
                $"The audit trail is turned off (McpService:Audit:Enabled=false) in the '{environment.EnvironmentName}' environment: tool calls would leave no record. " +
                "Turn it on, or confirm that this is intended with McpService:Audit:AcknowledgeDisabled=true.");
        }

        var auth = options.Value.Authentication;
        if (!auth.Enabled)
        {
            if (!environment.IsDevelopment() && !auth.AcknowledgeUnauthenticated)
            {
                throw new McpServiceConfigurationException(
                    $"Authentication is turned off (McpService:Authentication:Enabled=false) in the '{environment.EnvironmentName}' environment: anyone who can reach this service could call every tool. " +
                    "Turn authentication on, or confirm that this is intended with McpService:Authentication:AcknowledgeUnauthenticated=true.");
            }

            return Task.CompletedTask;
        }

        JwtBearerOptions jwt;
        try
        {
            jwt = jwtOptions.Get(McpServiceAuthenticationDefaults.BearerScheme);
        }
        catch (InvalidOperationException ex) when (ex is not McpServiceConfigurationException)
        {
            // A value the binder cannot convert, or settings the JWT handler refuses (an http:// Authority, for example).
            throw new McpServiceConfigurationException($"{JwtSettingsUnusable} {ConfigurationBinding.Describe(ex)}");
        }
        catch (FormatException ex)
        {
            // ASP.NET Core reads the section itself and parses with bool.Parse and the like, without naming the setting.
            throw new McpServiceConfigurationException($"{JwtSettingsUnusable} {ConfigurationBinding.Describe(ex, configuration?.GetSection(JwtSection))}");
        }

        var parameters = jwt.TokenValidationParameters;
        var jwtConfigured = !string.IsNullOrEmpty(jwt.Authority) || !string.IsNullOrEmpty(jwt.MetadataAddress) || jwt.Configuration is not null || jwt.ConfigurationManager is not null
            || parameters.IssuerSigningKey is not null || parameters.IssuerSigningKeys?.Any() == true || parameters.IssuerSigningKeyResolver is not null;
        if (!jwtConfigured && !apiKeys.IsConfigured)
        {
            throw new McpServiceConfigurationException(
                "Authentication is on, but no way to authenticate callers is configured. Configure a token issuer with Authentication:Schemes:Bearer:Authority " +
                "(an OpenID Connect authority) — in Development, 'dotnet user-jwts create' does it for you — or API keys under McpService:Authentication:ApiKeys " +
                "(or McpService:Authentication:ApiKeysFile). To run without authentication, set McpService:Authentication:Enabled=false.");
        }

        return Task.CompletedTask;
    }

    private const string JwtSection = "Authentication:Schemes:Bearer";

    private const string JwtSettingsUnusable = $"The JWT bearer settings ({JwtSection}) cannot be used:";

    /// <summary>
    /// Fails when configuration names tools the service does not have. Also run by <c>--describe</c>, so that a typo fails the
    /// build that generates the manifests instead of shipping in their ConfigMap.
    /// </summary>
    internal static void CheckToolNames(McpServiceOptions options, ToolAuthorizer authorizer, ToolCatalog catalog)
    {
        var unknown = authorizer.UnknownOverrides(options)
            .Select(t => $"McpService:Authorization:Tools:{t}")
            .Concat(options.RateLimits.Tools.Keys.Where(t => catalog.Find(t) is null).Select(t => $"McpService:RateLimits:Tools:{t}"))
            .Concat(options.Timeouts.Tools.Keys.Where(t => catalog.Find(t) is null).Select(t => $"McpService:Timeouts:Tools:{t}"))
            .Concat(options.Audit.RedactPaths.Where(p => Redaction.ParseConfigured(p).Tool is { Length: > 0 } tool && catalog.Find(tool) is null).Select(p => $"McpService:Audit:RedactPaths '{p}'"))
            .ToArray();
        if (unknown.Length > 0)
        {
            throw new McpServiceConfigurationException(
                $"Configuration names tools this service does not have: {string.Join(", ", unknown)}. The tools are: {string.Join(", ", catalog.Tools.Select(t => t.Name))}. Fix the tool names (a typo would leave a tool without its intended protection).");
        }
    }

    /// <summary>
    /// Fails when the application maps an endpoint of its own at a path where McpServices maps one (Kubernetes services often
    /// already serve <c>/livez</c> and <c>/readyz</c>): routing would answer every request there with 500 (ambiguous match), and
    /// probes would never succeed. Routes that merely overlap (parameters, catch-alls) are resolved by routing's precedence.
    /// </summary>
    private void CheckRouteConflicts()
    {
        if (marker?.MappedInto is not { } sources)
        {
            return;
        }

        static string Normalize(RouteEndpoint e) => "/" + (e.RoutePattern.RawText ?? string.Empty).Trim('/').ToLowerInvariant();
        static bool IsMcp(Endpoint e) => e.Metadata.GetMetadata<McpServiceEndpointRouteBuilderExtensions.McpEndpointMetadata>() is not null;
        static bool IsOurs(Endpoint e) => IsMcp(e) || e.DisplayName?.StartsWith(McpServiceEndpointRouteBuilderExtensions.DisplayNamePrefix, StringComparison.Ordinal) == true;
        static IReadOnlyList<string>? Methods(Endpoint e) => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? m.ToArray() : null;
        static bool Overlap(Endpoint a, Endpoint b) => Methods(a) is not { } x || Methods(b) is not { } y || x.Intersect(y, StringComparer.OrdinalIgnoreCase).Any();

        var all = sources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>().ToList();

        // Another MCP endpoint (the SDK's MapMcp(), which names its endpoints "MCP Streamable HTTP | …" and, for the legacy SSE
        // transport, "MCP HTTP with SSE | …") serves the same tools without the HTTP stage: no authentication, no scope checks,
        // no audit of refusals.
        static bool IsSdkMcp(Endpoint e) => e.DisplayName is { } name
            && (name.StartsWith("MCP Streamable HTTP | ", StringComparison.Ordinal) || name.StartsWith("MCP HTTP with SSE | ", StringComparison.Ordinal));
        var ungoverned = all.Where(e => !IsMcp(e) && IsSdkMcp(e))
            .Select(e => "'" + (e.RoutePattern.RawText?.TrimEnd('/') is { Length: > 0 } p ? p : "/") + "'").Distinct().ToArray();
        if (ungoverned.Length > 0)
        {
            throw new InvalidOperationException(
                $"The application maps an MCP endpoint of its own at {string.Join(", ", ungoverned)} (the MCP SDK's MapMcp()): calls through it would bypass McpServices' " +
                "authentication, authorization, rate limits and audit. Remove it; app.MapMcpService() serves the MCP endpoint (at McpService:Path).");
        }

        var conflicts = new List<string>();
        foreach (var ours in all.Where(IsOurs))
        {
            var path = Normalize(ours);
            if (all.FirstOrDefault(e => !IsOurs(e) && Normalize(e) == path && Overlap(e, ours)) is { } theirs)
            {
                var fix = ours.DisplayName switch
                {
                    McpServiceEndpointRouteBuilderExtensions.LivenessName => "move McpServices' with McpService:LivenessPath, or remove the application's",
                    McpServiceEndpointRouteBuilderExtensions.ReadinessName => "move McpServices' with McpService:ReadinessPath, or remove the application's",
                    McpServiceEndpointRouteBuilderExtensions.PrometheusName => "move McpServices' with McpService:Telemetry:PrometheusPath, or remove the application's",
                    _ when path == ResourceUrls.WellKnownPrefix => "MCP clients look for the metadata there when the challenge does not name it, so remove the application's",
                    _ => "move McpServices' with McpService:Path, or remove the application's",
                };
                var what = IsMcp(ours) ? "MCP" : ours.DisplayName![McpServiceEndpointRouteBuilderExtensions.DisplayNamePrefix.Length..];
                var message = $"the application maps its own endpoint at '{(ours.RoutePattern.RawText?.TrimEnd('/') is { Length: > 0 } shown ? shown : "/")}' ({theirs.DisplayName}), where McpServices maps its {what} endpoint; {fix}";
                if (!conflicts.Contains(message))
                {
                    conflicts.Add(message); // the SDK maps the MCP path once per method
                }
            }
        }

        if (conflicts.Count > 0)
        {
            throw new McpServiceConfigurationException(
                $"Two endpoints share a path, so every request to it would fail (500, ambiguous match): {string.Join("; ", conflicts)}.");
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
