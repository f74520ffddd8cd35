using System.Net;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Authorization;

public sealed class ToolAuthorizationTests
{
    [Fact]
    public async Task ToolsList_ShowsEachCallerOnlyTheToolsItMayCall()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>().WithTools<PublicTools>(), authentication: true);

        Assert.Equal(["ping"], await ListAsync(server, token: null));
        Assert.Equal(["ping", "read_stock"], await ListAsync(server, server.Token("inventory:read")));
        Assert.Equal(["ping", "read_stock", "write_stock"], await ListAsync(server, server.Token("inventory:read", "inventory:write", "inventory:audit")));
        Assert.Equal(["ping", "purge", "read_stock"], await ListAsync(server, TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Scopes = ["inventory:read"], Roles = ["admin"] })));
    }

    [Fact]
    public async Task ClassLevelScope_IsTheDefault_AndAMethodsOwnScopesReplaceIt()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true);

        // write_stock declares its own scopes, so the class default (inventory:read) is not needed.
        await using var client = await server.ConnectWithScopesAsync("inventory:write", "inventory:audit");
        var result = await client.CallToolAsync("write_stock", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("written", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public async Task AllowAnonymousTool_IsCallableWithoutAToken_OthersAreNot()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>().WithTools<PublicTools>(), authentication: true);
        await using var anonymous = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var pong = await anonymous.CallToolAsync("ping", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("pong", Assert.IsType<TextContentBlock>(Assert.Single(pong.Content)).Text);

        using var http = server.CreateHttpClient();
        using var response = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_stock"}}"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("resource_metadata=", response.Headers.WwwAuthenticate.Single().Parameter);
        Assert.Equal(0, server.Log().Count("read_stock"));
    }

    /// <summary>
    /// The SDK binds a ClaimsPrincipal parameter from the request's user, which it sets for authenticated callers only: a public
    /// tool taking the caller failed every anonymous call with an internal error ("No service of the requested type was found.").
    /// It gets an anonymous principal, as HttpContext.User is in ASP.NET Core.
    /// </summary>
    [Fact]
    public async Task APublicToolTakingTheCaller_GetsAnAnonymousPrincipal_WhenNoTokenIsSent()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CallerAwareTools>(), authentication: true);
        await using var anonymous = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var known = await server.ConnectWithScopesAsync("inventory:read");

        var unknownCaller = await anonymous.CallToolAsync("whoami", cancellationToken: TestContext.Current.CancellationToken);
        var knownCaller = await known.CallToolAsync("whoami", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("anonymous", Assert.IsType<TextContentBlock>(Assert.Single(unknownCaller.Content)).Text);
        Assert.NotEqual(true, unknownCaller.IsError);
        Assert.StartsWith("subject ", Assert.IsType<TextContentBlock>(Assert.Single(knownCaller.Content)).Text, StringComparison.Ordinal);
    }

    /// <summary>With authentication off, every caller is anonymous: prompts and resources taking the caller failed every call.</summary>
    [Fact]
    public async Task WithAuthenticationOff_ToolsPromptsAndResourcesTakingTheCaller_GetAnAnonymousPrincipal()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CallerAwareTools>().WithPrompts<CallerAwarePrompts>().WithResources<CallerAwareResources>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var tool = await client.CallToolAsync("whoami", cancellationToken: TestContext.Current.CancellationToken);
        var prompt = await client.GetPromptAsync("introduce", cancellationToken: TestContext.Current.CancellationToken);
        var resource = await client.ReadResourceAsync("me://profile", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("anonymous", Assert.IsType<TextContentBlock>(Assert.Single(tool.Content)).Text);
        Assert.Equal("Introduce the caller (anonymous).", Assert.IsType<TextContentBlock>(Assert.Single(prompt.Messages).Content).Text);
        Assert.Equal("Profile of anonymous.", Assert.IsType<TextResourceContents>(Assert.Single(resource.Contents)).Text);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"prompts/list"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"greet","arguments":{"name":"x"}}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"resources/list"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"notes://welcome"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"name","value":"a"}}}""")]
    public async Task OnePublicTool_DoesNotOpenResourcesPromptsOrCompletions_ToAnonymousCallers(string json)
    {
        // Before, a service with any [AllowAnonymous] tool answered every request other than a tool call without credentials.
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>().WithTools<PublicTools>().WithPrompts<GreetingPrompts>().WithResources<NoteResources>(), authentication: true);
        using var http = server.CreateHttpClient();

        using var refused = await http.SendAsync(RequestGateTests.Post(json), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("resource_metadata=", refused.Headers.WwwAuthenticate.Single().Parameter);

        // What an anonymous client needs to find and call the public tool still works.
        using var list = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var ping = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":3,"method":"ping"}"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);

        // With a token, the same request is served.
        using var authorized = RequestGateTests.Post(json);
        authorized.Headers.Authorization = new("Bearer", server.Token("inventory:read"));
        using var served = await http.SendAsync(authorized, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Role_Missing_IsAClearJsonRpcError_AndTheToolDoesNotRun()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true);
        await using var client = await server.ConnectWithScopesAsync("inventory:read");

        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("purge", cancellationToken: TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(McpServiceErrorCodes.Forbidden, (int)ex.ErrorCode);
        Assert.Contains("not allowed to call the tool 'purge'", ex.Message);
        Assert.Equal(0, server.Log().Count("purge"));
    }

    [Fact]
    public async Task AClassLevelAllowAnonymous_IsADefault_ThatAMethodsOwnRequirementsRefine()
    {
        // ASP.NET Core MVC lets [AllowAnonymous] on a class win over [Authorize] on its actions; for tools that opened the admin
        // tool of a public tool class to anyone. Here, as for scopes, the method's declaration refines the class default.
        await using var server = await TestServer.StartAsync(b => b.WithTools<MostlyPublicTools>().WithTools<MostlyProtectedTools>(), authentication: true);

        Assert.Equal(["hours", "status"], await ListAsync(server, token: null));
        Assert.Equal(["hours", "restock", "status"], await ListAsync(server, server.Token("inventory:write")));
        Assert.Equal(["hours", "shutdown", "status", "stock"], await ListAsync(server, TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Scopes = ["inventory:read"], Roles = ["admin", "clerk"] })));

        using var http = server.CreateHttpClient();
        foreach (var tool in new[] { "shutdown", "restock", "stock" })
        {
            using var anonymous = await http.SendAsync(RequestGateTests.Post($$$"""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"{{{tool}}}"}}"""), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        await using var noRole = await server.ConnectWithScopesAsync("inventory:read");
        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => noRole.CallToolAsync("shutdown", cancellationToken: TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(McpServiceErrorCodes.Forbidden, (int)refused.ErrorCode);

        await using var anonymousClient = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("9-17", Assert.IsType<TextContentBlock>(Assert.Single((await anonymousClient.CallToolAsync("hours", cancellationToken: TestContext.Current.CancellationToken)).Content)).Text);
        Assert.Equal("ok", Assert.IsType<TextContentBlock>(Assert.Single((await anonymousClient.CallToolAsync("status", cancellationToken: TestContext.Current.CancellationToken)).Content)).Text);
        Assert.Equal(0, server.Log().Count("shutdown") + server.Log().Count("restock") + server.Log().Count("stock"));
    }

    [Fact]
    public async Task AllowAnonymousAndRequirementsOnTheSameMethod_FailStartup_NamingTheTool()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<ContradictoryTools>(), authentication: true));

        Assert.StartsWith("The tool 'both' (McpServices.AspNetCore.Tests.TestTools.ContradictoryTools.Both) is marked [AllowAnonymous] and also requires scopes, roles or policies on the same method.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TypedArgumentPolicy_AllowsOwnWarehouse_RefusesOthersWithTheHandlersReason()
    {
        await using var server = await StartWarehouseServiceAsync();
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = AmsWarehouseToken(server) }, TestContext.Current.CancellationToken);

        var own = await client.CallToolAsync("move_stock", Args(new { transfer = new { warehouse = "ams-1", quantity = 5 } }), cancellationToken: TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("move_stock", Args(new { transfer = new { warehouse = "ber-1", quantity = 5 } }), cancellationToken: TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("moved 5 from ams-1", Assert.IsType<TextContentBlock>(Assert.Single(own.Content)).Text);
        Assert.Equal(McpServiceErrorCodes.Forbidden, (int)ex.ErrorCode);
        Assert.Contains("Only your own warehouse.", ex.Message);
        Assert.Equal(1, server.Log().Count("move_stock"));
    }

    [Fact]
    public async Task TypedArgumentPolicy_SeesAnIntegerWrittenWithAFraction_AsTheInteger()
    {
        // 5.0 is an integer to JSON Schema: the policy reads the typed argument, and the tool gets 5.
        await using var server = await StartWarehouseServiceAsync();
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = AmsWarehouseToken(server) }, TestContext.Current.CancellationToken);

        var own = await client.CallToolAsync("move_stock", JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"transfer":{"warehouse":"ams-1","quantity":5.0}}"""), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("moved 5 from ams-1", Assert.IsType<TextContentBlock>(Assert.Single(own.Content)).Text);
    }

    [Fact]
    public async Task TypedArgumentPolicy_IsEvaluatedForListing()
    {
        await using var server = await StartWarehouseServiceAsync();
        var owner = AmsWarehouseToken(server);
        var stranger = server.Token("stock:move");

        Assert.Equal(["move_stock"], await ListAsync(server, owner));
        Assert.Empty(await ListAsync(server, stranger));
    }

    [Fact]
    public async Task TypedArgumentPolicy_ArgumentOfTheWrongType_IsInvalidNotAnError()
    {
        await using var server = await StartWarehouseServiceAsync();
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = AmsWarehouseToken(server) }, TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("move_stock", Args(new { transfer = "ams-1" }), cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.Equal("transfer", result.StructuredContent!.Value.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("{}", "transfer", "The transfer field is required.")]
    [InlineData("""{"transfer":{"warehouse":"ams-1","quantity":"five"}}""", "transfer.quantity", "The value of transfer.quantity must be an integer from 1 to 100.")]
    public async Task TypedArgumentPolicy_ArgumentsThePolicyCannotRead_AreInvalid_NotForbidden(string arguments, string field, string message)
    {
        // The policy would refuse (it finds no warehouse), but the caller's mistake is the arguments: it is told which and why.
        await using var server = await StartWarehouseServiceAsync();
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = AmsWarehouseToken(server) }, TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("move_stock", JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments), cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        var error = result.StructuredContent!.Value.GetProperty("errors")[0];
        Assert.Equal((field, message), (error.GetProperty("field").GetString(), error.GetProperty("message").GetString()));
        var record = await server.Audit.WaitForToolAsync("move_stock", TestContext.Current.CancellationToken);
        Assert.Equal("invalid_arguments", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, server.Log().Count("move_stock"));
    }

    [Fact]
    public async Task TypedArgumentPolicy_RunsBeforeValidation_SoARefusedCallerLearnsNothingFromValidators()
    {
        // Well-formed arguments that break a validation rule (quantity out of [Range(1, 100)]), for another warehouse: refused,
        // not validated — validators may look data up, and a caller who may not call the tool must not learn from them.
        await using var server = await StartWarehouseServiceAsync();
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = AmsWarehouseToken(server) }, TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("move_stock", Args(new { transfer = new { warehouse = "ber-1", quantity = 500 } }), cancellationToken: TestContext.Current.CancellationToken).AsTask());

        Assert.Contains("Only your own warehouse.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigurationOverride_AddsScopes_WithoutARebuild()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b => b.Configuration["McpService:Authorization:Tools:read_stock:RequiredScopes:0"] = "inventory:audit",
            authentication: true);

        await AssertReadStockNeedsTheAuditScopeAsync(server);
    }

    /// <summary>
    /// Environment variables are written in capitals by convention (<c>MCPSERVICE__AUTHORIZATION__TOOLS__READ_STOCK__…</c>), and
    /// .NET configuration keys are case-insensitive: such settings stopped startup, naming tools "the service does not have".
    /// </summary>
    [Fact]
    public async Task ConfigurationOverrides_NameToolsInAnyCase_AsEnvironmentVariablesOftenDo()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b =>
            {
                b.Configuration["MCPSERVICE:AUTHORIZATION:TOOLS:READ_STOCK:REQUIREDSCOPES:0"] = "inventory:audit";
                b.Configuration["MCPSERVICE:TIMEOUTS:TOOLS:READ_STOCK"] = "00:00:07";
                b.Configuration["MCPSERVICE:RATELIMITS:TOOLS:READ_STOCK:PERMITSPERPERIOD"] = "3";
                b.Configuration["MCPSERVICE:RATELIMITS:TOOLS:READ_STOCK:PERIOD"] = "00:01:00";
            },
            authentication: true);

        await AssertReadStockNeedsTheAuditScopeAsync(server);
        var settings = server.Services.GetRequiredService<McpServiceSettings>().Current;
        Assert.Equal(TimeSpan.FromSeconds(7), settings.Timeouts.For("read_stock"));
        Assert.Equal(3, server.Services.GetRequiredService<ToolRateLimiter>().GetLimit("read_stock")?.PermitsPerPeriod);
    }

    [Fact]
    public async Task ConfigurationOverride_DisablesATool_AndTakesEffectOnReload()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true);
        await using var client = await server.ConnectWithScopesAsync("inventory:read");
        Assert.Contains("read_stock", (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.Name));

        // A platform team flips the switch in configuration (for example a ConfigMap); no restart.
        var configuration = (Microsoft.Extensions.Configuration.IConfigurationRoot)server.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        configuration["McpService:Authorization:Tools:read_stock:Disabled"] = "true";
        configuration.Reload();

        Assert.DoesNotContain("read_stock", (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.Name));
        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken).AsTask());
        Assert.Contains("is disabled", ex.Message);
        Assert.Equal(0, server.Log().Count("read_stock"));
    }

    [Theory]
    [InlineData("McpService:Audit:FailurePolicy", "Sometimes", "McpService:Audit:FailurePolicy is 'Sometimes', which is not one of: FailClosed, FailOpen.")]
    [InlineData("McpService:Authentication:ApiKeys:ci:Hash", "sha256:abc", "McpService:Authentication:ApiKeys:ci is not a usable API key")]
    [InlineData("McpService:RateLimits:Default:Period", "00:00:00", "McpService:RateLimits:Default:Period must be longer than zero")]
    [InlineData("McpService:Timeouts:Default", "-00:00:01", "McpService:Timeouts:Default must be between 00:00:00 (no limit) and one day")]
    [InlineData("McpService:Authorization:Tools:read_stock:RequiredScope:0", "inventory:admin", "Configuration has settings McpServices does not know: McpService:Authorization:Tools:read_stock:RequiredScope (did you mean RequiredScopes?)")]
    public async Task InvalidReload_IsRejected_AndTheServiceKeepsItsSettings(string key, string value, string message)
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true, configure: b => b.Logging.AddProvider(logs));
        await using var client = await server.ConnectWithScopesAsync("inventory:read");
        var configuration = (Microsoft.Extensions.Configuration.IConfigurationRoot)server.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();

        // One bad value in a reload (a ConfigMap edit) must neither crash the process nor half-apply: the whole reload is ignored.
        configuration["McpService:Authorization:Tools:read_stock:Disabled"] = "true";
        configuration[key] = value;
        configuration.Reload();

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.StartsWith("Reloaded McpService configuration is invalid and was ignored", StringComparison.Ordinal) && e.Message.Contains(message, StringComparison.Ordinal));
        Assert.Contains("read_stock", (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.Name));
        await client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task ConfigurationOverride_ForAnUnknownTool_FailsStartup()
    {
        var ex = await Assert.ThrowsAsync<McpServiceConfigurationException>(() => TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.Authorization.Tools["reed_stock"] = new McpToolAuthorizationOverride { Disabled = true },
            authentication: true));

        Assert.Contains("McpService:Authorization:Tools:reed_stock", ex.Message);
        Assert.Contains("read_stock", ex.Message);
    }

    [Fact]
    public async Task UnknownPolicyName_FailsStartup_NamingTheTool()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<WarehouseTools>(), authentication: true));

        Assert.Contains("move_stock", ex.Message);
        Assert.Contains("AddPolicy", ex.Message);
    }

    [Fact]
    public async Task AuthenticationOff_OutsideDevelopment_RequiresAcknowledgement()
    {
        var ex = await Assert.ThrowsAsync<McpServiceConfigurationException>(() => McpTestServer.StartAsync(
            b =>
            {
                b.Services.AddSingleton<InvocationLog>();
                b.AddMcpService(o => o.Authentication.Enabled = false).WithTools<CalculatorTools>();
            },
            environmentName: "Production",
            cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("McpService:Authentication:AcknowledgeUnauthenticated=true", ex.Message);

        await using var development = await McpTestServer.StartAsync(
            b =>
            {
                b.Services.AddSingleton<InvocationLog>();
                b.AddMcpService(o => o.Authentication.Enabled = false).WithTools<CalculatorTools>();
            },
            environmentName: "Development",
            cancellationToken: TestContext.Current.CancellationToken);
    }

    /// <summary>A call to <c>read_stock</c> with <c>inventory:read</c> only: refused with the step-up challenge for both scopes.</summary>
    private static async Task AssertReadStockNeedsTheAuditScopeAsync(McpTestServer server)
    {
        using var http = server.CreateHttpClient();
        using var request = RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_stock"}}""");
        request.Headers.Authorization = new("Bearer", server.Token("inventory:read"));
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("scope=\"inventory:audit inventory:read\"", response.Headers.WwwAuthenticate.Single().Parameter);
    }

    private static Task<McpTestServer> StartWarehouseServiceAsync() =>
        TestServer.StartAsync(
            b => b.WithTools<WarehouseTools>(),
            configure: b =>
            {
                b.Services.AddSingleton<IAuthorizationHandler, OwnWarehouseHandler>();
                b.Services.AddAuthorizationBuilder().AddPolicy("OwnWarehouse", p => p.AddRequirements(new OwnWarehouseRequirement()));
            },
            authentication: true);

    /// <summary>A token for moving stock whose caller owns the warehouse ams-1 (what the OwnWarehouse policy checks).</summary>
    private static string AmsWarehouseToken(McpTestServer server) =>
        TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Scopes = ["stock:move"], Claims = { ["warehouse"] = "ams-1" } });

    private static async Task<string[]> ListAsync(McpTestServer server, string? token)
    {
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = token }, TestContext.Current.CancellationToken);
        return (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.Name).ToArray();
    }

    private static Dictionary<string, object?> Args(object value) =>
        JsonSerializer.SerializeToElement(value).EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
}
