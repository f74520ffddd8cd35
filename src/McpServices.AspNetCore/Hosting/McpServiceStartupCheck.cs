using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Fails startup, with a message that says how to fix it, when authentication cannot work or is switched off without
/// acknowledgement, or when configuration names tools that do not exist. Runs when the host starts — not during
/// <c>--describe</c>, which must not need production credentials. The checks of the mapped endpoints wait for the
/// application's pipeline (<see cref="McpServiceMappingCheck"/>).
/// </summary>
internal sealed partial class McpServiceStartupCheck(
    IOptions<McpServiceOptions> options,
    IHostEnvironment environment,
    IOptionsMonitor<JwtBearerOptions> jwtOptions,
    ApiKeyStore apiKeys,
    ToolAuthorizer authorizer,
    PrimitiveAuthorizer primitiveAuthorizer,
    ToolCatalog catalog,
    ILoggerFactory loggerFactory,
    IEnumerable<IAuditSink> auditSinks,
    IServiceProviderIsService? serviceProviderIsService = null,
    IConfiguration? configuration = null,
    IOptions<McpServerOptions>? serverOptions = null,
    IEnumerable<McpServerPrompt>? registeredPrompts = null,
    IEnumerable<McpServerResource>? registeredResources = null,
    IServer? server = null) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        StartupErrors.Observe(loggerFactory);
        if (Type.GetType("ModelContextProtocol.AspNetCore.AuthorizationFiltersMarker, ModelContextProtocol.AspNetCore") is { } filtersMarker
            && serviceProviderIsService?.IsService(filtersMarker) == true)
        {
            throw new InvalidOperationException("The MCP SDK's AddAuthorizationFilters() was called (for example inside WithMcpServer): McpServices authorizes tool calls, prompts and resources itself, so that refused calls are audited and answered with the MCP specification's challenges. Remove the AddAuthorizationFilters() call and use [RequireScopes] and [Authorize] on tools, prompts and resources.");
        }

        if (serverOptions is not null)
        {
            HandlerChecks.Run(serverOptions.Value, registeredPrompts ?? [], registeredResources ?? [], serviceProviderIsService);
            primitiveAuthorizer.Check(serverOptions.Value);
        }

        CheckSettingsAgainstTools(options.Value, authorizer, catalog);
        if (options.Value.Audit.Enabled && UnmatchedRedactPaths(options.Value, catalog).ToArray() is { Length: > 0 } unmatched)
        {
            LogUnmatchedRedactPaths(loggerFactory.CreateLogger(typeof(AuditTrail).FullName!), string.Join(", ", unmatched.Select(p => $"'{p}'")));
        }

        if (serviceProviderIsService is not null)
        {
            var validationLogger = loggerFactory.CreateLogger(typeof(UnregisteredValidators).FullName!);
            foreach (var finding in UnregisteredValidators.Find(catalog))
            {
                LogUnregisteredValidator(validationLogger, finding.Validator.FullName ?? finding.Validator.Name, finding.ArgumentType.Name, finding.Argument, finding.Tool,
                    $"IValidator<{finding.ArgumentType.Name}>",
                    finding.Validator.IsVisible
                        ? $"builder.Services.AddValidatorsFromAssemblyContaining<{finding.Validator.Name}>()."
                        : $"builder.Services.AddValidatorsFromAssemblyContaining<{finding.Validator.Name}>(includeInternalTypes: true): it is not public, and the scan registers only public validators unless told otherwise.");
            }
        }

        var audit = options.Value.Audit;
        if (options.Value.Telemetry.Enabled || (audit.Enabled && audit.EffectiveSinks.Contains("otlp")))
        {
            OtlpSettings.Check(configuration, loggerFactory.CreateLogger("McpServices.AspNetCore.Telemetry"));
        }

        if (audit.Enabled && !audit.EffectiveSinks.Any() && !auditSinks.Any())
        {
            throw new McpServiceConfigurationException(
                "The audit trail is on but has no sink: McpService:Audit:Sinks names none of 'stdout', 'file' or 'otlp', and no IAuditSink is registered, " +
                "so the records of tool calls would go nowhere. Name a sink (McpService:Audit:Sinks:0=stdout), register your own with WithAuditSink<T>(), " +
                "or turn the audit trail off with McpService:Audit:Enabled=false (outside Development, with McpService:Audit:AcknowledgeDisabled=true).");
        }

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

        var jwtConfigured = AcceptedCredentials.AcceptsTokens(jwt);
        if (!jwtConfigured && !apiKeys.IsConfigured)
        {
            if (environment.IsDevelopment())
            {
                // A service just created from the template and run before 'dotnet user-jwts create' made its signing key: it
                // starts, refuses every call, and says what to run once it knows its address (StartedAsync).
                _nothingToAuthenticateWith = true;
                return Task.CompletedTask;
            }

            throw new McpServiceConfigurationException(
                "Authentication is on, but no way to authenticate callers is configured. Configure a token issuer with Authentication:Schemes:Bearer:Authority " +
                "(an OpenID Connect authority) — in Development, 'dotnet user-jwts create' does it for you — or API keys under McpService:Authentication:ApiKeys " +
                "(or McpService:Authentication:ApiKeysFile). To run without authentication, set McpService:Authentication:Enabled=false and McpService:Authentication:AcknowledgeUnauthenticated=true " +
                "(outside Development, turning authentication off must be acknowledged).");
        }

        // RFC 8707 audience binding needs to know which resource this is. Taken from each request's Host header, it would be
        // the caller's choice: a token issued for another service of the same identity provider, sent with that service's
        // host name, would be accepted here.
        if (jwtConfigured && string.IsNullOrWhiteSpace(auth.Resource) && options.Value.AllowedHosts.Length == 0 && !environment.IsDevelopment())
        {
            throw new McpServiceConfigurationException(
                $"Bearer tokens would be checked against a resource URL taken from each request's Host header in the '{environment.EnvironmentName}' environment " +
                "(McpService:Authentication:Resource is not set and McpService:AllowedHosts allows any host): callers choose that header, so a token issued for another " +
                "service of the same identity provider would be accepted when sent with that service's host name. Set McpService:Authentication:Resource to the URL " +
                "clients use for the MCP endpoint (for example https://inventory.example.com/mcp; the generated Kubernetes manifests set it), or list this service's " +
                "host names in McpService:AllowedHosts.");
        }

        return Task.CompletedTask;
    }

    private const string JwtSection = "Authentication:Schemes:Bearer";

    private const string JwtSettingsUnusable = $"The JWT bearer settings ({JwtSection}) cannot be used:";

    /// <summary>
    /// Fails when configuration names tools the service does not have, or a redaction path for one tool that its arguments cannot
    /// have. Also run by <c>--describe</c>, so that a typo fails the build that generates the manifests instead of shipping in
    /// their ConfigMap.
    /// </summary>
    internal static void CheckSettingsAgainstTools(McpServiceOptions options, ToolAuthorizer authorizer, ToolCatalog catalog)
    {
        var unknown = authorizer.UnknownOverrides(options)
            .Select(t => $"McpService:Authorization:Tools:{t}")
            .Concat(options.RateLimits.Tools.Keys.Where(t => catalog.FindConfigured(t) is null).Select(t => $"McpService:RateLimits:Tools:{t}"))
            .Concat(options.Timeouts.Tools.Keys.Where(t => catalog.FindConfigured(t) is null).Select(t => $"McpService:Timeouts:Tools:{t}"))
            .Concat(options.Audit.RedactPaths.Where(p => Redaction.ParseConfigured(p).Tool is { Length: > 0 } tool && catalog.FindConfigured(tool) is null).Select(p => $"McpService:Audit:RedactPaths '{p}'"))
            .ToArray();
        if (unknown.Length > 0)
        {
            throw new McpServiceConfigurationException(
                $"Configuration names tools this service does not have: {string.Join(", ", unknown)}. The tools are: {string.Join(", ", catalog.Tools.Select(t => t.Name))}. Fix the tool names (a typo would leave a tool without its intended protection).");
        }

        // A path for one tool that its arguments cannot have is a typo that would leave the value it meant in the audit trail.
        var impossible = options.Audit.RedactPaths
            .Select(path => (path, parsed: Redaction.ParseConfigured(path)))
            .Where(p => p.parsed.Tool is { Length: > 0 } && !Redaction.CanMatch(catalog.FindConfigured(p.parsed.Tool)!.ProtocolTool.InputSchema, p.parsed.Segments))
            .Select(p => $"'{p.path}' (the arguments of {p.parsed.Tool}: {ArgumentNames(catalog.FindConfigured(p.parsed.Tool)!)})")
            .ToArray();
        if (impossible.Length > 0)
        {
            throw new McpServiceConfigurationException(
                $"McpService:Audit:RedactPaths names arguments the tool does not have: {string.Join(", ", impossible)}. Fix the paths: as they are, they redact nothing (a path is argument and property names separated by '.', '*' for any property or array index, '**' for any number of them).");
        }
    }

    /// <summary>Configured redaction paths for every tool that no tool's arguments can have (a warning: clients may send more).</summary>
    internal static IEnumerable<string> UnmatchedRedactPaths(McpServiceOptions options, ToolCatalog catalog) =>
        options.Audit.RedactPaths.Where(path => Redaction.ParseConfigured(path) is { Tool: null } parsed
            && !catalog.Tools.Any(tool => Redaction.CanMatch(tool.ProtocolTool.InputSchema, parsed.Segments)));

    private static string ArgumentNames(ToolDescriptor tool) =>
        tool.ProtocolTool.InputSchema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? string.Join(", ", properties.EnumerateObject().Select(p => p.Name)) is { Length: > 0 } names ? names : "none"
            : "none";

    [LoggerMessage(65, LogLevel.Warning, "{Validator} validates {ArgumentType}, the argument '{Argument}' of the tool '{Tool}', but no {ServiceType} is registered, so it does not run before the tool. Register it with {Registration}")]
    private static partial void LogUnregisteredValidator(ILogger logger, string validator, string argumentType, string argument, string tool, string serviceType, string registration);

    [LoggerMessage(58, LogLevel.Warning, "McpService:Audit:RedactPaths {Paths} match no argument of any tool: they redact only arguments that clients send beyond the tools' schemas. Check their spelling (a path is argument and property names separated by '.', '*' for any property or array index, '**' for any number of them).")]
    private static partial void LogUnmatchedRedactPaths(ILogger logger, string paths);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (_nothingToAuthenticateWith)
        {
            var address = server?.Features.Get<IServerAddressesFeature>()?.Addresses
                .OrderBy(a => a.Contains("://localhost", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
                .FirstOrDefault() ?? "http://localhost:5000";
            var endpoint = DevelopmentEndpoint(address, options.Value.Path);
            var scopes = string.Concat(primitiveAuthorizer.AllScopes(serverOptions?.Value ?? new McpServerOptions())
                .Select(scope => $" --scope {options.Value.Authentication.Advertised(scope)}"));
            LogNothingToAuthenticateWith(loggerFactory.CreateLogger(typeof(McpServiceStartupCheck).FullName!), $"dotnet user-jwts create --audience {endpoint}{scopes}");
        }

        return Task.CompletedTask;
    }

    private bool _nothingToAuthenticateWith;

    /// <summary>The MCP endpoint's URL on a server address; a wildcard binding (http://0.0.0.0:8080, http://+:80, http://[::]:8080) is called on localhost.</summary>
    internal static string DevelopmentEndpoint(string address, string path) => WildcardHost().Replace(address.TrimEnd('/'), "${scheme}localhost") + path;

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<scheme>https?://)(0\.0\.0\.0|\[::\]|\+|\*)(?=[:/]|$)")]
    private static partial System.Text.RegularExpressions.Regex WildcardHost();

    [LoggerMessage(66, LogLevel.Warning, "No token issuer and no API key are configured, so every call is refused (401). In Development, create a signing key and a token for this service with: {Command} (the running service picks them up). Elsewhere, configure Authentication:Schemes:Bearer:Authority (an OpenID Connect authority) or API keys under McpService:Authentication:ApiKeys.")]
    private static partial void LogNothingToAuthenticateWith(ILogger logger, string command);

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
