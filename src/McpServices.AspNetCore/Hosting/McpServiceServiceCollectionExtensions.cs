using McpServices.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Server;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds an MCP service to a service collection.</summary>
public static class McpServiceServiceCollectionExtensions
{
    /// <summary>
    /// Adds the services of a governed MCP service: Streamable HTTP transport (stateless by default), the tool-call pipeline
    /// (argument validation, error mapping, graceful drain), health checks and self-description.
    /// Options are bound from the <c>McpService</c> configuration section; configuration overrides values set in <paramref name="configure"/>.
    /// Map the endpoints with <c>app.MapMcpService()</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets option defaults in code.</param>
    /// <returns>A builder to add tools with <c>WithTools&lt;T&gt;()</c>.</returns>
    public static IMcpServiceBuilder AddMcpService(this IServiceCollection services, Action<McpServiceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        // WebApplicationBuilder registers its configuration as an instance; the generic host (an application with a Startup
        // class) registers a factory, but its context, with the application's configuration, as an instance.
        var configuration = services.LastOrDefault(d => d.ServiceType == typeof(IConfiguration))?.ImplementationInstance as IConfiguration
            ?? (services.LastOrDefault(d => d.ServiceType == typeof(HostBuilderContext))?.ImplementationInstance as HostBuilderContext)?.Configuration;
        LogLevelDefaults.AddAsFilterRules(services);
        return AddMcpServiceCore(services, configure, configuration);
    }

    /// <summary>The registration shared by both entry points; <paramref name="configuration"/> decides what must be known before the container is built (OTLP exporters).</summary>
    internal static IMcpServiceBuilder AddMcpServiceCore(IServiceCollection services, Action<McpServiceOptions>? configure, IConfiguration? configuration)
    {
        var builder = new McpServiceBuilder(services);
        StartupErrors.Register();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(McpServiceMarker)))
        {
            return builder;
        }

        if (services.Any(d => d.ServiceType.FullName == "ModelContextProtocol.AspNetCore.AuthorizationFiltersMarker"))
        {
            throw new InvalidOperationException("AddMcpService() cannot be combined with the MCP SDK's AddAuthorizationFilters(): McpServices authorizes tool calls itself, so that refused calls are audited and answered with the MCP specification's challenges. Remove the AddAuthorizationFilters() call.");
        }

        services.AddSingleton<McpServiceMarker>();
        // Bound like BindConfiguration(), but a value that cannot be converted is a configuration error that names the setting.
        // No change-token source: McpServiceSettings applies reloads, and rejects an invalid one as a whole. (With one, the options
        // monitor that ValidateOnStart creates would rebuild the options on every reload and throw an invalid reload at its caller.)
        services.AddOptions<McpServiceOptions>()
            .Configure<IConfiguration>((options, configuration) => ConfigurationBinding.Bind(configuration.GetSection(McpServiceOptions.SectionName), options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<McpServiceOptions>, McpServiceOptionsSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<McpServiceOptions>, McpServiceOptionsValidator>());

        services.AddHttpContextAccessor();
        services.AddRouting(); // WebApplication adds it; a host with a Startup class has it only from other features (AddControllers)
        services.TryAddSingleton<McpServiceSettings>();
        services.TryAddSingleton<ServiceIdentity>();
        services.TryAddSingleton<ToolCatalog>(sp => new ToolCatalog(sp.GetServices<McpServerTool>(), sp));
        services.TryAddSingleton<ShutdownCoordinator>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownCoordinator>());
        services.TryAddSingleton<ToolCallCompletion>();
        services.TryAddSingleton<ToolCallPipeline>();
        services.TryAddSingleton<McpMethodCatalog>();
        services.TryAddSingleton<RepeatedRefusals>();
        services.TryAddSingleton<McpRequestGate>();
        // First, so that its middleware is outermost: in front of the web host's own (host filtering for AllowedHosts, forwarded
        // headers), which startup filters registered earlier put before the application's.
        services.Insert(0, ServiceDescriptor.Transient<IStartupFilter, ApplicationRefusals>());
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, McpServiceMappingCheck>());
        services.TryAddSingleton<ServiceDescriber>();
        services.AddDataProtection();
        services.TryAddSingleton<IMcpRequestStateProtector, McpRequestStateProtector>();
        AddAuthenticationAndAuthorization(services);
        // Settings that shape the container (which OpenTelemetry readers exist) are read here: from configuration, else from code.
        var inCode = new McpServiceOptions();
        configure?.Invoke(inCode);
        AddAuditAndTelemetry(services, configuration, inCode.Telemetry.Prometheus);

        // The SDK: Streamable HTTP, session mode from McpService:SessionMode. McpServices' own setup must run after the SDK's
        // so that the tool-call pipeline is the outermost filter.
        services.AddMcpServer().WithHttpTransport();
        services.AddOptions<HttpServerTransportOptions>().Configure<IOptions<McpServiceOptions>>((transport, service) => transport.SessionMode = service.Value.SessionMode);
        services.TryAddSingleton<StatefulSessions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HttpServerTransportOptions>, StatefulSessions.Setup>());
        services.AddSingleton<IPostConfigureOptions<ModelContextProtocol.Server.McpServerOptions>, McpServerOptionsSetup>();
        // The SDK's options, built once: a stateless request's server gets a copy instead of options built anew (McpServerOptionsProvider).
        services.TryAddSingleton<McpServerOptionsProvider>();
        services.TryAddSingleton<IOptions<McpServerOptions>>(sp => sp.GetRequiredService<McpServerOptionsProvider>());
        services.TryAddSingleton<IOptionsFactory<McpServerOptions>>(sp => sp.GetRequiredService<McpServerOptionsProvider>());

        services.AddHealthChecks()
            .AddCheck<McpServiceReadinessCheck>(McpServiceReadinessCheck.Name, tags: ["ready"])
            .AddCheck<AuditReadinessCheck>(AuditReadinessCheck.Name, tags: ["ready"])
            .AddCheck<IdentityProviderHealthCheck>(IdentityProviderHealthCheck.Name, tags: ["ready"])
            .AddCheck<AuditWriterLivenessCheck>(AuditWriterLivenessCheck.Name, tags: [AuditWriterLivenessCheck.LiveTag]);

        // Shutdown must outlast the drain, or the host would cut in-flight calls short.
        services.AddOptions<HostOptions>().Configure<IOptions<McpServiceOptions>>((host, service) =>
        {
            var needed = service.Value.DrainTimeout + TimeSpan.FromSeconds(5);
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });

        // Logs go to stderr so that stdout carries only machine-readable output (the self-description, the audit trail).
        services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = Logging.LogLevel.Trace);

        if (ServiceCommand.FromCommandLine() is { } command)
        {
            services.AddSingleton<IHostLifetime>(sp => new CommandHostLifetime(sp, command));
        }

        return builder;
    }

    private static void AddAuthenticationAndAuthorization(IServiceCollection services)
    {
        services.TryAddSingleton<ApiKeyStore>();
        services.TryAddSingleton<AcceptedCredentials>();
        services.TryAddSingleton<ResourceUrls>();
        services.TryAddSingleton<SigningKeyRefresh>();
        services.TryAddSingleton<TokenValidationCache>();
        services.TryAddSingleton<IdentityProviderStatus>();
        services.AddHostedService<IdentityProviderWarmUp>();
        services.TryAddSingleton<ToolAuthorizer>();
        services.TryAddSingleton<PrimitiveAuthorizer>();
        services.TryAddSingleton<ToolRateLimiter>();
        services.TryAddSingleton<ProtectedResourceMetadata>();
        services.AddHostedService<McpServiceStartupCheck>();
        services.AddAuthorization(o => o.AddPolicy(McpEndpointPolicy.Name, McpEndpointPolicy.Policy));

        var authentication = services.AddAuthentication();
        AddBearerScheme(services);
        authentication.AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(McpServiceAuthenticationDefaults.ApiKeyScheme, "API key", configureOptions: null);
        authentication.AddPolicyScheme(McpServiceAuthenticationDefaults.Scheme, "MCP caller", o => o.ForwardDefaultSelector = context =>
        {
            var header = context.RequestServices.GetRequiredService<McpServiceSettings>().Current.Authentication.ApiKeyHeader;
            return ApiKeyAuthenticationHandler.ReadKey(context.Request.Headers, header) is not null
                ? McpServiceAuthenticationDefaults.ApiKeyScheme
                : McpServiceAuthenticationDefaults.BearerScheme;
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<JwtBearerOptions>, JwtBearerSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<JwtBearerOptions>, DevelopmentJwtSettingsReload>());

        // An application without a default scheme of its own authenticates with McpServices everywhere (HttpContext.User is set)
        // — unless McpServices authentication is off, when no request should pay for an authentication that decides nothing. An
        // application with exactly one scheme of its own and no default relied on ASP.NET Core making that scheme the default
        // (which it does only while it is the only scheme): it stays the default, so that its endpoints keep authenticating as
        // before; the HTTP stage authenticates MCP calls with McpServices' scheme either way.
        services.AddOptions<AuthenticationOptions>().PostConfigure<IOptions<McpServiceOptions>>((o, mcp) =>
        {
            if (!mcp.Value.Authentication.Enabled || o.DefaultScheme is not null || o.DefaultAuthenticateScheme is not null || o.DefaultChallengeScheme is not null)
            {
                return;
            }

            var applicationSchemes = o.Schemes.Where(s => s.Name is not (McpServiceAuthenticationDefaults.Scheme or McpServiceAuthenticationDefaults.ApiKeyScheme)
                && !(s.Name == McpServiceAuthenticationDefaults.BearerScheme && s.DisplayName == BearerSchemeDisplayName)).ToList();
            o.DefaultScheme = applicationSchemes.Count == 1 ? applicationSchemes[0].Name : McpServiceAuthenticationDefaults.Scheme;
        });
    }

    /// <summary>Marks the <c>Bearer</c> scheme as McpServices' own, as opposed to an application's of the same name.</summary>
    private const string BearerSchemeDisplayName = "MCP caller (JWT bearer)";

    /// <summary>
    /// Adds the JWT bearer scheme MCP callers authenticate with (<see cref="McpServiceAuthenticationDefaults.BearerScheme"/>,
    /// configured from <c>Authentication:Schemes:Bearer</c>) — unless the application registers a scheme of that name itself,
    /// before or after this call: then McpServices uses the application's. The scheme is added once all other registrations are
    /// known (a post-configuration of <see cref="AuthenticationOptions"/>), because an application with JWT schemes of other names
    /// keeps them for its own endpoints, and two registrations of one name would fail.
    /// </summary>
    private static void AddBearerScheme(IServiceCollection services)
    {
        // JwtBearer's own options setup (binding Authentication:Schemes:<name>, deriving validation from Authority and Audience),
        // taken from a registration of a scheme of another name so that no scheme named Bearer is added here.
        var jwtServices = new ServiceCollection();
        jwtServices.AddAuthentication().AddJwtBearer("McpServices.JwtBearerServices");
        foreach (var descriptor in jwtServices)
        {
            if (descriptor.ServiceType.IsConstructedGenericType && descriptor.ServiceType.GenericTypeArguments[0] == typeof(JwtBearerOptions) && descriptor.ImplementationType is not null)
            {
                services.TryAddEnumerable(descriptor);
            }
        }

        services.TryAddTransient<JwtBearerHandler>();
        services.AddOptions<AuthenticationOptions>().PostConfigure(o =>
        {
            if (!o.SchemeMap.ContainsKey(McpServiceAuthenticationDefaults.BearerScheme))
            {
                o.AddScheme(McpServiceAuthenticationDefaults.BearerScheme, scheme =>
                {
                    scheme.HandlerType = typeof(JwtBearerHandler);
                    scheme.DisplayName = BearerSchemeDisplayName;
                });
            }
        });
    }

    private static void AddAuditAndTelemetry(IServiceCollection services, IConfiguration? configuration, bool prometheusInCode)
    {
        services.AddMetrics();
        services.TryAddSingleton<McpServiceMetrics>();
        services.TryAddSingleton<ToolCallTracing>();
        services.TryAddSingleton<AuditSinkFactory>();
        services.TryAddSingleton<AuditTrail>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditTrail>());

        // Observers see every completed call: metrics and tracing first, then the audit trail.
        services.AddSingleton<IToolCallObserver>(sp => sp.GetRequiredService<McpServiceMetrics>());
        services.AddSingleton<IToolCallObserver>(sp => sp.GetRequiredService<ToolCallTracing>());
        services.AddSingleton<IToolCallObserver>(sp => sp.GetRequiredService<AuditTrail>());

        McpServiceTelemetry.Add(services, configuration, prometheusInCode);
    }
}
