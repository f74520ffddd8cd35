using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace McpServices.AspNetCore.Tests;

/// <summary>Starts McpServices services with the test tool classes on real Kestrel.</summary>
internal static class TestServer
{
    public static Task<McpTestServer> StartAsync(
        Action<IMcpServiceBuilder> tools,
        Action<McpServiceOptions>? options = null,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? configureApp = null)
    {
        return McpTestServer.StartAsync(
            builder =>
            {
                builder.Services.AddSingleton<InvocationLog>();
                builder.Services.AddSingleton<CallGate>();
                configure?.Invoke(builder);
                tools(builder.AddMcpService(options));
            },
            configureApp,
            cancellationToken: TestContext.Current.CancellationToken);
    }

    public static InvocationLog Log(this McpTestServer server) => server.Services.GetRequiredService<InvocationLog>();
}
