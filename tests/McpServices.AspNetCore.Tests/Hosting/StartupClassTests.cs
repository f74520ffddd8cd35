using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
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
            var endpoint = new Uri(new Uri(host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()), "mcp");
            await using var client = await McpClient.CreateAsync(new HttpClientTransport(new() { Endpoint = endpoint }), cancellationToken: ct);

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

    private static IHost Build(McpTestAuditSink audit, Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder> endpoints) =>
        Host.CreateDefaultBuilder()
            .UseEnvironment("Testing")
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
