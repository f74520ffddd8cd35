using System.Net;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Authorization;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.Authorization;

/// <summary>
/// Prompts and resources are authorized as tools are: [RequireScopes] and [Authorize] on their method or class. Before, the
/// SDK failed every request on one marked [Authorize] (McpServices does not let it evaluate authorization), and startup refused them.
/// </summary>
public sealed class PrimitiveAuthorizationTests
{
    [Fact]
    public async Task APromptsScopes_AreAnsweredWithTheStepUpChallenge_AndItIsListedOnlyForCallersWithThem()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();
        const string get = """{"jsonrpc":"2.0","id":"g1","method":"prompts/get","params":{"name":"incident"}}""";

        using var refused = await SendAsync(http, get, server.Token("notes:read"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var challenge = refused.Headers.WwwAuthenticate.Single().Parameter!;
        Assert.Contains("error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        Assert.Contains("scope=\"incidents:admin\"", challenge, StringComparison.Ordinal);
        Assert.Contains("resource_metadata=", challenge, StringComparison.Ordinal);
        var error = Error(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(McpServiceErrorCodes.InsufficientScope, error.GetProperty("code").GetInt32());
        Assert.Equal("Forbidden: the prompt 'incident' requires the scope(s) incidents:admin; the token lacks incidents:admin.", error.GetProperty("message").GetString());

        using var served = await SendAsync(http, get, server.Token("incidents:admin"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("Summarize the incident.", await served.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        await using var reader = await server.ConnectWithScopesAsync("notes:read");
        await using var admin = await server.ConnectWithScopesAsync("incidents:admin");
        Assert.Equal(["greet"], (await reader.ListPromptsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(p => p.Name).Order());
        Assert.Equal(["greet", "incident"], (await admin.ListPromptsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(p => p.Name).Order());
    }

    [Fact]
    public async Task AResourceTemplatesScopes_CoverEveryUriItMatches_InReadsAndInTheLists()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();
        const string read = """{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"ledger://accounts/7"}}""";

        using var refused = await SendAsync(http, read, server.Token("notes:read"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("scope=\"ledger:read\"", refused.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        Assert.Contains("the resource 'ledger://accounts/{id}' requires", Error(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).GetProperty("message").GetString(), StringComparison.Ordinal);

        await using var reader = await server.ConnectWithScopesAsync("notes:read");
        await using var auditor = await server.ConnectWithScopesAsync("ledger:read");
        var ledger = await auditor.ReadResourceAsync("ledger://accounts/7", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Account 7.", Assert.IsType<TextResourceContents>(Assert.Single(ledger.Contents)).Text);
        Assert.Empty(await reader.ListResourceTemplatesAsync(cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(["ledger://accounts/{id}"], (await auditor.ListResourceTemplatesAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.UriTemplate));

        // A resource without requirements stays open to every authenticated caller.
        var notice = await reader.ReadResourceAsync("notes://notice", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Notice.", Assert.IsType<TextResourceContents>(Assert.Single(notice.Contents)).Text);
    }

    [Fact]
    public async Task AResourcesRole_IsAClearJsonRpcError_AndItIsListedOnlyForCallersInTheRole()
    {
        await using var server = await StartAsync();
        await using var reader = await server.ConnectWithScopesAsync("notes:read");
        await using var board = await server.ConnectAsync(new McpTestClientOptions
        {
            AccessToken = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Scopes = ["notes:read"], Roles = ["board"] }),
        }, TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => reader.ReadResourceAsync("notes://board", cancellationToken: TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(McpServiceErrorCodes.Forbidden, (int)ex.ErrorCode);
        Assert.Contains("You are not allowed to use the resource 'notes://board'.", ex.Message, StringComparison.Ordinal);

        var minutes = await board.ReadResourceAsync("notes://board", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Board minutes.", Assert.IsType<TextResourceContents>(Assert.Single(minutes.Contents)).Text);
        Assert.Equal(["notes://notice"], (await reader.ListResourcesAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(r => r.Uri));
        Assert.Equal(["notes://board", "notes://notice"], (await board.ListResourcesAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(r => r.Uri).Order());
    }

    /// <summary>Completions of a template's variables or a prompt's arguments can reveal what reading or getting it would.</summary>
    [Fact]
    public async Task CompletingTheirArguments_NeedsWhatUsingThemNeeds()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>().WithPrompts<GreetingPrompts>().WithPrompts<GuardedPrompts>().WithResources<GuardedResources>()
                .WithMcpServer(mcp => mcp.WithCompleteHandler((_, _) => ValueTask.FromResult(new CompleteResult { Completion = new() { Values = ["7", "8"] } }))),
            o => o.Authentication.ScopePrefix = "api://ledger/",
            authentication: true);
        await using var reader = await server.ConnectWithScopesAsync("notes:read");
        await using var auditor = await server.ConnectWithScopesAsync("ledger:read");
        var account = new ResourceTemplateReference { Uri = "ledger://accounts/{id}" };

        // The same refusal as the HTTP stage's: the scopes as clients request them, and in error.data.
        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => reader.CompleteAsync(account, "id", "", cancellationToken: TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(McpServiceErrorCodes.InsufficientScope, (int)ex.ErrorCode);
        Assert.Contains("Forbidden: the resource 'ledger://accounts/{id}' requires the scope(s) api://ledger/ledger:read; the token lacks api://ledger/ledger:read.", ex.Message, StringComparison.Ordinal);
        Assert.Equal("""["api://ledger/ledger:read"]""", Assert.IsType<JsonElement>(ex.Data["requiredScopes"]).GetRawText());
        Assert.Equal("""["api://ledger/ledger:read"]""", Assert.IsType<JsonElement>(ex.Data["missingScopes"]).GetRawText());
        await Assert.ThrowsAsync<McpProtocolException>(() => reader.CompleteAsync(new PromptReference { Name = "incident" }, "x", "", cancellationToken: TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(["7", "8"], (await auditor.CompleteAsync(account, "id", "", cancellationToken: TestContext.Current.CancellationToken)).Completion.Values);
        Assert.Equal(["7", "8"], (await reader.CompleteAsync(new PromptReference { Name = "greet" }, "name", "", cancellationToken: TestContext.Current.CancellationToken)).Completion.Values);
    }

    /// <summary>
    /// A prompt's name may hold any character; RFC 6750 allows only printable ASCII without quotes and backslashes in the challenge's
    /// error_description, and Kestrel refuses a header outside ASCII (a 500). The JSON-RPC message keeps the name.
    /// </summary>
    [Fact]
    public async Task AChallengeForAPromptWithAnyName_IsAValidHeader()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithPrompts<NamedPrompts>(), authentication: true);
        using var http = server.CreateHttpClient();

        using var refused = await SendAsync(http, """{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"résumé \"draft\""}}""", server.Token("notes:read"));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("error_description=\"The prompt 'r?sum? ?draft?' requires the scopes: cv:read.\"", refused.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        Assert.Equal("Forbidden: the prompt 'résumé \"draft\"' requires the scope(s) cv:read; the token lacks cv:read.", Error(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).GetProperty("message").GetString());
    }

    /// <summary>Updates of a resource tell what reading it would (that it changed): subscribing needs what reading needs.</summary>
    [Fact]
    public async Task SubscribingToAResource_NeedsWhatReadingItNeeds()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>().WithResources<GuardedResources>()
                .WithMcpServer(mcp => mcp.WithSubscribeToResourcesHandler((_, _) => ValueTask.FromResult(new EmptyResult()))),
            o => o.SessionMode = ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateful,
            authentication: true);
        McpTestClientOptions Client(params string[] scopes) => new() { AccessToken = server.Token(scopes), ProtocolVersion = "2025-11-25" };
        await using var reader = await server.ConnectAsync(Client("notes:read"), TestContext.Current.CancellationToken);
        await using var auditor = await server.ConnectAsync(Client("ledger:read"), TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => reader.SubscribeToResourceAsync("ledger://accounts/7", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(McpServiceErrorCodes.InsufficientScope, (int)ex.ErrorCode);

        await auditor.SubscribeToResourceAsync("ledger://accounts/7", cancellationToken: TestContext.Current.CancellationToken);
        await reader.SubscribeToResourceAsync("notes://notice", cancellationToken: TestContext.Current.CancellationToken);
    }

    /// <summary>A policy sees the request's params, so it can judge the URI read; when listing it sees none, and says itself what to show.</summary>
    [Fact]
    public async Task APolicy_JudgesTheRequestsParams_AndItsReasonReachesTheCaller()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithResources<ShiftResources>(), authentication: true);
        await using var client = await server.ConnectWithScopesAsync("notes:read");

        var night = await client.ReadResourceAsync("logs://shift/night", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("The night shift's log.", Assert.IsType<TextResourceContents>(Assert.Single(night.Contents)).Text);

        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => client.ReadResourceAsync("logs://shift/day", cancellationToken: TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(McpServiceErrorCodes.Forbidden, (int)ex.ErrorCode);
        Assert.Contains("You are not allowed to use the resource 'logs://shift/{name}': Only the night shift's log may be read.", ex.Message, StringComparison.Ordinal);

        Assert.Equal(["logs://shift/{name}"], (await client.ListResourceTemplatesAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.UriTemplate));
    }

    [Fact]
    public async Task TheirScopes_AreInTheProtectedResourceMetadata()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();

        using var metadata = JsonDocument.Parse(await http.GetStringAsync(".well-known/oauth-protected-resource/mcp", TestContext.Current.CancellationToken));

        var scopes = metadata.RootElement.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()).ToArray();
        Assert.Contains("incidents:admin", scopes);
        Assert.Contains("ledger:read", scopes);
        Assert.Equal(scopes.Order(StringComparer.Ordinal), scopes);

        // And in the self-description, from which the deployment's settings are generated.
        using var description = JsonDocument.Parse(server.Services.GetRequiredService<ServiceDescriber>().DescribeToString());
        Assert.Equal(scopes, description.RootElement.GetProperty("authentication").GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));

        // The identity providers too: a generator that finds none warns that the pods would refuse every token.
        var servers = metadata.RootElement.GetProperty("authorization_servers").EnumerateArray().Select(s => s.GetString()).ToArray();
        Assert.NotEmpty(servers);
        Assert.Equal(servers, description.RootElement.GetProperty("authentication").GetProperty("authorizationServers").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task WithAuthenticationOff_TheyAreServedToEveryCaller()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithPrompts<GuardedPrompts>().WithResources<GuardedResources>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["incident"], (await client.ListPromptsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(p => p.Name));
        Assert.Equal(3, (await client.ListResourcesAsync(cancellationToken: TestContext.Current.CancellationToken)).Count + (await client.ListResourceTemplatesAsync(cancellationToken: TestContext.Current.CancellationToken)).Count);
        var minutes = await client.ReadResourceAsync("notes://board", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Board minutes.", Assert.IsType<TextResourceContents>(Assert.Single(minutes.Contents)).Text);
    }

    [Fact]
    public async Task AllowAnonymousOnAPromptOrResource_FailsStartup_NamingIt()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithPrompts<PublicPrompts>(), authentication: true));

        Assert.StartsWith("The prompt 'hello' (McpServices.AspNetCore.Tests.Authorization.PublicPrompts.Hello) is marked [AllowAnonymous], but prompts and resources always need an authenticated caller", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The SDK's own authorization filters would answer refusals themselves, unaudited and without the challenges.</summary>
    [Fact]
    public async Task TheSdksAuthorizationFilters_FailStartup_SayingWhatToUseInstead()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>().WithPrompts<GuardedPrompts>().WithMcpServer(mcp => mcp.AddAuthorizationFilters()), authentication: true));

        Assert.StartsWith("The MCP SDK's AddAuthorizationFilters() was called", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("use [RequireScopes] and [Authorize] on tools, prompts and resources.", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A read that names its resource twice could be authorized for one and read the other: it is refused.</summary>
    [Fact]
    public async Task AReadThatGivesItsUriTwice_IsAnInvalidRequest()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await SendAsync(http, """{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"notes://notice","uri":"ledger://accounts/7"}}""", server.Token("notes:read"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = Error(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(-32600, error.GetProperty("code").GetInt32());
        Assert.Contains("more than one \"params.uri\" member", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A <c>prompts/get</c> of a prompt the service does not have names the prompt it most likely meant, as for tools — only one
    /// the caller may use: a suggestion must not reveal a prompt <c>prompts/list</c> hides from this caller.
    /// </summary>
    [Theory]
    [InlineData(ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateless)]
    [InlineData(ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateful)]
    public async Task AMisspelledPrompt_IsNamed_WhenTheCallerMayUseIt(ModelContextProtocol.AspNetCore.HttpServerSessionMode mode)
    {
        await using var server = await StartAsync(mode);
        await using var reader = await server.ConnectWithScopesAsync("notes:read");
        await using var admin = await server.ConnectWithScopesAsync("incidents:admin");

        Assert.Equal("Unknown prompt: 'Gret'; did you mean 'greet'?", await PromptErrorAsync(reader, "Gret"));
        Assert.Equal("Unknown prompt: 'incidnt'", await PromptErrorAsync(reader, "incidnt"));
        Assert.Equal("Unknown prompt: 'incidnt'; did you mean 'incident'?", await PromptErrorAsync(admin, "incidnt"));
        Assert.Equal("Unknown prompt: 'farewell'", await PromptErrorAsync(admin, "farewell"));
        Assert.Equal($"Unknown prompt: '{new string('g', 65)}'", await PromptErrorAsync(admin, new string('g', 65)));
        Assert.Equal($"Unknown prompt: '{new string('g', 128)}…[9872 more characters]'", await PromptErrorAsync(admin, new string('g', 10_000)));
    }

    /// <summary>
    /// A <c>resources/read</c> of a URI no resource or template matches names the resource it most likely meant, with the SDK's
    /// code for the client's protocol (−32002, or −32602 from 2026-07-28 on) and its <c>data.uri</c> — only a resource the
    /// caller may read, and never a template (its URI is not one to read).
    /// </summary>
    [Theory]
    [InlineData(ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateless, "2025-11-25")]
    [InlineData(ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateless, "2026-07-28")]
    [InlineData(ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateful, "2025-11-25")]
    public async Task AMisspelledResource_IsNamed_WhenTheCallerMayReadIt(ModelContextProtocol.AspNetCore.HttpServerSessionMode mode, string protocol)
    {
        await using var server = await StartAsync(mode);
        await using var reader = await server.ConnectAsync(new McpTestClientOptions { AccessToken = server.Token("notes:read"), ProtocolVersion = protocol }, TestContext.Current.CancellationToken);
        await using var board = await server.ConnectAsync(new McpTestClientOptions
        {
            AccessToken = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Scopes = ["notes:read"], Roles = ["board"] }),
            ProtocolVersion = protocol,
        }, TestContext.Current.CancellationToken);
        var code = protocol == "2026-07-28" ? McpErrorCode.InvalidParams : McpErrorCode.ResourceNotFound;

        Assert.Equal("Unknown resource URI: 'notes://notis'; did you mean 'notes://notice'?", await ResourceErrorAsync(reader, "notes://notis", code));
        Assert.Equal("Unknown resource URI: 'NOTES://Notic'; did you mean 'notes://notice'?", await ResourceErrorAsync(reader, "NOTES://Notic", code));
        Assert.Equal("Unknown resource URI: 'notes://bord'", await ResourceErrorAsync(reader, "notes://bord", code));
        Assert.Equal("Unknown resource URI: 'notes://bord'; did you mean 'notes://board'?", await ResourceErrorAsync(board, "notes://bord", code));
        Assert.Equal("Unknown resource URI: 'ledger://account/7'", await ResourceErrorAsync(board, "ledger://account/7", code));
        Assert.Equal("Unknown resource URI: 'notes://minutes'", await ResourceErrorAsync(board, "notes://minutes", code));

        if (mode == ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateless && protocol == "2025-11-25")
        {
            // The SDK's error data stays with the suggestion.
            using var http = server.CreateHttpClient();
            using var response = await SendAsync(http, """{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"notes://notis"}}""", server.Token("notes:read"));
            var error = Error(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.Equal("notes://notis", error.GetProperty("data").GetProperty("uri").GetString());
            Assert.EndsWith("did you mean 'notes://notice'?", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// URIs of up to 256 characters get a suggestion (the search's table then stays on the stack); a longer one gets none, even
    /// one edit away from a resource: the search costs the product of the two URIs' lengths for every resource.
    /// </summary>
    [Fact]
    public async Task AMisspelledLongUri_IsNamedUpTo256Characters()
    {
        var registered = "notes://" + new string('n', 248); // 256 characters
        var longResource = McpServerResource.Create(() => "Long.", new McpServerResourceCreateOptions { UriTemplate = registered, Name = "long", MimeType = "text/plain" });
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>().WithResources<GuardedResources>().WithMcpServer(mcp => mcp.WithResources([longResource])),
            authentication: true);
        await using var reader = await server.ConnectWithScopesAsync("notes:read"); // protocol 2026-07-28: −32602

        var substituted = registered[..^1] + "m"; // 256 characters, one edit away
        Assert.Equal($"Unknown resource URI: '{substituted}'; did you mean '{registered}'?", await ResourceErrorAsync(reader, substituted, McpErrorCode.InvalidParams));
        var appended = registered + "n"; // 257 characters, one edit away
        Assert.Equal($"Unknown resource URI: '{appended}'", await ResourceErrorAsync(reader, appended, McpErrorCode.InvalidParams));
    }

    private static Task<string> ResourceErrorAsync(ModelContextProtocol.Client.McpClient client, string uri, McpErrorCode code) =>
        RemoteErrorAsync(() => client.ReadResourceAsync(uri, cancellationToken: TestContext.Current.CancellationToken).AsTask(), code);

    private static Task<string> PromptErrorAsync(ModelContextProtocol.Client.McpClient client, string name) =>
        RemoteErrorAsync(() => client.GetPromptAsync(name, cancellationToken: TestContext.Current.CancellationToken).AsTask(), McpErrorCode.InvalidParams);

    /// <summary>The message of the error the server answered <paramref name="request"/> with, after checking its code.</summary>
    private static async Task<string> RemoteErrorAsync(Func<Task> request, McpErrorCode code)
    {
        var error = await Assert.ThrowsAsync<McpProtocolException>(request);
        Assert.Equal(code, error.ErrorCode);
        const string Prefix = "Request failed (remote): "; // the SDK client's words before the server's
        Assert.StartsWith(Prefix, error.Message, StringComparison.Ordinal);
        return error.Message[Prefix.Length..];
    }

    private static Task<McpTestServer> StartAsync(ModelContextProtocol.AspNetCore.HttpServerSessionMode mode = ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateless) => TestServer.StartAsync(
        b => b.WithTools<CalculatorTools>().WithPrompts<GreetingPrompts>().WithPrompts<GuardedPrompts>().WithResources<GuardedResources>(),
        o => o.SessionMode = mode,
        authentication: true);

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string json, string token)
    {
        var request = RequestGateTests.Post(json);
        request.Headers.Authorization = new("Bearer", token);
        return http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static JsonElement Error(string body) => JsonDocument.Parse(RequestGateTests.MessageOf(body)).RootElement.GetProperty("error").Clone();
}

[McpServerResourceType]
public sealed class GuardedResources
{
    [McpServerResource(UriTemplate = "notes://board", Name = "board", MimeType = "text/plain")]
    [Authorize(Roles = "board")]
    public static string Board() => "Board minutes.";

    [McpServerResource(UriTemplate = "notes://notice", Name = "notice", MimeType = "text/plain")]
    public static string Notice() => "Notice.";

    [McpServerResource(UriTemplate = "ledger://accounts/{id}", Name = "account", MimeType = "text/plain")]
    [RequireScopes("ledger:read")]
    public static string Account(int id) => $"Account {id}.";
}

[RequireScopes("incidents:admin")]
[McpServerPromptType]
public sealed class GuardedPrompts
{
    [McpServerPrompt(Name = "incident")]
    public static string Incident() => "Summarize the incident.";
}

[McpServerResourceType]
public sealed class ShiftResources
{
    [McpServerResource(UriTemplate = "logs://shift/{name}", Name = "shift-log", MimeType = "text/plain")]
    [NightShift]
    public static string Log(string name) => $"The {name} shift's log.";
}

/// <summary>A requirement that is its own handler (ASP.NET Core runs those without registration): only the night shift's log.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NightShiftAttribute : Attribute, IAuthorizationRequirementData
{
    public IEnumerable<IAuthorizationRequirement> GetRequirements() => [new NightShiftRequirement()];
}

public sealed class NightShiftRequirement : AuthorizationHandler<NightShiftRequirement>, IAuthorizationRequirement
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, NightShiftRequirement requirement)
    {
        if (context.Resource is null || (context.Resource is ReadResourceRequestParams read && read.Uri == "logs://shift/night"))
        {
            context.Succeed(requirement); // listing (no params), or the night shift's log
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, "Only the night shift's log may be read."));
        }

        return Task.CompletedTask;
    }
}

[McpServerPromptType]
public sealed class NamedPrompts
{
    [McpServerPrompt(Name = "résumé \"draft\"")]
    [RequireScopes("cv:read")]
    public static string Draft() => "Draft a résumé.";
}

[McpServerPromptType]
public sealed class PublicPrompts
{
    [McpServerPrompt(Name = "hello")]
    [AllowAnonymous]
    public static string Hello() => "Hello.";
}
