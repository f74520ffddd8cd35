using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;
using McpServices.AspNetCore;

namespace McpServices.Testing;

/// <summary>
/// Runs an MCP service in-process on real Kestrel at <c>127.0.0.1</c> on a free port, for tests.
/// </summary>
/// <example>
/// <code>
/// await using var server = await McpTestServer.StartAsync(builder => builder.AddMcpService().WithTools&lt;InventoryTools&gt;());
/// await using var client = await server.ConnectAsync();
/// var tools = await client.ListToolsAsync();
/// </code>
/// </example>
public sealed class McpTestServer : IAsyncDisposable
{
    private bool _stopped;

    private McpTestServer(WebApplication app, Uri baseAddress, string mcpPath, McpTestAuditSink audit)
    {
        App = app;
        Audit = audit;
        BaseAddress = baseAddress;
        McpEndpoint = new Uri(baseAddress, mcpPath);
    }

    /// <summary>Gets the running application.</summary>
    public WebApplication App { get; }

    /// <summary>Gets the service's audit records.</summary>
    public McpTestAuditSink Audit { get; }

    /// <summary>Gets the application's services.</summary>
    public IServiceProvider Services => App.Services;

    /// <summary>Gets the server's base address, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Gets the absolute URL of the MCP endpoint.</summary>
    public Uri McpEndpoint { get; }

    /// <summary>
    /// Builds and starts a service. <paramref name="configureServices"/> adds the service (for example
    /// <c>builder.AddMcpService().WithTools&lt;T&gt;()</c>); <paramref name="configureApp"/> maps endpoints and defaults to <c>app.MapMcpService()</c>.
    /// The environment is <c>Testing</c>, the service name <c>test-service</c> and version <c>1.0.0</c> unless configuration says otherwise.
    /// It returns when the service is ready, as a Kubernetes readiness probe would see it (at most ten seconds after it started).
    /// </summary>
    /// <param name="configureServices">Configures the application builder.</param>
    /// <param name="configureApp">Configures the built application; <see langword="null"/> maps the MCP service.</param>
    /// <param name="environmentName">The host environment name.</param>
    /// <param name="cancellationToken">Cancels startup.</param>
    /// <returns>The started server; dispose it to stop.</returns>
    public static async Task<McpTestServer> StartAsync(
        Action<WebApplicationBuilder> configureServices,
        Action<WebApplication>? configureApp = null,
        string environmentName = "Testing",
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configureServices);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environmentName, Args = [] });
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
            },
        });
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));

        // Defaults registered first: code in configureServices and the McpService configuration section both override them.
        // Audit records go to an in-memory sink instead of the console.
        var audit = new McpTestAuditSink();
        builder.Services.AddSingleton<IAuditSink>(audit);
        builder.Services.Configure<McpServiceOptions>(o =>
        {
            o.Name = "test-service";
            o.Version = "1.0.0";
            o.Audit.Sinks = ["none"];
        });
        configureServices(builder);
        builder.Services.PostConfigure<McpServiceOptions>(NameLoopbackHosts);

        var app = builder.Build();
        if (configureApp is null)
        {
            app.MapMcpService();
        }
        else
        {
            configureApp(app);
        }

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        await WaitUntilReadyAsync(app.Services, cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var path = app.Services.GetService<IOptions<McpServiceOptions>>()?.Value.Path ?? "/mcp";
        return new McpTestServer(app, new Uri(address.EndsWith('/') ? address : address + "/"), path.TrimStart('/'), audit);
    }

    /// <summary>
    /// Waits, as a Kubernetes readiness probe would before sending traffic, until the readiness checks (those of <c>/readyz</c>)
    /// no longer report <c>Unhealthy</c> — a service still reading its identity provider's keys at startup does — for at most
    /// ten seconds; a service that is still not ready then is returned as it is, for tests of that state.
    /// </summary>
    internal static async Task WaitUntilReadyAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (services.GetService<HealthCheckService>() is not { } health)
        {
            return;
        }

        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while ((await health.CheckHealthAsync(cancellationToken).ConfigureAwait(false)).Status == HealthStatus.Unhealthy && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The server listens on the loopback address only. A service that names neither its resource URL nor its host names gets
    /// the loopback names as its allowed hosts, so that bearer tokens can be checked outside Development (a service must not
    /// take its resource URL from whatever Host header a caller sends; see McpService:Authentication:Resource).
    /// </summary>
    internal static void NameLoopbackHosts(McpServiceOptions options)
    {
        if (options.AllowedHosts.Length == 0 && string.IsNullOrWhiteSpace(options.Authentication.Resource))
        {
            options.AllowedHosts = ["127.0.0.1", "localhost"];
        }
    }

    /// <summary>Creates an <see cref="HttpClient"/> whose base address is the server's.</summary>
    /// <returns>A new client; the caller disposes it.</returns>
    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress };

    /// <summary>Connects the MCP SDK's client to the service.</summary>
    /// <param name="options">Token, pinned protocol version and headers; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>A connected client; dispose it to disconnect.</returns>
    public Task<McpClient> ConnectAsync(McpTestClientOptions? options = null, CancellationToken cancellationToken = default) =>
        McpTestClient.ConnectAsync(McpEndpoint, options, cancellationToken);

    /// <summary>Stops the service gracefully (in-flight calls drain as in production).</summary>
    /// <param name="cancellationToken">Abandons the graceful stop.</param>
    /// <returns>A task that completes when the service has stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await App.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await App.DisposeAsync().ConfigureAwait(false);
        }
    }
}
