using System.Net;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore.Tests.Hosting;

public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Inventory_Service", "McpService:Name 'Inventory_Service' is not a valid service name")]
    [InlineData("-inventory", "McpService:Name '-inventory'")]
    [InlineData("2fa-codes", "McpService:Name '2fa-codes' is not a valid service name. Use 1-63 lowercase letters, digits or '-', starting with a letter")]
    [InlineData("inventory-", "McpService:Name 'inventory-'")]
    public async Task InvalidName_FailsStartup_NamingTheSetting(string name, string expected)
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.Name = name));

        Assert.Contains(expected, ex.Message);
        Assert.Contains("AddMcpService(o => o.Name = ...)", ex.Message);
    }

    [Fact]
    public async Task InvalidVersion_FailsStartup_NamingTheFix()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.Version = "1.0"));

        Assert.Contains("McpService:Version '1.0' is not a SemVer 2.0 version", ex.Message);
        Assert.Contains("<Version>", ex.Message);
    }

    [Fact]
    public async Task InvalidPathsAndLimits_FailStartup_ListingEveryProblem()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
        {
            o.Path = "mcp";
            o.MaxRequestBodySize = 0;
            o.AllowedOrigins = ["https://ok.example.com/path"];
            o.DrainTimeout = TimeSpan.FromHours(1);
        }));

        Assert.Contains("McpService:Path 'mcp' is not a valid path", ex.Message);
        Assert.Contains("McpService:MaxRequestBodySize", ex.Message);
        Assert.Contains("McpService:AllowedOrigins contains 'https://ok.example.com/path'", ex.Message);
        Assert.Contains("McpService:DrainTimeout", ex.Message);

        // What an operator sees when this ends the process: every failure on its own line, nothing else.
        var lines = StartupErrors.Describe(ex);
        Assert.NotNull(lines);
        Assert.Equal(4, lines.Count);
        Assert.StartsWith("McpService:Path 'mcp' is not a valid path", lines[0]);
    }

    [Fact]
    public async Task HostsWithPortsOrIpv6WithoutBrackets_FailStartup_SayingHowToWriteThem()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
            o.AllowedHosts = ["inventory.example.com:8080", "2001:db8::1", "[2001:db8::2]", "https://tools.example.com"]));

        var lines = StartupErrors.Describe(ex);
        Assert.Equal(
            [
                "McpService:AllowedHosts contains 'inventory.example.com:8080', which is not a host name. Use names without scheme or port, for example 'inventory.example.com' or '*.svc.cluster.local'.",
                "McpService:AllowedHosts contains '2001:db8::1', an IPv6 address without brackets. Write it as a Host header carries it: '[2001:db8::1]'.",
                "McpService:AllowedHosts contains 'https://tools.example.com', which is not a host name. Use names without scheme or port, for example 'inventory.example.com' or '*.svc.cluster.local'.",
            ],
            lines);
    }

    [Fact]
    public async Task InvalidRateLimits_FailStartup_NamingEachSetting()
    {
        // A zero period made every call of every limited tool fail (the token bucket refused its options on the first call).
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
        {
            o.RateLimits.Default = new McpRateLimit { PermitsPerPeriod = 10, Period = TimeSpan.Zero };
            o.RateLimits.Tools["add"] = new McpRateLimit { PermitsPerPeriod = -1, Burst = -2 };
            o.RateLimits.Tools["divide"] = new McpRateLimit { PermitsPerPeriod = 0 }; // no limit for this tool: valid
        }));

        Assert.Equal(
            [
                "McpService:RateLimits:Default:Period must be longer than zero and at most one day (1.00:00:00; the default is 00:01:00); it is 00:00:00.",
                "McpService:RateLimits:Tools:add:PermitsPerPeriod must be 0 (no limit) or more; it is -1.",
                "McpService:RateLimits:Tools:add:Burst must be 0 (as many as PermitsPerPeriod) or more; it is -2.",
            ],
            ex.Failures);
    }

    [Fact]
    public async Task SettingsThatWouldWeakenOrSilentlyBreakProtection_FailStartup_NamingEachSetting()
    {
        // Each of these started before: a ten-day clock skew accepted long-expired tokens, a scope with a space could never be
        // granted, a redaction path in another syntax redacted nothing, and a negative skew or an empty role claim type crashed
        // with a stack trace.
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o =>
        {
            o.Authentication.ClockSkew = TimeSpan.FromDays(10);
            o.Authentication.RoleClaimType = "";
            o.Authentication.ValidAlgorithms = ["RS256", "none"];
            o.Authentication.AuthorizationServers = ["::bad"];
            o.Authentication.ApiKeysReloadInterval = TimeSpan.Zero;
            o.Authentication.ApiKeyHeader = "Authorization";
            o.Authorization.Tools["read_stock"] = new McpToolAuthorizationOverride { RequiredScopes = ["inventory read"] };
            o.Telemetry.PrometheusPath = "/mcp";
            o.Audit.RedactPaths = ["payment.card", "order.lines[0].card", "read_stock:sku"];
        }, authentication: true));

        Assert.Equal(
            [
                "McpService:Authentication:ClockSkew must be between 00:00:00 and 00:05:00 (the default is 00:00:30): it is how long after expiry a token is still accepted; it is 10.00:00:00.",
                "McpService:Authentication:RoleClaimType must name the claim that carries roles (the default is 'roles').",
                "McpService:Authentication:ValidAlgorithms contains 'none'. Use signing algorithms from: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, HS256, HS384, HS512.",
                "McpService:Authentication:AuthorizationServers contains '::bad', which is not an absolute http(s) URL (the issuer URL of an authorization server, for example 'https://login.example.com/realms/agents').",
                "McpService:Authentication:ApiKeysReloadInterval must be longer than zero and at most 01:00:00 (the default is 00:00:10): it bounds how long a revoked key keeps working; it is 00:00:00.",
                "McpService:Authentication:ApiKeyHeader 'Authorization' is not a header name an API key can use: letters, digits and !#$%&'*+-.^_`|~, not 'Authorization' (keys are accepted there as bearer tokens anyway). The default is 'X-API-Key'.",
                "McpService:Authorization:Tools:read_stock:RequiredScopes contains 'inventory read', which is not a scope: printable ASCII without spaces, quotes or backslashes (scopes are space-delimited in tokens).",
                "McpService:Telemetry:PrometheusPath '/mcp' is already the path of the MCP, liveness or readiness endpoint; use another, such as '/metrics'.",
                "McpService:Audit:RedactPaths contains 'order.lines[0].card', which is not a path: argument and property names separated by '.', '*' for any property or array index, '**' for any number of them, optionally after '<tool>:' (for example 'payment.card', 'create_order:lines.*.card' or '**.password').",
            ],
            ex.Failures);
    }

    [Fact]
    public async Task BearerTokens_InDevelopment_WithoutAnIssuerYet_StartAndRefuseEveryCall_SayingHowToGetAToken()
    {
        // `dotnet new mcp-service`, then `dotnet run`: there is no signing key until `dotnet user-jwts create` makes one. The
        // service starts (its README's first step), refuses every call, and says what to run. Outside Development it does not
        // start (Inventory.Tests' HostingTests).
        var ct = TestContext.Current.CancellationToken;
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b => b.Logging.AddProvider(logs),
            authentication: true,
            trustTestIssuer: false,
            environment: "Development");
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_stock","arguments":{"sku":"A-1"}}}"""), ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        const string Message = "Unauthorized: this service accepts no credential yet: neither a token issuer nor API keys are configured (its log says how to set one up).";
        Assert.Contains(Message, await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        var record = await server.Audit.WaitForToolAsync("read_stock", ct);
        Assert.Equal("denied", record.GetProperty("outcome").GetString());
        Assert.Equal(Message, record.GetProperty("error").GetProperty("message").GetString());
        var warning = Assert.Single(logs.Entries, e => e.EventId.Id == 66);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(
            "No token issuer and no API key are configured, so every call is refused (401). In Development, create a signing key and a token for this service " +
            $"with: dotnet user-jwts create --audience {server.McpEndpoint} --scope inventory:audit --scope inventory:read --scope inventory:write (the running service picks them up). " +
            "Elsewhere, configure Authentication:Schemes:Bearer:Authority (an OpenID Connect authority) or API keys under McpService:Authentication:ApiKeys.",
            warning.Message);
    }

    [Theory]
    [InlineData("http://localhost:5195", "http://localhost:5195/mcp")]
    [InlineData("http://0.0.0.0:8080", "http://localhost:8080/mcp")]
    [InlineData("http://[::]:8080", "http://localhost:8080/mcp")]
    [InlineData("http://+:80", "http://localhost:80/mcp")]
    [InlineData("https://*:5001/", "https://localhost:5001/mcp")]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/mcp")]
    public void TheUserJwtsCommandsAudience_IsTheEndpointOnTheServersAddress_WildcardsCalledOnLocalhost(string address, string expected) =>
        Assert.Equal(expected, McpServiceStartupCheck.DevelopmentEndpoint(address, "/mcp"));

    [Theory]
    [InlineData("Production", true, false)]
    [InlineData("Production", false, true)]
    [InlineData("Development", false, false)]
    public async Task BearerTokens_OutsideDevelopment_StartWithAResourceOrAllowedHosts(string environment, bool resource, bool hosts)
    {
        // Without either, outside Development, startup is refused: Inventory.Tests' HostingTests start a real process for that
        // (this kit names its loopback hosts for a service that names neither).
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o =>
            {
                o.AllowedHosts = hosts ? ["127.0.0.1"] : [];
                o.Authentication.Resource = resource ? "https://inventory.example.com/mcp" : null;
            },
            authentication: true,
            environment: environment);

        Assert.Equal(resource ? [] : hosts ? ["127.0.0.1"] : ["127.0.0.1", "localhost"], server.Services.GetRequiredService<IOptions<McpServiceOptions>>().Value.AllowedHosts);
    }

    [Theory]
    [InlineData("Production", "none")]
    [InlineData("Development", "none")]
    [InlineData("Production", "")]
    public async Task AuditTrailOn_WithNoSink_FailsStartup(string environment, string sink)
    {
        // "none" (or an empty entry, as an unset environment variable gives) and no sink of the application's own: the records
        // would go nowhere while the service reports an audit trail. Turning it off is the explicit, acknowledged way.
        var ex = await Assert.ThrowsAsync<McpServiceConfigurationException>(() => TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b =>
            {
                b.Services.RemoveAll<IAuditSink>();
                b.Configuration["McpService:Audit:Sinks:0"] = sink;
            },
            environment: environment));

        Assert.Equal(
            "The audit trail is on but has no sink: McpService:Audit:Sinks names none of 'stdout', 'file' or 'otlp', and no IAuditSink is registered, " +
            "so the records of tool calls would go nowhere. Name a sink (McpService:Audit:Sinks:0=stdout), register your own with WithAuditSink<T>(), " +
            "or turn the audit trail off with McpService:Audit:Enabled=false (outside Development, with McpService:Audit:AcknowledgeDisabled=true).",
            ex.Message);
    }

    [Fact]
    public async Task MisspelledSettings_FailStartup_NamingEachWithTheSettingMeant()
    {
        // The binder ignores keys it has no property for: "RequiredScope" would leave read_stock callable without the scope.
        var ex = await Assert.ThrowsAsync<McpServiceConfigurationException>(() => TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b =>
            {
                b.Configuration["McpService:Authorization:Tools:read_stock:RequiredScope:0"] = "inventory:admin";
                b.Configuration["McpService:Audit:Sink:0"] = "file";
                b.Configuration["McpService:RateLimits:Default:Permits"] = "10";
                b.Configuration["McpService:Authentication:ApiKeys:ci:Scope:0"] = "inventory:read";
            },
            authentication: true));

        Assert.Equal(
            "Configuration has settings McpServices does not know: McpService:Audit:Sink (did you mean Sinks?); " +
            "McpService:Authentication:ApiKeys:ci:Scope (did you mean Scopes?); McpService:Authorization:Tools:read_stock:RequiredScope (did you mean RequiredScopes?); " +
            "McpService:RateLimits:Default:Permits. A misspelled setting would be ignored, so fix or remove them (the settings are listed in docs/configuration.md).",
            ex.Message);
    }

    [Fact]
    public async Task EverySettingOfTheOptions_IsKnown_InAnyCase()
    {
        // Dictionary keys (tools, API key ids) and list indexes are free; property names match without regard to case.
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b =>
            {
                b.Configuration["mcpservice:authorization:tools:read_stock:requiredscopes:0"] = "inventory:read";
                b.Configuration["McpService:Authorization:Tools:write_stock:Disabled"] = "true";
                b.Configuration["McpService:RateLimits:Tools:read_stock:PermitsPerPeriod"] = "100";
                b.Configuration["McpService:Timeouts:Tools:read_stock"] = "00:00:05";
                b.Configuration["McpService:AllowedOrigins:0"] = "https://agents.example.com";
                b.Configuration["McpService:Audit:Sinks:0"] = "stdout";
                b.Configuration["McpService:Telemetry:Enabled"] = "true";
            },
            authentication: true);

        Assert.Contains("inventory:read", server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<McpServiceOptions>>().Value.Authorization.Tools["read_stock"].RequiredScopes);
    }

    [Fact]
    public void StartupErrors_DescribeOnlyMcpServicesConfigurationErrors()
    {
        var ours = new McpServiceConfigurationException("Set McpService:Audit:AcknowledgeDisabled=true.");
        Assert.Equal(["Set McpService:Audit:AcknowledgeDisabled=true."], StartupErrors.Describe(ours));
        Assert.Equal(["Set McpService:Audit:AcknowledgeDisabled=true.", "McpService:Path is bad."],
            StartupErrors.Describe(new AggregateException(ours, new OptionsValidationException(string.Empty, typeof(McpServiceOptions), ["McpService:Path is bad."]))));

        // Anything else — an application's own options, a code error, a mix — keeps the runtime's full report.
        Assert.Null(StartupErrors.Describe(new OptionsValidationException(string.Empty, typeof(HostOptions), ["not ours"])));
        Assert.Null(StartupErrors.Describe(new InvalidOperationException("a bug")));
        Assert.Null(StartupErrors.Describe(new AggregateException(ours, new InvalidOperationException("a bug"))));
        Assert.Null(StartupErrors.Describe(null));
    }

    [Fact]
    public async Task Configuration_OverridesCodeDefaults()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o => o.Name = "from-code",
            configure: b => b.Configuration["McpService:Name"] = "from-config");
        await using var client = await server.ConnectAsync();

        Assert.Equal("from-config", client.ServerInfo!.Name);
    }

    [Theory]
    [InlineData("Contoso.InventoryAPI", "contoso-inventory-api")]
    [InlineData("Inventory", "inventory")]
    [InlineData("MCPServer2", "mcp-server2")]
    [InlineData("my_service", "my-service")]
    [InlineData("My Service", "my-service")]
    [InlineData("Über", "uber")]
    [InlineData("CaféBar", "cafe-bar")]
    [InlineData("Ærø.Tools", "r-tools")]
    [InlineData("2fa", "mcp-2fa")]
    [InlineData("Contoso.Enterprise.Platform.Agents.InventoryManagement.Service.Api.V2", "contoso-enterprise-platform-agents-inventory-management-service")]
    public void DefaultName_IsApplicationNameInKebabCase_MadeAValidServiceName(string applicationName, string expected)
    {
        // Accents removed, 'mcp-' in front of a leading digit, at most 63 characters (cut at a '-' it then drops).
        Assert.Equal(expected, ServiceNaming.ToServiceName(applicationName));
    }

    [Fact]
    public async Task ApplicationNameWithoutAsciiLettersOrDigits_FailsStartup_AskingForAName()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = "Сервис" });
        builder.AddMcpService().WithTools<CalculatorTools>();
        builder.WebHost.UseUrls("http://127.0.0.1:0");

        // Options are validated when the host is built (its logging resolves the service's identity) or at the latest when it starts.
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = builder.Build();
            app.MapMcpService();
            await app.StartAsync(TestContext.Current.CancellationToken);
        });

        Assert.Contains("McpService:Name is not set, and the application name 'Сервис' gives no default", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapMcpService_WithoutAddMcpService_FailsNamingTheMissingCall()
    {
        var builder = WebApplication.CreateBuilder();
        await using var app = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.MapMcpService());

        Assert.Contains("builder.AddMcpService()", ex.Message);
    }

    [Fact]
    public async Task AddMcpService_WithoutMapMcpService_FailsAtStartupNamingTheMissingCall()
    {
        // The application started and answered 404 on /mcp, with no health endpoints: nothing said why.
        await using var app = BuildWithoutAuthentication();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(
            "builder.AddMcpService() was called, but app.MapMcpService() was not: the service would run without its MCP endpoint, health endpoints and metadata. Call app.MapMcpService() after builder.Build() (with a Startup class: endpoints.MapMcpService() in UseEndpoints).",
            ex.Message);
    }

    [Fact]
    public async Task MapMcpService_CalledTwice_FailsAtTheSecondCall()
    {
        await using var app = BuildWithoutAuthentication();
        app.MapMcpService();

        var ex = Assert.Throws<InvalidOperationException>(() => app.MapMcpService());

        Assert.StartsWith("MapMcpService() was already called", ex.Message);
    }

    [Fact]
    public async Task MapMcpService_OnARouteGroup_FailsNamingThePathSetting()
    {
        // Under a group the endpoint would be at /agents/mcp while the resource URL, the metadata path and the challenges say
        // /mcp: clients could not find the metadata and tokens for the endpoint's real URL would be refused.
        await using var app = BuildWithoutAuthentication();

        var ex = Assert.Throws<InvalidOperationException>(() => app.MapGroup("/agents").MapMcpService());

        Assert.Equal(
            "MapMcpService() maps the MCP endpoint with its metadata and health endpoints at the application's root, so it cannot be called on a route group: " +
            "call app.MapMcpService() and set McpService:Path to put the endpoint under a prefix (for example '/agents/mcp'). Conventions for the MCP endpoint alone can be chained onto the builder it returns.",
            ex.Message);
    }

    private static WebApplication BuildWithoutAuthentication()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddMcpService(TestServer.WithoutAuthentication);
        return builder.Build();
    }
}
