using System.Net;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.AspNetCore.Builder;

namespace McpServices.AspNetCore.Tests.Hosting;

/// <summary>
/// An application's own endpoints next to McpServices': a clash stops startup with what to change, instead of routing answering
/// every request at the shared path with 500 (ambiguous match), or a second MCP endpoint serving the tools ungoverned.
/// </summary>
public sealed class McpServiceEndpointsTests
{
    private const string Clash = "Two endpoints share a path, so every request to it would fail (500, ambiguous match): ";

    [Fact]
    public async Task AnApplicationThatServesItsOwnReadinessEndpoint_StopsAtStartup_NamingTheSetting()
    {
        // The pod would never have become ready.
        var error = await StartupErrorAsync(app =>
        {
            app.MapGet("/readyz", () => "ok").WithDisplayName("orders readiness");
            app.MapGet("/livez/", () => "ok"); // routing ignores the trailing slash and case
        });

        Assert.Equal("McpServiceConfigurationException", error.GetType().Name);
        Assert.Equal(
            Clash +
            "the application maps its own endpoint at '/livez' (HTTP: GET /livez/), where McpServices maps its liveness endpoint; move McpServices' with McpService:LivenessPath, or remove the application's; " +
            "the application maps its own endpoint at '/readyz' (orders readiness), where McpServices maps its readiness endpoint; move McpServices' with McpService:ReadinessPath, or remove the application's.",
            error.Message);
    }

    [Theory]
    [InlineData("/.well-known/oauth-protected-resource/mcp", "move McpServices' with McpService:Path, or remove the application's")]
    [InlineData("/.well-known/oauth-protected-resource", "MCP clients look for the metadata there when the challenge does not name it, so remove the application's")]
    public async Task AnApplicationThatServesProtectedResourceMetadata_StopsAtStartup_SayingWhatToDo(string path, string fix)
    {
        var error = await StartupErrorAsync(app => app.MapGet(path, () => "{}").WithDisplayName("orders metadata"), authentication: true);

        Assert.Equal(
            $"{Clash}the application maps its own endpoint at '{path}' (orders metadata), where McpServices maps its protected resource metadata endpoint; {fix}.",
            error.Message);
    }

    [Fact]
    public async Task AnApplicationThatPostsToTheMcpPathItself_StopsAtStartup_NamingTheSetting()
    {
        var error = await StartupErrorAsync(app =>
        {
            app.MapPost("/MCP", () => "legacy").WithDisplayName("legacy agent endpoint");
            app.MapGet("/mcp", () => "docs"); // stateless: the SDK maps only POST there, so a GET page does not clash
        });

        Assert.Equal(
            $"{Clash}the application maps its own endpoint at '/mcp' (legacy agent endpoint), where McpServices maps its MCP endpoint; move McpServices' with McpService:Path, or remove the application's.",
            error.Message);
    }

    [Fact]
    public async Task AnApplicationThatAlsoMapsTheSdksMcpEndpoint_StopsAtStartup()
    {
        // A second MCP endpoint from the SDK template's app.MapMcp() served every tool with no authentication, scope check or
        // audit of refusals: a tool that needs inventory:read answered an anonymous call.
        var error = await StartupErrorAsync(app => app.MapMcp("/raw"), authentication: true);

        Assert.IsType<InvalidOperationException>(error);
        Assert.Equal(
            "The application maps an MCP endpoint of its own at '/raw' (the MCP SDK's MapMcp()): calls through it would bypass McpServices' authentication, authorization, rate limits and audit. " +
            "Remove it; app.MapMcpService() serves the MCP endpoint (at McpService:Path).",
            error.Message);
    }

    [Fact]
    public async Task AnApplicationWithOtherHealthPaths_OrACatchAll_Starts()
    {
        await using var server = await StartAsync(app =>
        {
            app.MapGet("/healthz", () => "ok");
            app.MapGet("/docs", () => "about our MCP service").WithDisplayName("MCP docs"); // not the SDK's endpoint
            app.MapGet("/{**path}", (string path) => path);
        });
        using var http = server.CreateHttpClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal("somewhere", await http.GetStringAsync("somewhere", TestContext.Current.CancellationToken));
    }

    /// <summary>Starts a service that maps McpServices and then <paramref name="alsoMap"/>.</summary>
    private static Task<McpServices.Testing.McpTestServer> StartAsync(Action<WebApplication> alsoMap, bool authentication = false) =>
        TestServer.StartAsync(b => b.WithTools<PublicTools>().WithTools<SecuredTools>(),
            configureApp: app =>
            {
                app.MapMcpService();
                alsoMap(app);
            },
            authentication: authentication);

    private static Task<InvalidOperationException> StartupErrorAsync(Action<WebApplication> alsoMap, bool authentication = false) =>
        Assert.ThrowsAnyAsync<InvalidOperationException>(() => StartAsync(alsoMap, authentication));
}
