using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Hosting;

/// <summary>
/// Applications that predate <c>WebApplication</c> host with a <c>Startup</c> class: <c>services.AddMcpService()</c> in
/// <c>ConfigureServices</c>, <c>MapMcpService()</c> inside <c>UseEndpoints</c> in <c>Configure</c> — which the web host runs
/// when it starts, after the hosted services' <c>StartingAsync</c>. Such an application failed to start, told that
/// <c>MapMcpService()</c> was not called.
/// </summary>
public sealed class StartupClassTests
{
    [Fact]
    public async Task AServiceHostedWithAStartupClass_StartsAndServesGovernedCalls()
    {
        var ct = TestContext.Current.CancellationToken;
        var audit = new McpTestAuditSink();
        using var host = Build(audit, endpoints => endpoints.MapMcpService());

        await host.StartAsync(ct);
        try
        {
            await using var client = await McpClient.CreateAsync(new HttpClientTransport(new() { Endpoint = new Uri(Address(host), "mcp") }), cancellationToken: ct);

            var result = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 40, ["b"] = 2 }, cancellationToken: ct);
            var invalid = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = "forty" }, cancellationToken: ct);

            Assert.Equal("42", Assert.IsType<TextContentBlock>(result.Content.Single()).Text);
            Assert.True(invalid.IsError);
            await audit.WaitForAsync(_ => audit.Records.Count == 2, cancellationToken: ct);
            Assert.Equal(["succeeded", "invalid"], audit.Records.Select(r => r.Outcome));
        }
        finally
        {
            await host.StopAsync(ct);
        }
    }

    [Fact]
    public async Task AStartupClassThatDoesNotMapTheService_StillFailsNamingTheMissingCall()
    {
        using var host = Build(new McpTestAuditSink(), endpoints => endpoints.MapGet("/api/orders", () => "orders"));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.StartsWith("builder.AddMcpService() was called, but app.MapMcpService() was not", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStartupClassWhoseEndpointsClashWithTheService_FailsNamingTheSetting()
    {
        using var host = Build(new McpTestAuditSink(), endpoints =>
        {
            endpoints.MapGet("/livez", () => "ok").WithDisplayName("orders liveness");
            endpoints.MapMcpService();
        });

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal("McpServiceConfigurationException", ex.GetType().Name);
        Assert.Contains("the application maps its own endpoint at '/livez' (orders liveness), where McpServices maps its liveness endpoint", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStartupClassApplication_ReadsTheSettingsThatShapeTelemetry_FromItsConfiguration()
    {
        // Which OpenTelemetry readers and exporters exist is decided when the services are added: with a Startup class, the
        // configuration is not yet a service instance then, and McpService:Telemetry:Prometheus in appsettings.json was ignored.
        var ct = TestContext.Current.CancellationToken;
        using var host = Build(new McpTestAuditSink(), endpoints => endpoints.MapMcpService(), new() { ["McpService:Telemetry:Prometheus"] = "true" });

        await host.StartAsync(ct);
        try
        {
            var address = Address(host);
            await using (var client = await McpClient.CreateAsync(new HttpClientTransport(new() { Endpoint = new Uri(address, "mcp") }), cancellationToken: ct))
            {
                await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 40, ["b"] = 2 }, cancellationToken: ct);
            }

            using var http = new HttpClient { BaseAddress = address };
            using var metrics = await http.GetAsync("metrics", ct);
            Assert.Equal(System.Net.HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("mcpservices_tool_calls_total{", await metrics.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync(ct);
        }
    }

    [Fact]
    public void AStartupClassApplication_GetsTheLogLevelDefaults_UnlessItsConfigurationSetsThem()
    {
        // The SDK logs every JSON-RPC error a handler returns — McpServices' refusals: rate-limited, denied, invalid params — as a
        // tool that "threw an unhandled exception", with a stack trace. builder.AddMcpService() quiets it with configuration
        // defaults; services.AddMcpService() had no configuration to add them to, and every refusal was logged as a failure.
        using var defaults = Build(new McpTestAuditSink(), endpoints => endpoints.MapMcpService());
        using var configured = Build(new McpTestAuditSink(), endpoints => endpoints.MapMcpService(), new()
        {
            ["Logging:LogLevel:ModelContextProtocol.Server.McpServer"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore.Routing"] = "Information",
        });

        static ILogger Logger(IHost host, string category) => host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(category);
        Assert.False(Logger(defaults, "ModelContextProtocol.Server.McpServer").IsEnabled(LogLevel.Error));
        Assert.False(Logger(defaults, "ModelContextProtocol.Client").IsEnabled(LogLevel.Information));
        Assert.True(Logger(defaults, "ModelContextProtocol.Client").IsEnabled(LogLevel.Warning));
        Assert.False(Logger(defaults, "Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
        Assert.False(Logger(defaults, "Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Information));
        Assert.True(Logger(configured, "ModelContextProtocol.Server.McpServer").IsEnabled(LogLevel.Debug));
        Assert.True(Logger(configured, "Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Information));
    }

    /// <summary>The address Kestrel listens on (port 0: one the system chose).</summary>
    private static Uri Address(IHost host) => new(host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

    private static IHost Build(McpTestAuditSink audit, Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder> endpoints, Dictionary<string, string?>? settings = null) =>
        Host.CreateDefaultBuilder()
            .UseEnvironment("Testing")
            .ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(settings ?? []))
            .ConfigureWebHost(web => web
                .UseKestrel()
                .UseUrls("http://127.0.0.1:0")
                .ConfigureServices(services =>
                {
                    services.AddSingleton<InvocationLog>();
                    services.AddSingleton<IAuditSink>(audit);
                    services.AddMcpService(o =>
                    {
                        TestServer.WithoutAuthentication(o);
                        o.Audit.Sinks = ["none"];
                    }).WithTools<CalculatorTools>();
                })
                .Configure(app =>
                {
                    app.UseRouting();
                    app.UseEndpoints(endpoints);
                }))
            .Build();
}
