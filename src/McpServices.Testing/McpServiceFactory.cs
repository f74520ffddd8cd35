using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;
using McpServices.AspNetCore;

namespace McpServices.Testing;

/// <summary>
/// Runs a service's real <c>Program</c> in-process on real Kestrel at <c>127.0.0.1</c> on a free port, for tests of a whole service.
/// Subclass it and override <see cref="ConfigureWebHost"/> (calling the base) to replace services or configuration: a factory
/// made by <see cref="WebApplicationFactory{TEntryPoint}.WithWebHostBuilder"/> is a plain <see cref="WebApplicationFactory{TEntryPoint}"/>,
/// without <see cref="ConnectAsync"/>, <see cref="McpEndpoint"/> or <see cref="Audit"/>.
/// </summary>
/// <typeparam name="TEntryPoint">A type in the service's entry assembly, usually <c>Program</c>.</typeparam>
/// <example>
/// <code>
/// await using var factory = new McpServiceFactory&lt;Program&gt;();
/// await using var client = await factory.ConnectAsync();
/// var tools = await client.ListToolsAsync();
/// </code>
/// </example>
public class McpServiceFactory<TEntryPoint> : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    /// <summary>Initializes a new instance that listens on a free loopback port.</summary>
    public McpServiceFactory()
    {
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>Gets the service's audit records: they go here instead of the sinks the service configures (stdout, file, OTLP); sinks it registers in code (<c>WithAuditSink&lt;T&gt;()</c>) still receive them.</summary>
    public McpTestAuditSink Audit { get; } = new();

    /// <summary>Gets or sets the host environment name the service runs in.</summary>
    /// <value>The default value is <c>Testing</c>.</value>
    public string EnvironmentName { get; set; } = "Testing";

    /// <summary>Gets the server's base address, starting the server if needed.</summary>
    public Uri BaseAddress
    {
        get
        {
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address.EndsWith('/') ? address : address + "/");
        }
    }

    /// <summary>Gets the absolute URL of the MCP endpoint, starting the server if needed.</summary>
    public Uri McpEndpoint => new(BaseAddress, Services.GetRequiredService<IOptions<McpServiceOptions>>().Value.Path.TrimStart('/'));

    /// <summary>Connects the MCP SDK's client to the service, starting the server if needed.</summary>
    /// <param name="options">Token, pinned protocol version and headers; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>A connected client; dispose it to disconnect.</returns>
    public Task<McpClient> ConnectAsync(McpTestClientOptions? options = null, CancellationToken cancellationToken = default) =>
        McpTestClient.ConnectAsync(McpEndpoint, options, cancellationToken);

    /// <summary>Creates an <see cref="HttpClient"/> for the real server (not the in-memory test server).</summary>
    /// <returns>A new client; the caller disposes it.</returns>
    public HttpClient CreateLoopbackClient() => new() { BaseAddress = BaseAddress };

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseEnvironment(EnvironmentName);
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<IAuditSink>(Audit);
            services.PostConfigure<McpServiceOptions>(o =>
            {
                // The built-in sinks the service configures would write files into the project folder or export to a collector
                // that tests do not run (and a failing sink makes a fail-closed trail refuse calls): the records go to Audit.
                o.Audit.Sinks = ["none"];
                McpTestServer.NameLoopbackHosts(o);
            });
        });
        base.ConfigureWebHost(builder);
    }

    /// <inheritdoc />
    /// <remarks>The server is returned once it is ready, as <see cref="McpTestServer.StartAsync"/> returns it (at most ten seconds).</remarks>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        McpTestServer.WaitUntilReadyAsync(host.Services, CancellationToken.None).GetAwaiter().GetResult();
        return host;
    }
}
