using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Fails startup, with a message that says how to fix it, when authentication cannot work or is switched off without
/// acknowledgement, when configuration names tools that do not exist, or when the application's endpoints clash with
/// McpServices' (<see cref="McpServiceEndpoints"/>). Runs when the host starts — not during
/// <c>--describe</c>, which must not need production credentials.
/// </summary>
internal sealed partial class McpServiceStartupCheck(
    IOptions<McpServiceOptions> options,
    IHostEnvironment environment,
    IOptionsMonitor<JwtBearerOptions> jwtOptions,
    ApiKeyStore apiKeys,
    ToolAuthorizer authorizer,
    ToolCatalog catalog,
    ILoggerFactory loggerFactory,
    IEnumerable<IAuditSink> auditSinks,
    IServiceProviderIsService? serviceProviderIsService = null,
    IConfiguration? configuration = null,
    McpServiceMarker? marker = null,
    IOptions<McpServerOptions>? serverOptions = null) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        StartupErrors.Observe(loggerFactory);
        if (Type.GetType("ModelContextProtocol.AspNetCore.AuthorizationFiltersMarker, ModelContextProtocol.AspNetCore") is { } filtersMarker
            && serviceProviderIsService?.IsService(filtersMarker) == true)
        {
            throw new InvalidOperationException("The MCP SDK's AddAuthorizationFilters() was called (for example inside WithMcpServer): McpServices authorizes tool calls itself, so that refused calls are audited and answered with the MCP specification's challenges. Remove the AddAuthorizationFilters() call and use [RequireScopes] and [Authorize] on tools.");
        }

        if (serverOptions is not null)
        {
            CheckNoAuthorizationOnResourcesOrPrompts(serverOptions.Value);
            CheckNoAsyncStreamResults(serverOptions.Value);
            CheckNoHttpParameters(serverOptions.Value, serviceProviderIsService);
            CheckHandlerClassesCanBeCreated(serverOptions.Value, serviceProviderIsService);
            CheckParametersCanBeBound(serverOptions.Value, serviceProviderIsService);
        }

        if (marker is { MappedInto: null } && serviceProviderIsService?.IsService(typeof(Microsoft.AspNetCore.Hosting.Server.IServer)) == true)
        {
            throw new InvalidOperationException(
                "builder.AddMcpService() was called, but app.MapMcpService() was not: the service would run without its MCP endpoint, health endpoints and metadata. " +
                "Call app.MapMcpService() after builder.Build().");
        }

        CheckSettingsAgainstTools(options.Value, authorizer, catalog);
        if (options.Value.Audit.Enabled && UnmatchedRedactPaths(options.Value, catalog).ToArray() is { Length: > 0 } unmatched)
        {
            LogUnmatchedRedactPaths(loggerFactory.CreateLogger(typeof(AuditTrail).FullName!), string.Join(", ", unmatched.Select(p => $"'{p}'")));
        }

        if (marker?.MappedInto is { } sources)
        {
            McpServiceEndpoints.CheckConflicts(sources);
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
            .Concat(options.RateLimits.Tools.Keys.Where(t => catalog.Find(t) is null).Select(t => $"McpService:RateLimits:Tools:{t}"))
            .Concat(options.Timeouts.Tools.Keys.Where(t => catalog.Find(t) is null).Select(t => $"McpService:Timeouts:Tools:{t}"))
            .Concat(options.Audit.RedactPaths.Where(p => Redaction.ParseConfigured(p).Tool is { Length: > 0 } tool && catalog.Find(tool) is null).Select(p => $"McpService:Audit:RedactPaths '{p}'"))
            .ToArray();
        if (unknown.Length > 0)
        {
            throw new McpServiceConfigurationException(
                $"Configuration names tools this service does not have: {string.Join(", ", unknown)}. The tools are: {string.Join(", ", catalog.Tools.Select(t => t.Name))}. Fix the tool names (a typo would leave a tool without its intended protection).");
        }

        // A path for one tool that its arguments cannot have is a typo that would leave the value it meant in the audit trail.
        var impossible = options.Audit.RedactPaths
            .Select(path => (path, parsed: Redaction.ParseConfigured(path)))
            .Where(p => p.parsed.Tool is { Length: > 0 } && !Redaction.CanMatch(catalog.Find(p.parsed.Tool)!.ProtocolTool.InputSchema, p.parsed.Segments))
            .Select(p => $"'{p.path}' (the arguments of {p.parsed.Tool}: {ArgumentNames(catalog.Find(p.parsed.Tool)!)})")
            .ToArray();
        if (impossible.Length > 0)
        {
            throw new McpServiceConfigurationException(
                $"McpService:Audit:RedactPaths names arguments the tool does not have: {string.Join(", ", impossible)}. Fix the paths: as they are, they redact nothing (a path is argument and property names separated by '.', '*' for any property or array index, '**' for any number of them).");
        }
    }

    /// <summary>
    /// Fails when a resource, resource template or prompt carries authorization metadata ([Authorize], [RequireScopes], a
    /// policy or requirement). McpServices authorizes tool calls; the SDK enforces such metadata on other items only through its
    /// AddAuthorizationFilters(), which McpServices replaces, so the item would be served to every authenticated caller while
    /// its code says otherwise.
    /// </summary>
    internal static void CheckNoAuthorizationOnResourcesOrPrompts(McpServerOptions server)
    {
        var guarded = Primitives(server, tools: false)
            .Select(item => (item.Kind, item.Name, Marks: item.Metadata.Select(AuthorizationMark).OfType<string>().Distinct().ToArray()))
            .Where(item => item.Marks.Length > 0)
            .Select(item => $"The {item.Kind} '{item.Name}' is marked {string.Join(" and ", item.Marks)}")
            .ToArray();
        if (guarded.Length > 0)
        {
            throw new InvalidOperationException(
                $"{string.Join("; ", guarded)}, but McpServices authorizes tool calls only: resources, resource templates and prompts are served to every " +
                "authenticated caller, so the mark would protect nothing. Remove it, and serve what needs a scope, role or policy through a tool " +
                "([RequireScopes], [Authorize] on the tool method), or require it of every caller of the endpoint: app.MapMcpService().RequireAuthorization(\"policy\").");
        }

        static string? AuthorizationMark(object metadata) => metadata switch
        {
            RequireScopesAttribute => "[RequireScopes]",
            Microsoft.AspNetCore.Authorization.IAllowAnonymous => null,
            Attribute attribute and (Microsoft.AspNetCore.Authorization.IAuthorizeData or Microsoft.AspNetCore.Authorization.IAuthorizationRequirementData) =>
                $"[{attribute.GetType().Name.Replace("Attribute", string.Empty, StringComparison.Ordinal)}]",
            Microsoft.AspNetCore.Authorization.AuthorizationPolicy or Microsoft.AspNetCore.Authorization.IAuthorizeData or Microsoft.AspNetCore.Authorization.IAuthorizationRequirementData =>
                "an authorization policy",
            _ => null,
        };
    }

    /// <summary>
    /// Fails when a tool, prompt or resource method returns <see cref="IAsyncEnumerable{T}"/> (directly or in a task). The SDK
    /// accepts such a method and names it like an async one, but cannot use its result: a tool's is serialized synchronously,
    /// which <see cref="System.Text.Json"/> refuses for async streams, and a prompt's or resource's is no type it knows — so
    /// every call would fail, at run time, with an internal error.
    /// </summary>
    internal static void CheckNoAsyncStreamResults(McpServerOptions server)
    {
        var streaming = Primitives(server, tools: true)
            .Select(item => (item.Kind, item.Name, Method: item.Metadata.OfType<System.Reflection.MethodInfo>().FirstOrDefault()))
            .Where(item => item.Method is not null && AsyncStreamItemType(item.Method.ReturnType) is not null)
            .Select(item => $"The {item.Kind} '{item.Name}' ({item.Method!.DeclaringType?.Name}.{item.Method.Name}) returns {DisplayName(item.Method.ReturnType)}")
            .ToArray();
        if (streaming.Length > 0)
        {
            throw new InvalidOperationException(
                $"{string.Join("; ", streaming)}, which the MCP SDK cannot turn into a result: every call would fail. An MCP result is sent whole, " +
                "not streamed, so collect the items and return them (for example Task<List<T>>; a tool can also return content blocks, " +
                "IEnumerable<ContentBlock>), and report progress along the way with an IProgress<ProgressNotificationValue> parameter.");
        }

        static Type? AsyncStreamItemType(Type type)
        {
            if (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>)))
            {
                type = type.GetGenericArguments()[0];
            }

            return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>)
                ? type.GetGenericArguments()[0]
                : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>))?.GetGenericArguments()[0];
        }

    }

    /// <summary>
    /// Fails when a tool, prompt or resource method takes an <c>HttpContext</c>, <c>HttpRequest</c> or <c>HttpResponse</c>
    /// parameter that is not a registered service. The SDK binds its own types and DI services only: it would publish the
    /// parameter as an argument for the caller to send (for a tool, a schema of the whole HttpContext object graph), and the
    /// call would fail.
    /// </summary>
    internal static void CheckNoHttpParameters(McpServerOptions server, IServiceProviderIsService? services)
    {
        var http = Primitives(server, tools: true)
            .Select(item => (item.Kind, item.Name, Method: item.Metadata.OfType<System.Reflection.MethodInfo>().FirstOrDefault()))
            .SelectMany(item => (item.Method?.GetParameters() ?? []).Where(p => IsHttpType(p.ParameterType) && services?.IsService(p.ParameterType) != true)
                .Select(p => $"The {item.Kind} '{item.Name}' ({item.Method!.DeclaringType?.Name}.{item.Method.Name}) takes the {p.ParameterType.Name} parameter '{p.Name}'"))
            .ToArray();
        if (http.Length > 0)
        {
            throw new InvalidOperationException(
                $"{string.Join("; ", http)}, which the MCP SDK does not bind: it would ask the caller to send it as an argument. A handler runs for an " +
                "MCP request: take the caller as a ClaimsPrincipal parameter, or, when it needs the HTTP request itself, inject IHttpContextAccessor " +
                "(builder.Services.AddHttpContextAccessor()) into its class.");
        }

    }

    private static bool IsHttpType(Type type) =>
        typeof(Microsoft.AspNetCore.Http.HttpContext).IsAssignableFrom(type)
        || typeof(Microsoft.AspNetCore.Http.HttpRequest).IsAssignableFrom(type)
        || typeof(Microsoft.AspNetCore.Http.HttpResponse).IsAssignableFrom(type);

    /// <summary>
    /// Fails when the class of a tool, prompt or resource method (an instance method: the class is created for each call, with
    /// constructor injection) has no public constructor whose parameters the request's services can all supply. The call
    /// would fail every time, as an internal error, and only when first made: a missing registration is a startup error, like
    /// one that the host's own validation finds.
    /// </summary>
    internal static void CheckHandlerClassesCanBeCreated(McpServerOptions server, IServiceProviderIsService? services)
    {
        if (services is null)
        {
            return;
        }

        var uncreatable = Primitives(server, tools: true)
            .Select(item => (item.Kind, item.Name, item.Metadata, Method: item.Metadata.OfType<System.Reflection.MethodInfo>().FirstOrDefault()))
            .Where(item => item.Method is { IsStatic: false })
            .Select(item => (item.Kind, item.Name, Type: item.Metadata.OfType<ToolSource>().FirstOrDefault()?.ToolType ?? item.Method!.ReflectedType!))
            .Where(item => !item.Type.IsValueType)
            .GroupBy(item => item.Type)
            .Select(group => (Type: group.Key, Handlers: group.ToArray(), Problem: ConstructionProblem(group.Key, services)))
            .Where(item => item.Problem is not null)
            .Select(item => $"The class {item.Type.Name} (the {string.Join(" and ", item.Handlers.GroupBy(h => h.Kind).Select(kind => $"{kind.Key}{(kind.Count() > 1 ? "s" : string.Empty)} {string.Join(", ", kind.Select(h => $"'{h.Name}'"))}"))}) cannot be created for a call: {item.Problem}")
            .ToArray();
        if (uncreatable.Length > 0)
        {
            throw new InvalidOperationException(
                $"{string.Join(" ", uncreatable)} Register what its constructor needs in the service collection (builder.Services.AddScoped<IService, Service>()), " +
                "or give the parameter a default value.");
        }
    }

    /// <summary>
    /// Fails when a parameter of a tool, prompt or resource method can be bound neither as a service nor from the caller's
    /// arguments: a <c>[FromKeyedServices]</c> parameter whose keyed service is not registered, or a parameter of an interface or
    /// abstract type that is not a registered service — the SDK then publishes it as an argument (a service whose registration was
    /// forgotten becomes a required "store" object in the input schema), which JSON cannot create. Every call would fail.
    /// </summary>
    internal static void CheckParametersCanBeBound(McpServerOptions server, IServiceProviderIsService? services)
    {
        if (services is null)
        {
            return;
        }

        var unbindable = Primitives(server, tools: true)
            .Select(item => (item.Kind, item.Name, Method: item.Metadata.OfType<System.Reflection.MethodInfo>().FirstOrDefault(),
                Serializer: item.Metadata.OfType<ToolSource>().FirstOrDefault()?.SerializerOptions ?? ModelContextProtocol.McpJsonUtilities.DefaultOptions))
            .SelectMany(item => (item.Method?.GetParameters() ?? [])
                .Select(p => (Parameter: p, Problem: BindingProblem(p, services, item.Serializer)))
                .Where(p => p.Problem is not null)
                .Select(p => $"The {item.Kind} '{item.Name}' ({item.Method!.DeclaringType?.Name}.{item.Method.Name}) takes the parameter '{p.Parameter.Name}' of type {DisplayName(p.Parameter.ParameterType)}, {p.Problem}"))
            .ToArray();
        if (unbindable.Length > 0)
        {
            throw new InvalidOperationException(
                $"{string.Join("; ", unbindable)}. Register the service (builder.Services.AddScoped<IService, Service>(), or AddKeyedScoped for a keyed one) " +
                "to have it injected, or give an argument a concrete type.");
        }

        static string? BindingProblem(System.Reflection.ParameterInfo parameter, IServiceProviderIsService services, JsonSerializerOptions serializer)
        {
            var type = parameter.ParameterType;
            if (parameter.HasDefaultValue || type == typeof(CancellationToken) || type == typeof(IServiceProvider) || type == typeof(Microsoft.Extensions.AI.AIFunctionArguments)
                || type == typeof(McpServer) || type == typeof(System.Security.Claims.ClaimsPrincipal) || type == typeof(IProgress<ModelContextProtocol.ProgressNotificationValue>)
                || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(RequestContext<>)))
            {
                return null;
            }

            if (parameter.GetCustomAttributes(typeof(FromKeyedServicesAttribute), inherit: false).FirstOrDefault() is FromKeyedServicesAttribute keyed)
            {
                return services is IServiceProviderIsKeyedService keyedServices && !keyedServices.IsKeyedService(type, keyed.Key)
                    ? $"the service keyed '{keyed.Key}', which is not registered"
                    : null;
            }

            if ((!type.IsInterface && !type.IsAbstract) || services.IsService(type) || IsHttpType(type))
            {
                return null;
            }

            // The serializer can create collection interfaces (IReadOnlyList<T>, IDictionary<K, V>), polymorphic base types and
            // types with a converter; not another interface or abstract class.
            System.Text.Json.Serialization.Metadata.JsonTypeInfo info;
            try
            {
                info = serializer.GetTypeInfo(type);
            }
            catch (NotSupportedException)
            {
                return null;
            }

            return info.Kind == System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object && info.CreateObject is null && info.PolymorphismOptions is null
                ? "which is not a registered service, so the SDK asks the caller to send it as an argument, and JSON cannot create an " + (type.IsInterface ? "interface" : "abstract class")
                : null;
        }
    }

    /// <summary>
    /// Why <see cref="ActivatorUtilities"/> — which the SDK and McpServices create handler classes with — could not create the type
    /// from the request's services, or <see langword="null"/> when it can: it uses the constructor marked
    /// <see cref="ActivatorUtilitiesConstructorAttribute"/>, or else any public constructor whose parameters are all services
    /// (or have default values). A request's services also supply the MCP SDK's own: the server, the request context, progress
    /// and the caller.
    /// </summary>
    private static string? ConstructionProblem(Type type, IServiceProviderIsService services)
    {
        var constructors = type.GetConstructors();
        if (constructors.Length == 0)
        {
            return "it has no public constructor.";
        }

        var marked = constructors.Where(c => c.IsDefined(typeof(ActivatorUtilitiesConstructorAttribute), inherit: false)).ToArray();
        var missing = (marked.Length == 1 ? marked : constructors)
            .Select(c => c.GetParameters().Where(p => !CanSupply(p)).ToArray())
            .OrderBy(m => m.Length)
            .First();
        return missing.Length == 0
            ? null
            : $"its constructor needs {string.Join(", ", missing.Select(Describe))}, which {(missing.Length == 1 ? "is" : "are")} not registered.";

        static string Describe(System.Reflection.ParameterInfo parameter) =>
            parameter.GetCustomAttributes(typeof(FromKeyedServicesAttribute), inherit: false).FirstOrDefault() is FromKeyedServicesAttribute keyed
                ? $"{DisplayName(parameter.ParameterType)} {parameter.Name} (the service keyed '{keyed.Key}')"
                : $"{DisplayName(parameter.ParameterType)} {parameter.Name}";

        bool CanSupply(System.Reflection.ParameterInfo parameter)
        {
            var parameterType = parameter.ParameterType;
            if (parameter.HasDefaultValue || parameterType == typeof(McpServer) || parameterType == typeof(System.Security.Claims.ClaimsPrincipal)
                || parameterType == typeof(IProgress<ModelContextProtocol.ProgressNotificationValue>)
                || (parameterType.IsGenericType && parameterType.GetGenericTypeDefinition() == typeof(RequestContext<>)))
            {
                return true;
            }

            return parameter.GetCustomAttributes(typeof(FromKeyedServicesAttribute), inherit: false).FirstOrDefault() is FromKeyedServicesAttribute keyed
                ? services is IServiceProviderIsKeyedService keyedServices && keyedServices.IsKeyedService(parameterType, keyed.Key)
                : services.IsService(parameterType);
        }
    }

    private static string DisplayName(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(DisplayName))}>"
        : type.Name;

    /// <summary>The server's tools (when asked), resources, resource templates and prompts: what kind, their name, their metadata.</summary>
    private static IEnumerable<(string Kind, string Name, IReadOnlyList<object> Metadata)> Primitives(McpServerOptions server, bool tools) =>
        (tools ? (server.ToolCollection ?? []).Select(t => (Kind: "tool", t.ProtocolTool.Name, t.Metadata)) : [])
            .Concat((server.ResourceCollection ?? []).Select(r => (Kind: r.IsTemplated ? "resource template" : "resource", r.ProtocolResourceTemplate.Name, r.Metadata)))
            .Concat((server.PromptCollection ?? []).Select(p => (Kind: "prompt", p.ProtocolPrompt.Name, p.Metadata)));

    /// <summary>Configured redaction paths for every tool that no tool's arguments can have (a warning: clients may send more).</summary>
    internal static IEnumerable<string> UnmatchedRedactPaths(McpServiceOptions options, ToolCatalog catalog) =>
        options.Audit.RedactPaths.Where(path => Redaction.ParseConfigured(path) is { Tool: null } parsed
            && !catalog.Tools.Any(tool => Redaction.CanMatch(tool.ProtocolTool.InputSchema, parsed.Segments)));

    private static string ArgumentNames(ToolDescriptor tool) =>
        tool.ProtocolTool.InputSchema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? string.Join(", ", properties.EnumerateObject().Select(p => p.Name)) is { Length: > 0 } names ? names : "none"
            : "none";

    [LoggerMessage(58, LogLevel.Warning, "McpService:Audit:RedactPaths {Paths} match no argument of any tool: they redact only arguments that clients send beyond the tools' schemas. Check their spelling (a path is argument and property names separated by '.', '*' for any property or array index, '**' for any number of them).")]
    private static partial void LogUnmatchedRedactPaths(ILogger logger, string paths);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
