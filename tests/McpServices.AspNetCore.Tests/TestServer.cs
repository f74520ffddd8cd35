using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Builder;

namespace McpServices.AspNetCore.Tests;

/// <summary>Starts McpServices services with the test tool classes on real Kestrel.</summary>
internal static class TestServer
{
    /// <summary>The token issuer services started with <c>authentication: true</c> trust.</summary>
    public static McpTestTokenIssuer Issuer { get; } = new();

    /// <summary>
    /// Starts a service. Tests about authentication pass <paramref name="authentication"/>; the others run with authentication
    /// turned off (and acknowledged) so they stay about their own subject.
    /// </summary>
    public static Task<McpTestServer> StartAsync(
        Action<IMcpServiceBuilder> tools,
        Action<McpServiceOptions>? options = null,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? configureApp = null,
        bool authentication = false,
        bool trustTestIssuer = true,
        string environment = "Testing")
    {
        return McpTestServer.StartAsync(
            builder =>
            {
                builder.Services.AddSingleton<InvocationLog>();
                builder.Services.AddSingleton<CallGate>();
                if (authentication && trustTestIssuer)
                {
                    Issuer.ConfigureService(builder.Services);
                }

                configure?.Invoke(builder);
                tools(builder.AddMcpService(o =>
                {
                    if (!authentication)
                    {
                        WithoutAuthentication(o);
                    }

                    options?.Invoke(o);
                }));
            },
            configureApp,
            environment,
            TestContext.Current.CancellationToken);
    }

    /// <summary>Turns authentication off, acknowledged, for services whose tests are about something else.</summary>
    public static void WithoutAuthentication(McpServiceOptions options)
    {
        options.Authentication.Enabled = false;
        options.Authentication.AcknowledgeUnauthenticated = true;
    }

    public static InvocationLog Log(this McpTestServer server) => server.Services.GetRequiredService<InvocationLog>();

    /// <summary>A token from <see cref="Issuer"/> for this server's MCP endpoint.</summary>
    public static string Token(this McpTestServer server, params string[] scopes) => Issuer.CreateToken(server.McpEndpoint, scopes);

    /// <summary>A token from <see cref="Issuer"/> for this server's MCP endpoint with <c>inventory:read</c>, as <paramref name="change"/> alters it.</summary>
    public static string Token(this McpTestServer server, Action<McpTestToken> change)
    {
        var token = new McpTestToken { Audience = server.McpEndpoint.ToString(), Scopes = ["inventory:read"] };
        change(token);
        return Issuer.CreateToken(token);
    }

    public static Task<ModelContextProtocol.Client.McpClient> ConnectWithScopesAsync(this McpTestServer server, params string[] scopes) =>
        server.ConnectAsync(new McpTestClientOptions { AccessToken = server.Token(scopes) }, TestContext.Current.CancellationToken);
}
