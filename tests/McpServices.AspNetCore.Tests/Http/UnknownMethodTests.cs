using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using McpServices.AspNetCore.Tests.TestTools;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>
/// Method and prompt names a caller invents must not become metric attribute values: the SDK's <c>mcp.server.operation.duration</c>
/// tags <c>mcp.method.name</c> and <c>gen_ai.prompt.name</c> with whatever a request says, so every invented name added time
/// series until the metric's cardinality limit pushed the real ones into overflow. Such requests get the SDK's own answer
/// from the HTTP stage; the application's own request and notification handlers still get theirs.
/// </summary>
public sealed class UnknownMethodTests
{
    private const string Meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}";

    [Theory]
    [InlineData("2025-11-25", """{"jsonrpc":"2.0","id":"r1","method":"invented/NAME"}""", 200, -32601, "Method 'invented/NAME' is not available.")]
    [InlineData("2025-11-25", """{"jsonrpc":"2.0","id":"r1","method":"invented/NAME","params":{"name":"greet"}}""", 200, -32601, "Method 'invented/NAME' is not available.")]
    [InlineData("2025-11-25", """{"jsonrpc":"2.0","id":"r1","method":"prompts/get","params":{"name":"invented_NAME"}}""", 200, -32602, "Unknown prompt: 'invented_NAME'")]
    [InlineData("2026-07-28", """{"jsonrpc":"2.0","id":"r1","method":"invented/NAME","params":{""" + Meta + "}}", 404, -32601, "Method 'invented/NAME' is not available.")]
    [InlineData("2026-07-28", """{"jsonrpc":"2.0","id":"r1","method":"prompts/get","params":{"name":"invented_NAME",""" + Meta + "}}", 200, -32602, "Unknown prompt: 'invented_NAME'")]
    public async Task RequestsForInventedNames_GetTheSdksAnswer_AndAddNoMetricSeries(string protocol, string template, int status, int code, string message)
    {
        await using var server = await StartAsync(prompts: true);
        using var http = server.CreateHttpClient();

        var names = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var name = $"invented{Guid.NewGuid():N}";
            names.Add(name);
            var json = template.Replace("NAME", name, StringComparison.Ordinal);
            var error = await SendAsync(http, protocol, json);
            Assert.Equal((status, "\"r1\"", code, message.Replace("NAME", name, StringComparison.Ordinal)), error);
        }

        await AssertNoServerSeriesAsync(server, http, names);
    }

    /// <summary>The transport's objections come first, as they do for every message: here a 2026-07-28 header that disagrees with the body.</summary>
    [Fact]
    public async Task TheTransportsObjections_ComeFirst()
    {
        await using var server = await StartAsync(prompts: true);
        using var http = server.CreateHttpClient();

        var error = await SendAsync(http, "2026-07-28", """{"jsonrpc":"2.0","id":3,"method":"invented/x","params":{""" + Meta + "}}", methodHeader: "tools/list");

        Assert.Equal((400, "3", -32020, "Header mismatch: Mcp-Method header value 'tools/list' does not match body value 'invented/x'."), error);
    }

    [Fact]
    public async Task PromptsGet_OnAServiceWithoutPrompts_IsAnUnavailableMethod_AndAddsNoMetricSeries()
    {
        await using var server = await StartAsync(prompts: false);
        using var http = server.CreateHttpClient();

        var name = $"invented{Guid.NewGuid():N}";
        var error = await SendAsync(http, "2025-11-25", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"prompts/get\",\"params\":{\"name\":\"" + name + "\"}}");

        Assert.Equal((200, "7", -32601, "Method 'prompts/get' is not available."), error);
        await AssertNoServerSeriesAsync(server, http, [name]);
    }

    /// <summary>A service that declares the prompts capability without prompts serves <c>prompts/get</c> (the SDK answers every name as unknown).</summary>
    [Fact]
    public async Task PromptsGet_OnAServiceDeclaringPromptsWithoutAny_IsAnUnknownPrompt_AndAddsNoMetricSeries()
    {
        await using var server = await StartAsync(prompts: false, configure: builder =>
            builder.Services.Configure<McpServerOptions>(o => o.Capabilities = new ServerCapabilities { Prompts = new PromptsCapability() }));
        using var http = server.CreateHttpClient();

        var name = $"invented{Guid.NewGuid():N}";
        var error = await SendAsync(http, "2025-11-25", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"prompts/get\",\"params\":{\"name\":\"" + name + "\"}}");

        Assert.Equal((200, "7", -32602, $"Unknown prompt: '{name}'"), error);
        await AssertNoServerSeriesAsync(server, http, [name]);
    }

    [Fact]
    public async Task NotificationsOfInventedMethods_AreAccepted_AndAddNoMetricSeries()
    {
        await using var server = await StartAsync(prompts: true);
        using var http = server.CreateHttpClient();

        var names = new List<string>();
        foreach (var protocol in new[] { "2025-11-25", "2026-07-28" })
        {
            var name = $"notifications/invented{Guid.NewGuid():N}";
            names.Add(name);
            using var request = RequestGateTests.Post($$"""{"jsonrpc":"2.0","method":"{{name}}"}""");
            request.Headers.Remove("MCP-Protocol-Version");
            request.Headers.Add("MCP-Protocol-Version", protocol);
            request.Headers.Add("Mcp-Method", name);
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        await AssertNoServerSeriesAsync(server, http, names);
    }

    /// <summary>
    /// With sessions the SDK answers these itself (an unknown or ended session must get its 404 first): the answers above are the
    /// SDK's own, word for word, which this pins.
    /// </summary>
    [Fact]
    public async Task TheAnswers_AreTheSdksOwn()
    {
        await using var server = await StartAsync(prompts: true, o => o.SessionMode = HttpServerSessionMode.Stateful);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var method = await Assert.ThrowsAsync<McpProtocolException>(() => client.SendRequestAsync(new JsonRpcRequest { Method = "invented/x" }, TestContext.Current.CancellationToken));
        var prompt = await Assert.ThrowsAsync<McpProtocolException>(() => client.GetPromptAsync("invented_x", cancellationToken: TestContext.Current.CancellationToken).AsTask());

        // (The client puts "Request failed (remote): " before the server's message.)
        Assert.Equal((McpErrorCode.MethodNotFound, "Request failed (remote): Method 'invented/x' is not available."), (method.ErrorCode, method.Message));
        Assert.Equal((McpErrorCode.InvalidParams, "Request failed (remote): Unknown prompt: 'invented_x'"), (prompt.ErrorCode, prompt.Message));
    }

    [Fact]
    public async Task TheApplicationsOwnMethods_AndRegisteredPrompts_AreServed()
    {
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(prompts: true, configure: builder => builder.Services.Configure<McpServerOptions>(o =>
        {
#pragma warning disable MCPEXP002 // the SDK's evaluation API for custom request handlers
            (o.RequestHandlers ??= []).Add(new McpServerRequestHandler { Method = "acme/echo", Handler = (request, _) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["echo"] = request.Params?["text"]?.GetValue<string>() }) });
#pragma warning restore MCPEXP002
            o.Handlers.NotificationHandlers = [new("notifications/acme/ping", (notification, _) => { notified.TrySetResult(notification.Method); return ValueTask.CompletedTask; })];
        }));
        using var http = server.CreateHttpClient();

        using var echo = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"acme/echo","params":{"text":"hi"}}"""), TestContext.Current.CancellationToken);
        using var ping = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","method":"notifications/acme/ping"}"""), TestContext.Current.CancellationToken);
        using var greet = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ann"}}}"""), TestContext.Current.CancellationToken);

        Assert.Contains("\"echo\":\"hi\"", await echo.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, ping.StatusCode);
        Assert.Equal("notifications/acme/ping", await notified.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Contains("Greet Ann", await greet.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    /// <summary>
    /// Every stateless request's server serves the options' prompt collection (a copy of the service's options, as the SDK serves
    /// every session in stateful mode), so a prompt added to or removed from it while the service runs is served from the next
    /// request on, and the HTTP stage judges prompt names by the same collection: the two never disagree.
    /// </summary>
    [Fact]
    public async Task PromptsChangedInTheOptionsWhileRunning_AreJudgedAsTheSdkServesThem()
    {
        await using var server = await StartAsync(prompts: true);
        using var http = server.CreateHttpClient();
        var before = await SendAsync(http, "2025-11-25", """{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"farewell"}}""");
        var prompts = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<McpServerOptions>>().Value.PromptCollection!;
        prompts.Add(McpServerPrompt.Create(() => "Say goodbye.", new McpServerPromptCreateOptions { Name = "farewell" }));
        Assert.True(prompts.TryGetPrimitive("greet", out var greet));
        prompts.Remove(greet);

        using var added = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"farewell"}}"""), TestContext.Current.CancellationToken);
        var removed = await SendAsync(http, "2025-11-25", """{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ann"}}}""");
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var listed = await client.ListPromptsAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal((200, "1", -32602, "Unknown prompt: 'farewell'"), before);
        Assert.Contains("Say goodbye.", await added.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal((200, "3", -32602, "Unknown prompt: 'greet'"), removed);
        Assert.Equal(["farewell"], listed.Select(p => p.Name));
    }

    /// <summary>
    /// Incoming message filters see every message and may answer any method; <c>prompts/get</c> filters may answer any prompt name.
    /// A service with either keeps the SDK's handling of those names.
    /// </summary>
    [Fact]
    public async Task NamesTheApplicationsFiltersMayAnswer_ReachTheSdk()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>().WithPrompts<GreetingPrompts>().WithMcpServer(mcp => mcp
                .WithMessageFilters(filters => filters.AddIncomingFilter(next => (context, cancellationToken) =>
                {
                    if (context.JsonRpcMessage is JsonRpcRequest request)
                    {
                        seen.Enqueue(request.Method);
                    }

                    return next(context, cancellationToken);
                }))
                .WithRequestFilters(filters => filters.AddGetPromptFilter(next => (context, cancellationToken) =>
                    context.Params?.Name == "dynamic_prompt"
                        ? ValueTask.FromResult(new GetPromptResult { Messages = [new PromptMessage { Role = Role.User, Content = new TextContentBlock { Text = "made up" } }] })
                        : next(context, cancellationToken)))),
            o => o.Telemetry.Prometheus = true);
        using var http = server.CreateHttpClient();

        var unknown = await SendAsync(http, "2025-11-25", """{"jsonrpc":"2.0","id":1,"method":"acme/custom"}""");
        using var dynamic = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"dynamic_prompt"}}"""), TestContext.Current.CancellationToken);

        Assert.Equal((200, "1", -32601, "Method 'acme/custom' is not available."), unknown);
        Assert.Contains("acme/custom", seen);
        Assert.Contains("made up", await dynamic.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    private static Task<McpServices.Testing.McpTestServer> StartAsync(bool prompts, Action<McpServiceOptions>? options = null, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure = null) =>
        TestServer.StartAsync(
            b =>
            {
                b.WithTools<CalculatorTools>();
                if (prompts)
                {
                    b.WithPrompts<GreetingPrompts>();
                }
            },
            o =>
            {
                o.Telemetry.Prometheus = true;
                options?.Invoke(o);
            },
            configure);

    /// <summary>Sends one message; returns the HTTP status, and the JSON-RPC error's id, code and message.</summary>
    private static async Task<(int Status, string Id, int Code, string? Message)> SendAsync(HttpClient http, string protocol, string json, string? methodHeader = null)
    {
        using var request = RequestGateTests.Post(json);
        request.Headers.Remove("MCP-Protocol-Version");
        request.Headers.Add("MCP-Protocol-Version", protocol);
        if (protocol == "2026-07-28")
        {
            using var message = JsonDocument.Parse(json);
            request.Headers.Add("Mcp-Method", methodHeader ?? message.RootElement.GetProperty("method").GetString());
            if (message.RootElement.TryGetProperty("params", out var parameters) && parameters.TryGetProperty("name", out var name))
            {
                request.Headers.Add("Mcp-Name", name.GetString());
            }
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var doc = JsonDocument.Parse(RequestGateTests.MessageOf(body));
        var error = doc.RootElement.GetProperty("error");
        return ((int)response.StatusCode, doc.RootElement.GetProperty("id").GetRawText(), error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString());
    }

    /// <summary>
    /// Asserts that no server metric names any of <paramref name="names"/>, once the metrics show a request the SDK served after
    /// them (so that they had their chance to appear).
    /// </summary>
    private static async Task AssertNoServerSeriesAsync(McpServices.Testing.McpTestServer server, HttpClient http, IEnumerable<string> names)
    {
        using (var list = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":99,"method":"tools/list"}"""), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        string[] lines = [];
        for (var i = 0; i < 50 && !lines.Any(IsToolsList); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            lines = (await http.GetStringAsync(new Uri("metrics", UriKind.Relative), TestContext.Current.CancellationToken)).Split('\n');
        }

        Assert.Contains(lines, IsToolsList);
        foreach (var name in names)
        {
            Assert.DoesNotContain(lines, line => line.Contains(name, StringComparison.Ordinal));
        }

        static bool IsToolsList(string line) =>
            line.StartsWith("mcp_server_operation_duration", StringComparison.Ordinal) && line.Contains("mcp_method_name=\"tools/list\"", StringComparison.Ordinal);
    }
}
