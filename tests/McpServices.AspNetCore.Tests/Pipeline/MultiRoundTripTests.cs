using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Pipeline;

/// <summary>Multi round-trip requests (SEP-2322, protocol 2026-07-28): input requests, protected request state, and their audit.</summary>
public sealed class MultiRoundTripTests
{
    [Fact]
    public async Task SdkClient_AnswersTheInputRequest_AndTheCallCompletes_EachRoundAudited()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<TransferTools>());
        var asked = new List<string>();
        await using var client = await server.ConnectAsync(new McpTestClientOptions
        {
            ProtocolVersion = "2026-07-28",
            Handlers = new McpClientHandlers
            {
                ElicitationHandler = (request, _) =>
                {
                    asked.Add(request!.Message);
                    return ValueTask.FromResult(new ElicitResult { Action = "accept", Content = new Dictionary<string, JsonElement> { ["ok"] = JsonSerializer.SerializeToElement(true) } });
                },
            },
        }, TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("transfer", new Dictionary<string, object?> { ["amount"] = 100 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("Transferred 100.", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal(["Transfer 100?"], asked);
        Assert.Equal(1, server.Log().Count("transfer"));
        await server.Audit.WaitForAsync(r => r.Outcome == "succeeded", cancellationToken: TestContext.Current.CancellationToken);
        var records = server.Audit.Records;
        Assert.Equal(["input_required", "succeeded"], records.Select(r => r.Outcome));
        var first = McpTestAuditSink.Parse(records[0]);
        Assert.Equal("input_required", first.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("Input requested: confirm.", first.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task AClientBefore2026OnAStatelessService_GetsTheSdksError_AndTheRecordSaysSo()
    {
        // The SDK can neither return the input requests to a 2025-11-25 client nor ask it for them without a session.
        await using var server = await TestServer.StartAsync(b => b.WithTools<TransferTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(Http.RequestGateTests.Post("""{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"transfer","arguments":{"amount":5}}}"""), TestContext.Current.CancellationToken);

        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var answer = JsonDocument.Parse(text.Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]);
        var error = answer.RootElement.GetProperty("error");
        Assert.Equal((int)McpErrorCode.InternalError, error.GetProperty("code").GetInt32());
        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "transfer", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(("failed", "input_required_unsupported"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(error.GetProperty("message").GetString(), record.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task TamperedRequestState_IsRefusedWithInvalidParams_AndTheToolDoesNotAct()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<TransferTools>());
        using var http = server.CreateHttpClient();

        var first = await CallAsync(http, """{"name":"transfer","arguments":{"amount":5}}""");
        var result = first.GetProperty("result");
        Assert.Equal("input_required", result.GetProperty("resultType").GetString());
        var state = result.GetProperty("requestState").GetString()!;

        var tampered = state[..^2] + (state[^2] == 'A' ? "B" : "A") + state[^1];
        var retry = await CallAsync(http, Confirmed(5, tampered));

        var error = retry.GetProperty("error");
        Assert.Equal((int)McpErrorCode.InvalidParams, error.GetProperty("code").GetInt32());
        Assert.StartsWith("The requestState is not valid", error.GetProperty("message").GetString());
        Assert.Equal(0, server.Log().Count("transfer"));
        await server.Audit.WaitForAsync(r => r.Outcome == "invalid", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["input_required", "invalid"], server.Audit.Records.Select(r => r.Outcome));
    }

    [Fact]
    public async Task RequestState_IsBoundToTheCaller_AnotherCallerCannotReplayIt()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<TransferTools>(), authentication: true);
        using var alice = server.CreateHttpClient();
        alice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "alice" }));
        using var mallory = server.CreateHttpClient();
        mallory.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "mallory" }));

        var first = await CallAsync(alice, """{"name":"transfer","arguments":{"amount":7}}""");
        var state = first.GetProperty("result").GetProperty("requestState").GetString();
        var answer = Confirmed(7, state!);

        var replayed = await CallAsync(mallory, answer);
        Assert.Equal((int)McpErrorCode.InvalidParams, replayed.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(0, server.Log().Count("transfer"));

        var completed = await CallAsync(alice, answer);
        Assert.Equal("Transferred 7.", completed.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task RequestState_IsBoundToTheIssuerToo_TheSameSubjectFromAnotherTrustedIssuerCannotReplayIt()
    {
        // A subject is unique only within its issuer: a service that trusts two identity providers must not take the other
        // provider's "alice" for this one's (nor give them one rate-limit bucket).
        using var partner = new McpTestTokenIssuer("https://partner-idp.mcpservices.test");
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<TransferTools>(),
            configure: b => b.Services.PostConfigure<JwtBearerOptions>(McpServiceAuthenticationDefaults.BearerScheme, o =>
            {
                o.Configuration!.SigningKeys.Add(partner.SigningKey);
                o.TokenValidationParameters.ValidIssuers = [TestServer.Issuer.Issuer, partner.Issuer];
                o.TokenValidationParameters.IssuerSigningKeys = [TestServer.Issuer.SigningKey, partner.SigningKey];
            }),
            authentication: true);
        using var alice = server.CreateHttpClient();
        alice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "alice" }));
        using var otherAlice = server.CreateHttpClient();
        otherAlice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", partner.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "alice" }));

        var first = await CallAsync(alice, """{"name":"transfer","arguments":{"amount":7}}""");
        var answer = Confirmed(7, first.GetProperty("result").GetProperty("requestState").GetString()!);

        var replayed = await CallAsync(otherAlice, answer);
        Assert.Equal((int)McpErrorCode.InvalidParams, replayed.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(0, server.Log().Count("transfer"));

        var completed = await CallAsync(alice, answer);
        Assert.Equal("Transferred 7.", completed.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task RequestStateProtector_RejectsExpiredState_AndStateForAnotherPurpose()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<TransferTools>());
        var states = server.Services.GetRequiredService<IMcpRequestStateProtector>();

        var protectedState = states.Protect("one", "payload");
        Assert.Equal("payload", states.Unprotect("one", protectedState));
        Assert.DoesNotContain("payload", protectedState, StringComparison.Ordinal);
        Assert.Equal(McpErrorCode.InvalidParams, Assert.Throws<McpProtocolException>(() => states.Unprotect("two", protectedState)).ErrorCode);
        Assert.Throws<McpProtocolException>(() => states.Unprotect("one", "not-a-state"));

        var shortLived = states.Protect("one", "payload", TimeSpan.FromMilliseconds(1));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Throws<McpProtocolException>(() => states.Unprotect("one", shortLived));
        Assert.Throws<ArgumentOutOfRangeException>(() => states.Protect("one", "payload", TimeSpan.Zero));
    }

    /// <summary>
    /// Two replicas of one service: each has a key ring of its own, as pods do when nothing shares it. A multi round-trip call
    /// whose retry reaches the other replica completes when the replicas share <c>McpService:RequestState:Keys</c>, and is refused
    /// without them (the failure the shared keys exist for).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestState_IssuedByOneReplica_IsReadByAnother_WhenTheyShareKeys(bool sharedKeys)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var first = await ReplicaAsync(sharedKeys ? [key] : []);
        await using var second = await ReplicaAsync(sharedKeys ? [key] : []);
        using var toFirst = first.CreateHttpClient();
        using var toSecond = second.CreateHttpClient();

        var asked = await CallAsync(toFirst, """{"name":"transfer","arguments":{"amount":12}}""");
        var state = asked.GetProperty("result").GetProperty("requestState").GetString()!;
        var retried = await CallAsync(toSecond, Confirmed(12, state));

        if (sharedKeys)
        {
            Assert.StartsWith("mcs1.", state, StringComparison.Ordinal);
            Assert.Equal("Transferred 12.", retried.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
            Assert.Equal(1, second.Log().Count("transfer"));
        }
        else
        {
            Assert.Equal((int)McpErrorCode.InvalidParams, retried.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal(0, second.Log().Count("transfer"));
        }
    }

    [Fact]
    public async Task RequestStateKeys_Rotate_TheOldKeyStillReads_UntilItIsRemoved()
    {
        var (oldKey, newKey) = (Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        await using var before = await ReplicaAsync([oldKey]);
        await using var during = await ReplicaAsync([newKey, oldKey]);
        await using var after = await ReplicaAsync([newKey]);
        var issuedBefore = before.Services.GetRequiredService<IMcpRequestStateProtector>().Protect("rotation", "issued before");
        var issuedDuring = during.Services.GetRequiredService<IMcpRequestStateProtector>().Protect("rotation", "issued during");

        Assert.Equal("issued before", during.Services.GetRequiredService<IMcpRequestStateProtector>().Unprotect("rotation", issuedBefore));
        Assert.Equal("issued during", after.Services.GetRequiredService<IMcpRequestStateProtector>().Unprotect("rotation", issuedDuring));
        // A replica that does not have the new key yet cannot read what it protects: every replica gets the new key (second)
        // before any puts it first.
        Assert.Throws<McpProtocolException>(() => before.Services.GetRequiredService<IMcpRequestStateProtector>().Unprotect("rotation", issuedDuring));
        Assert.Equal(McpErrorCode.InvalidParams, Assert.Throws<McpProtocolException>(() => after.Services.GetRequiredService<IMcpRequestStateProtector>().Unprotect("rotation", issuedBefore)).ErrorCode);
    }

    [Fact]
    public async Task RequestStateKeys_RefuseAlteredState_AnotherPurpose_AnotherCaller_AndExpiredState()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var server = await ReplicaAsync([key], authentication: true);
        var protector = (McpRequestStateProtector)server.Services.GetRequiredService<IMcpRequestStateProtector>();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        protector.Time = clock;
        var accessor = server.Services.GetRequiredService<IHttpContextAccessor>();
        HttpContext As(string subject) => new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new("iss", "https://issuer.example"), new("sub", subject)], "Bearer")),
        };

        accessor.HttpContext = As("alice");
        var state = protector.Protect("transfer", "12", TimeSpan.FromMinutes(1));
        Assert.Equal("12", protector.Unprotect("transfer", state));
        var altered = state[..^3] + (state[^3] == 'A' ? 'B' : 'A') + state[^2..];

        foreach (var (purpose, value, caller) in new[] { ("transfer", altered, "alice"), ("refund", state, "alice"), ("transfer", state, "mallory"), ("transfer", "mcs1.AAAA", "alice"), ("transfer", "mcs1.!!", "alice") })
        {
            accessor.HttpContext = As(caller);
            var refused = Assert.Throws<McpProtocolException>(() => protector.Unprotect(purpose, value));
            Assert.Equal(McpErrorCode.InvalidParams, refused.ErrorCode);
        }

        accessor.HttpContext = As("alice");
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Throws<McpProtocolException>(() => protector.Unprotect("transfer", state));
        accessor.HttpContext = null;
    }

    [Theory]
    [InlineData("c2hvcnQ=")]
    [InlineData("not base64 at all")]
    public async Task ARequestStateKeyThatIsNot32Bytes_FailsStartup_WithoutShowingTheValue(string key)
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => ReplicaAsync(["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", key]));

        Assert.Equal(["McpService:RequestState:Keys:1 is not a key: give the base64 of 32 random bytes (for example from 'openssl rand -base64 32')."], refused.Failures);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task WithoutSharedKeys_OutsideDevelopment_TheFirstProtectedStateWarnsOnce(bool keys, bool warns)
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<TransferTools>(),
            o => o.RequestState.Keys = keys ? [Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))] : [],
            configure: b => b.Logging.AddProvider(logs));
        var protector = server.Services.GetRequiredService<IMcpRequestStateProtector>();

        protector.Protect("one", "state");
        protector.Protect("one", "state");

        Assert.Equal(warns ? 1 : 0, logs.Entries.Count(e => e.EventId.Id == 61));
    }

    /// <summary>A replica: the transfer tool, a Data Protection key ring of its own, and <paramref name="keys"/> as <c>McpService:RequestState:Keys</c>.</summary>
    private static async Task<McpTestServer> ReplicaAsync(string[] keys, bool authentication = false)
    {
        var keyRing = TemporaryFolder.Create("mcps-keyring-");
        try
        {
            var server = await TestServer.StartAsync(
                b => b.WithTools<TransferTools>(),
                o => o.RequestState.Keys = keys,
                configure: b => b.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keyRing.FullName)),
                authentication: authentication);
            server.App.Lifetime.ApplicationStopped.Register(keyRing.Dispose);
            return server;
        }
        catch
        {
            keyRing.Dispose(); // a replica refused at startup (invalid keys) never stops
            throw;
        }
    }

    [Fact]
    public async Task UnknownResource_ErrorCarriesTheRequestedUri()
    {
        await using var server = await TestServer.StartAsync(b => b.WithResources<NoteResources>());
        using var http = server.CreateHttpClient();

        var response = await SendAsync(http, "resources/read", "notes://missing", """{"uri":"notes://missing"}""");

        var error = response.GetProperty("error");
        Assert.Equal((int)McpErrorCode.InvalidParams, error.GetProperty("code").GetInt32());
        Assert.Equal("notes://missing", error.GetProperty("data").GetProperty("uri").GetString());
    }

    /// <summary>The retry of <c>transfer</c>: the confirmation and the echoed state.</summary>
    private static string Confirmed(int amount, string state) =>
        $$"""{"name":"transfer","arguments":{"amount":{{amount}}},"requestState":"{{state}}","inputResponses":""" + """{"confirm":{"action":"accept","content":{"ok":true}}}}""";

    private static Task<JsonElement> CallAsync(HttpClient http, string parameters) =>
        SendAsync(http, "tools/call", "transfer", parameters);

    /// <summary>A 2026-07-28 request as a client sends it: per-request <c>_meta</c> and the <c>Mcp-Method</c>/<c>Mcp-Name</c> headers.</summary>
    private static async Task<JsonElement> SendAsync(HttpClient http, string method, string name, string parameters)
    {
        const string Meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}";
        var body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":{" + Meta + "," + parameters[1..] + "}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", method);
        request.Headers.Add("Mcp-Name", name);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var json = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? text.Split('\n').Last(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]
            : text;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
