using System.ComponentModel;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.Hosting;

/// <summary>What the tool sees of the options its server runs with.</summary>
public sealed class OptionsProbeTools(IOptions<McpServerOptions> service)
{
    [Description("Describes the server options of the request that calls it.")]
    public string Probe(McpServer server) => string.Join(' ',
        ReferenceEquals(server.ServerOptions, service.Value) ? "same-instance" : "own-instance",
        ReferenceEquals(server.ServerOptions.ToolCollection, service.Value.ToolCollection) ? "shared-tools" : "own-tools",
        server.ServerOptions.ScopeRequests ? "scoped" : "unscoped",
        service.Value.ScopeRequests ? "service-scoped" : "service-unscoped");
}

/// <summary>
/// In stateless mode the SDK creates a server for every request, with options from the options factory; built anew, they would
/// run every configure action and rebuild the tool, prompt and resource collections from their registrations on every request
/// (14 µs and 20 KB per request for a hundred tools). McpServices builds them once and gives each request a copy.
/// </summary>
public sealed class ServerOptionsTests
{
    [Fact]
    public async Task StatelessRequests_GetACopyOfTheServiceOptions_BuiltOnce()
    {
        var built = 0;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>().WithTools<OptionsProbeTools>(),
            configure: builder => builder.Services.Configure<McpServerOptions>(_ => Interlocked.Increment(ref built)));
        using var http = server.CreateHttpClient();

        var probes = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            probes.Add(await CallAsync(http, "probe"));
            Assert.Contains("\"text\":\"7\"", await SendAsync(http, """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":3,"b":4}}}"""), StringComparison.Ordinal);
        }

        // The request's own settings are its copy's (the SDK turns off request scopes for a stateless server); everything else,
        // the collections included, is the service's, as every session shares it in stateful mode.
        Assert.All(probes, p => Assert.Equal("own-instance shared-tools unscoped service-scoped", p));
        Assert.Equal(1, built);
    }

    /// <summary>
    /// An application that changes the options per request (the transport's <c>ConfigureSessionOptions</c>) may change their
    /// collections in place, so it gets options built for each request: a tool one request hides stays for the next.
    /// </summary>
    [Fact]
    public async Task ConfigureSessionOptions_GetsOptionsBuiltForEachRequest()
    {
        var built = 0;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>().WithTools<OptionsProbeTools>(),
            configure: builder =>
            {
                builder.Services.Configure<McpServerOptions>(_ => Interlocked.Increment(ref built));
                builder.Services.Configure<HttpServerTransportOptions>(o => o.ConfigureSessionOptions = (context, options, _) =>
                {
                    if (context.Request.Headers.ContainsKey("X-Hide-Add") && options.ToolCollection!.TryGetPrimitive("add", out var add))
                    {
                        options.ToolCollection.Remove(add);
                    }

                    return Task.CompletedTask;
                });
            });
        using var http = server.CreateHttpClient();
        const string List = """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""";

        var hidden = ToolNames(await SendAsync(http, List, hideAdd: true));
        var shown = ToolNames(await SendAsync(http, List));
        var probe = await CallAsync(http, "probe");

        Assert.Equal(["divide", "probe"], hidden);
        Assert.Equal(["add", "divide", "probe"], shown);
        Assert.Equal("own-instance own-tools unscoped service-scoped", probe);
        Assert.True(built >= 4, $"options built {built} times for 3 requests and the service");
    }

    /// <summary>
    /// A tool put into the SDK's collection while the service runs has not been described by McpServices (its arguments, scopes,
    /// audit redaction): it is neither listed nor called, in either session mode, instead of being listed and then refused.
    /// </summary>
    [Theory]
    [InlineData(HttpServerSessionMode.Stateless)]
    [InlineData(HttpServerSessionMode.Stateful)]
    public async Task ToolsAddedToTheOptionsWhileRunning_AreNeitherListedNorCalled(HttpServerSessionMode mode)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.SessionMode = mode);
        server.Services.GetRequiredService<IOptions<McpServerOptions>>().Value.ToolCollection!
            .Add(McpServerTool.Create(() => "ran", new McpServerToolCreateOptions { Name = "added_later" }));
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var listed = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(async () =>
            await client.CallToolAsync("added_later", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(["add", "divide"], listed.Select(t => t.Name));
        Assert.Contains("Unknown tool: 'added_later'", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> CallAsync(HttpClient http, string tool)
    {
        using var message = JsonDocument.Parse(await SendAsync(http, $$$"""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"{{{tool}}}"}}"""));
        return message.RootElement.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString()!;
    }

    private static string[] ToolNames(string message)
    {
        using var document = JsonDocument.Parse(message);
        return document.RootElement.GetProperty("result").GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToArray();
    }

    private static async Task<string> SendAsync(HttpClient http, string json, bool hideAdd = false)
    {
        using var request = RequestGateTests.Post(json);
        if (hideAdd)
        {
            request.Headers.Add("X-Hide-Add", "1");
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return RequestGateTests.MessageOf(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
