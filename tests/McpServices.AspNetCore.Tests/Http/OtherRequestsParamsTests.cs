using System.Net;
using System.Text.Json;
using McpServices.AspNetCore.Tests.TestTools;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>
/// Mistakes in the params of prompts, resources, completion and logging requests are answered with −32602 and what to fix, where the SDK
/// would answer a bare −32603 "An error occurred." (the shapes come from the MCP schema).
/// </summary>
public sealed class OtherRequestsParamsTests
{
    private const string CompletionRef = """params.ref must be a JSON object of strings: {"type":"ref/prompt","name":"<prompt>"} or {"type":"ref/resource","uri":"<URI template>"}.""";
    private const string CompletionArgument = "params.argument must be a JSON object with string name and value: the argument to complete and what has been typed so far.";

    [Theory]
    [InlineData("""{"method":"resources/read","params":{}}""", "params.uri must be a string: the URI of the resource.")]
    [InlineData("""{"method":"resources/read","params":{"uri":5}}""", "params.uri must be a string: the URI of the resource.")]
    [InlineData("""{"method":"resources/read"}""", "params.uri must be a string: the URI of the resource.")]
    [InlineData("""{"method":"resources/subscribe","params":{}}""", "params.uri must be a string: the URI of the resource.")]
    [InlineData("""{"method":"resources/unsubscribe","params":{"uri":[]}}""", "params.uri must be a string: the URI of the resource.")]
    [InlineData("""{"method":"prompts/get","params":{}}""", "params.name must be a string: the name of the prompt to get.")]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet","arguments":{"name":5}}}""", "params.arguments must be a JSON object of strings: MCP passes prompt arguments as strings.")]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet","arguments":["Ann"]}}""", "params.arguments must be a JSON object of strings: MCP passes prompt arguments as strings.")]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ann","name":"Bob"}}}""", "params.arguments has more than one \"name\" member; JSON parsers disagree on which one counts, so send each member once.")]
    [InlineData("""{"params":{"name":"greet","arguments":{"name":"Ann","tone":"warm","name":"Bob"}},"method":"prompts/get"}""", "params.arguments has more than one \"name\" member; JSON parsers disagree on which one counts, so send each member once.")]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet"}}""", "the prompt 'greet' needs the argument 'name'.")]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet","arguments":{"tone":"warm"}}}""", "the prompt 'greet' needs the argument 'name'.")]
    [InlineData("""{"method":"prompts/get","params":{"name":"repeat","arguments":{"text":"hi","times":"many"}}}""", "the argument 'times' of the prompt 'repeat' must be an integer from -2147483648 to 2147483647.")]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet","arguments":{"nmae":"Ann"}}}""", "the prompt 'greet' has no argument 'nmae'; did you mean 'name'?")]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ann","tone":"warm","mood":"x","Tone":"y"}}}""", "the prompt 'greet' has no argument 'mood'; its arguments are name, tone. The prompt 'greet' has no argument 'Tone'; did you mean 'tone'?")]
    [InlineData("""{"method":"resources/read","params":{"uri":"orders://abc"}}""", "the variable 'id' of the resource template 'orders://{id}' must be an integer from -2147483648 to 2147483647.")]
    [InlineData("""{"method":"resources/read","params":{"uri":"orders://99999999999"}}""", "the variable 'id' of the resource template 'orders://{id}' must be an integer from -2147483648 to 2147483647.")]
    [InlineData("""{"method":"logging/setLevel","params":{"level":"bogus"}}""", "params.level must be one of debug, info, notice, warning, error, critical, alert, emergency.")]
    [InlineData("""{"method":"logging/setLevel","params":{}}""", "params.level must be one of debug, info, notice, warning, error, critical, alert, emergency.")]
    [InlineData("""{"method":"tools/list","params":{"cursor":5}}""", "params.cursor must be a string: the nextCursor of the previous page.")]
    [InlineData("""{"method":"resources/templates/list","params":{"cursor":{}}}""", "params.cursor must be a string: the nextCursor of the previous page.")]
    [InlineData("""{"method":"resources/read","params":{"uri":"notes://welcome","requestState":5}}""", "params.requestState must be a string: the requestState of the server's input-required result, unchanged.")]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ann"},"inputResponses":[]}}""", "params.inputResponses must be a JSON object: the answers to the server's input requests, by their keys.")]
    [InlineData("""{"method":"completion/complete"}""", "completion/complete needs params: an object with ref and argument.")]
    [InlineData("""{"method":"completion/complete","params":{"argument":{"name":"name","value":"A"}}}""", CompletionRef)]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":false,"name":"greet"},"argument":{"name":"name","value":"A"}}}""", CompletionRef)]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/other","name":"greet"},"argument":{"name":"name","value":"A"}}}""", CompletionRef)]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/resource","name":"notes"},"argument":{"name":"name","value":"A"}}}""", CompletionRef)]
    // The SDK reads type, name, title and uri of any reference as strings: another kind of value was its bare −32603.
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet","uri":0},"argument":{"name":"name","value":"A"}}}""", CompletionRef)]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet","title":{}},"argument":{"name":"name","value":"A"}}}""", CompletionRef)]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"notes://{id}","name":[1]},"argument":{"name":"name","value":"A"}}}""", CompletionRef)]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"}}}""", CompletionArgument)]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"name","value":5}}}""", CompletionArgument)]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"name","value":"A"},"context":{"arguments":{"tone":1}}}}""", "params.context must be a JSON object whose arguments are strings.")]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"name","value":"A"},"context":5}}""", "params.context must be a JSON object whose arguments are strings.")]
    public async Task MalformedParams_AreInvalidParams_SayingWhatToFix(string message, string problem)
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":"r7",""" + message[1..]), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var error = ErrorOf(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("r7", error.Id);
        Assert.Equal((-32602, "Invalid params: " + problem), (error.Code, error.Message));
    }

    [Theory]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ann"}}}""", "Greet Ann")]
    [InlineData("""{"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ann","tone":"warmly"}}}""", "Greet Ann warmly")]
    [InlineData("""{"method":"prompts/get","params":{"name":"repeat","arguments":{"text":"hi","times":"2"}}}""", "hi hi")]
    [InlineData("""{"method":"resources/read","params":{"uri":"notes://welcome"}}""", "Welcome.")]
    [InlineData("""{"method":"resources/read","params":{"uri":"orders://12"}}""", "Order 12.")]
    [InlineData("""{"method":"logging/setLevel","params":{"level":"warning"}}""", "\"result\":{}")]
    [InlineData("""{"method":"tools/list","params":{"cursor":null}}""", "\"tools\"")]
    [InlineData("""{"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"name","value":"A"},"context":{"arguments":{"tone":"warm"}}}}""", "\"completion\"")]
    public async Task WellFormedRequests_AreServed(string message, string expected)
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,""" + message[1..]), TestContext.Current.CancellationToken);

        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"error\"", body, StringComparison.Ordinal);
    }

    /// <summary>
    /// A prompt that fails on its own, even with the serializer's exception, is the prompt's error (−32603, without details): only
    /// an argument that cannot be read as its parameter's type is the caller's.
    /// </summary>
    [Fact]
    public async Task APromptsOwnFailure_IsNotBlamedOnItsArguments()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":"p3","method":"prompts/get","params":{"name":"summarize_json","arguments":{"json":"{not json"}}}"""), TestContext.Current.CancellationToken);

        var error = ErrorOf(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal((-32603, "An error occurred."), (error.Code, error.Message));
    }

    /// <summary>
    /// A URI variable its parameter cannot take (orders://abc for an int) is the caller's mistake: −32602 naming the variable, with
    /// the URI in error.data (the SDK alone answered −32603 "An error occurred."). A resource that fails on its own while parsing
    /// is not blamed on its variables.
    /// </summary>
    [Fact]
    public async Task AResourceVariableOfTheWrongType_IsInvalidParams_WithTheUri_AndAResourcesOwnFailureIsNot()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();

        using var wrong = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":"r1","method":"resources/read","params":{"uri":"orders://abc"}}"""), TestContext.Current.CancellationToken);
        using var own = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":"r2","method":"resources/read","params":{"uri":"ledger://x"}}"""), TestContext.Current.CancellationToken);

        using var doc = JsonDocument.Parse(RequestGateTests.MessageOf(await wrong.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
        Assert.Equal(-32602, doc.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("orders://abc", doc.RootElement.GetProperty("error").GetProperty("data").GetProperty("uri").GetString());
        var ownError = ErrorOf(await own.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal((-32603, "An error occurred."), (ownError.Code, ownError.Message));
    }

    /// <summary>
    /// The SDK lists everything on the first page and issues no <c>nextCursor</c>, so a cursor is made up (or meant for another
    /// server); the SDK would answer it with an empty page, which a client takes for "nothing here". The specification asks for
    /// −32602.
    /// </summary>
    [Theory]
    [InlineData("tools/list")]
    [InlineData("prompts/list")]
    [InlineData("resources/list")]
    [InlineData("resources/templates/list")]
    public async Task ListRequests_WithACursorTheServiceNeverIssued_AreInvalidParams(string method)
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(RequestGateTests.Post($$$"""{"jsonrpc":"2.0","id":"p2","method":"{{{method}}}","params":{"cursor":"eyJwYWdlIjoyfQ=="}}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("p2", -32602, $"Invalid params: params.cursor is not a cursor this service issued. It returns the whole list in one page, without a nextCursor: send {method} without a cursor."),
            ErrorOf(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
    }

    /// <summary>An application that lists tools itself may page them: its cursors reach its handler.</summary>
    [Fact]
    public async Task ListRequests_WithACursor_ReachTheApplicationsOwnListHandler()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithMcpServer(mcp => mcp.WithListToolsHandler((request, _) =>
            ValueTask.FromResult(new ModelContextProtocol.Protocol.ListToolsResult
            {
                Tools = [],
                NextCursor = request.Params?.Cursor == "page-2" ? null : "page-2",
            }))));
        using var http = server.CreateHttpClient();

        using var first = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""), TestContext.Current.CancellationToken);
        using var second = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"page-2"}}"""), TestContext.Current.CancellationToken);

        var firstPage = RequestGateTests.MessageOf(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var secondPage = RequestGateTests.MessageOf(await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains("\"nextCursor\":\"page-2\"", firstPage, StringComparison.Ordinal);
        Assert.Contains("\"result\"", secondPage, StringComparison.Ordinal);
        Assert.DoesNotContain("nextCursor", secondPage, StringComparison.Ordinal);
    }

    private static Task<McpServices.Testing.McpTestServer> StartAsync() =>
        TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithPrompts<GreetingPrompts>().WithPrompts<ArgumentPrompts>().WithResources<NoteResources>().WithResources<OrderResources>()
            .WithMcpServer(mcp => mcp.WithCompleteHandler((_, _) => ValueTask.FromResult(new ModelContextProtocol.Protocol.CompleteResult { Completion = new() { Values = ["Ann"] } }))));

    /// <summary>The JSON-RPC error of a response, whether sent as JSON or as one server-sent event.</summary>
    private static (string? Id, int Code, string? Message) ErrorOf(string body)
    {
        using var doc = JsonDocument.Parse(RequestGateTests.MessageOf(body));
        var error = doc.RootElement.GetProperty("error");
        return (doc.RootElement.GetProperty("id").GetString(), error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString());
    }
}
