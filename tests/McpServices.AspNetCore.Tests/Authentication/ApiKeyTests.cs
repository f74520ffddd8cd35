using System.Net;
using System.Net.Http.Headers;
using System.Text;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Authentication;

public sealed class ApiKeyTests
{
    private const string CallRead = """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""";

    [Fact]
    public async Task ConfiguredKey_ViaHeaderOrBearer_AuthenticatesWithItsScopes()
    {
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.ApiKeys["ci-bot"] = new McpServiceApiKey { Owner = "ci", Hash = hash, Scopes = ["inventory:read"] }, authentication: true);

        await using var viaHeader = await server.ConnectAsync(new McpTestClientOptions { Headers = { ["X-API-Key"] = key } }, TestContext.Current.CancellationToken);
        await using var viaBearer = await server.ConnectAsync(new McpTestClientOptions { AccessToken = key }, TestContext.Current.CancellationToken);

        var result = await viaHeader.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("read", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal(["read_stock"], (await viaBearer.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.Name));
    }

    [Fact]
    public async Task UnknownKey_AndWrongSecret_Are401_InvalidToken()
    {
        var (_, hash) = ApiKeyStore.CreateKey("ci-bot");
        var (other, _) = ApiKeyStore.CreateKey("ci-bot");
        var (unknown, _) = ApiKeyStore.CreateKey("nobody");
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.ApiKeys["ci-bot"] = new McpServiceApiKey { Hash = hash, Scopes = ["inventory:read"] }, authentication: true);
        using var http = server.CreateHttpClient();

        foreach (var key in new[] { other, unknown, "mcpk_", "mcpk_ci-bot", "mcpk_ci-bot_", "mcpk_" + new string('a', 10_000), "mcpk_ci-bot_ x" })
        {
            using var request = RequestGateTests.Post(CallRead);
            request.Headers.TryAddWithoutValidation("X-API-Key", key);
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.Single().Parameter);
        }

        Assert.Equal(0, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task ARefusedKey_IsLoggedWithWhyItWasRefused_WithoutTheKey()
    {
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        var (rotated, _) = ApiKeyStore.CreateKey("ci-bot");
        var (unknown, _) = ApiKeyStore.CreateKey("nobody");
        var (revoked, revokedHash) = ApiKeyStore.CreateKey("old-bot");
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o =>
            {
                o.Authentication.ApiKeys["ci-bot"] = new McpServiceApiKey { Hash = hash, Scopes = ["inventory:read"] };
                o.Authentication.ApiKeys["old-bot"] = new McpServiceApiKey { Hash = revokedHash, Disabled = true };
            },
            configure: b => b.Logging.AddProvider(logs).AddFilter("McpServices", LogLevel.Debug),
            authentication: true);
        using var http = server.CreateHttpClient();
        (string Key, string Reason)[] cases =
        [
            (rotated, "The API key 'ci-bot' does not match its configured hash (a wrong secret, or a key replaced since)."),
            (unknown, "No API key 'nobody' is configured."),
            (revoked, "The API key 'old-bot' is revoked (Disabled)."),
            ("mcpk_ci-bot", "The API key is malformed: API keys have the form mcpk_<id>_<secret>."),
        ];

        foreach (var (presented, _) in cases)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(http, presented));
        }

        var refusals = logs.Entries.Where(e => e.EventId.Id == 4 && e.Message.StartsWith("MCP request refused with 401", StringComparison.Ordinal)).Select(e => e.Message).ToArray();
        Assert.Equal(cases.Select(c => $"MCP request refused with 401: {c.Reason}"), refusals);
        Assert.Equal(HttpStatusCode.OK, await CallAsync(http, key));
    }

    [Theory]
    [InlineData("invalid JWT")]
    [InlineData("valid JWT")]
    [InlineData("another key")]
    public async Task AKeyInItsHeader_AndABearerCredential_Are400_InvalidRequest_NeitherIsChosen(string bearer)
    {
        // Before, the key in its header won and the bearer credential was ignored, even an invalid or expired token, or the key of
        // another caller: who called depended on which header the service happened to read first.
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        var (otherKey, otherHash) = ApiKeyStore.CreateKey("other-bot");
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o =>
        {
            o.Authentication.ApiKeys["ci-bot"] = new McpServiceApiKey { Hash = hash, Scopes = ["inventory:read"] };
            o.Authentication.ApiKeys["other-bot"] = new McpServiceApiKey { Hash = otherHash, Scopes = ["inventory:read"] };
        }, authentication: true);
        using var http = server.CreateHttpClient();
        using var request = RequestGateTests.Post(CallRead);
        request.Headers.Add("X-API-Key", key);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer switch
        {
            "invalid JWT" => "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
            "valid JWT" => server.Token("inventory:read"),
            _ => otherKey,
        });

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("error=\"invalid_request\"", response.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        Assert.Contains("two credentials, the X-API-Key header and an Authorization: Bearer header", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(0, server.Log().Count("read_stock"));
        var record = await server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken);
        Assert.Equal(("invalid", "two_credentials"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal("anonymous", record.GetProperty("actor").GetProperty("authenticationMethod").GetString());
    }

    /// <summary>
    /// The same credential twice is two credentials as well (RFC 6750 §3.1 "repeats the same parameter"): two bearer headers were
    /// read as one token, the two joined by a comma, and refused as an invalid token (401), which sent clients to get a new one.
    /// </summary>
    [Theory]
    [InlineData("Authorization", "two Authorization: Bearer headers")]
    [InlineData("X-API-Key", "the X-API-Key header twice")]
    public async Task TheSameCredentialHeaderTwice_Is400_InvalidRequest(string header, string described)
    {
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o =>
            o.Authentication.ApiKeys["ci-bot"] = new McpServiceApiKey { Hash = hash, Scopes = ["inventory:read"] }, authentication: true);
        using var http = server.CreateHttpClient();
        using var request = RequestGateTests.Post(CallRead);
        // HttpClient joins the two values with a comma on one header line, as proxies do; on separate lines they arrive as two.
        var value = header == "Authorization" ? "Bearer " + server.Token("inventory:read") : key;
        request.Headers.TryAddWithoutValidation(header, [value, value]);

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("error=\"invalid_request\"", response.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        Assert.Contains($"two credentials, {described}; send one", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(0, server.Log().Count("read_stock"));
        var record = await server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken);
        Assert.Equal(("invalid", "two_credentials"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task RevokedKeyInConfiguration_Is401()
    {
        var (key, hash) = ApiKeyStore.CreateKey("old-bot");
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.ApiKeys["old-bot"] = new McpServiceApiKey { Hash = hash, Scopes = ["inventory:read"], Disabled = true }, authentication: true);
        using var http = server.CreateHttpClient();
        using var request = RequestGateTests.Post(CallRead);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task KeyRevokedInTheMountedSecretFile_StopsWorkingWithoutARestart()
    {
        using var keys = new KeysFile();
        var file = keys.Path;
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        await File.WriteAllTextAsync(file, $$"""{ "ci-bot": { "owner": "ci", "hash": "{{hash}}", "scopes": ["inventory:read"] } }""", TestContext.Current.CancellationToken);
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o =>
            {
                o.Authentication.ApiKeysFile = file;
                o.Authentication.ApiKeysReloadInterval = TimeSpan.FromMilliseconds(100);
            },
            authentication: true);
        using var http = server.CreateHttpClient();

        Assert.Equal(HttpStatusCode.OK, await CallAsync(http, key));

        // Kubernetes updates a mounted Secret by swapping the file; the key's entry is now disabled.
        await File.WriteAllTextAsync(file + ".new", $$"""{ "ci-bot": { "owner": "ci", "hash": "{{hash}}", "scopes": ["inventory:read"], "disabled": true } }""", TestContext.Current.CancellationToken);
        File.Move(file + ".new", file, overwrite: true);

        await WaitUntilAsync(async () => await CallAsync(http, key) == HttpStatusCode.Unauthorized);
        var ran = server.Log().Count("read_stock");
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(http, key));
        Assert.Equal(ran, server.Log().Count("read_stock"));
    }

    [Theory]
    [InlineData("configuration")]
    [InlineData("file")]
    public async Task AKeyRevokedInOneSource_IsRefused_WhileTheOtherStillHasIt(string revokedIn)
    {
        // The same key id in the mounted Secret and in configuration: before, the file's entry was the only one read, so a key
        // revoked in configuration (a ConfigMap edit) kept working while the Secret still had it.
        using var keys = new KeysFile();
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        await File.WriteAllTextAsync(keys.Path, $$"""{ "ci-bot": { "owner": "ci", "hash": "{{hash}}", "scopes": ["inventory:read"], "disabled": {{(revokedIn == "file" ? "true" : "false")}} } }""", TestContext.Current.CancellationToken);
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o =>
            {
                o.Authentication.ApiKeysFile = keys.Path;
                o.Authentication.ApiKeys["ci-bot"] = new McpServiceApiKey { Owner = "ci", Hash = hash, Scopes = ["inventory:read"], Disabled = revokedIn == "configuration" };
            },
            authentication: true);
        using var http = server.CreateHttpClient();

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(http, key));
        Assert.Equal(0, server.Log().Count("read_stock"));
    }

    /// <summary>
    /// A keys file written on Windows — a UTF-8 byte order mark (Notepad, PowerShell 5's <c>-Encoding utf8</c>) and CRLF line
    /// ends — is JSON like any other (as .NET's configuration files are): its keys work.
    /// </summary>
    [Fact]
    public async Task ASecretFileWithAByteOrderMarkAndCrlf_IsRead()
    {
        using var keys = new KeysFile();
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        await File.WriteAllBytesAsync(keys.Path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes($"{{\r\n  \"ci-bot\": {{ \"owner\": \"ci\", \"hash\": \"{hash}\", \"scopes\": [\"inventory:read\"] }}\r\n}}\r\n")], TestContext.Current.CancellationToken);
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.ApiKeysFile = keys.Path, authentication: true);
        using var http = server.CreateHttpClient();

        Assert.Equal(HttpStatusCode.OK, await CallAsync(http, key));
        Assert.Equal(1, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task UnusableEntriesInTheSecretFile_AreRefusedWithAReason_AndTheOtherKeysStillWork()
    {
        var ct = TestContext.Current.CancellationToken;
        using var file = new KeysFile();
        var keys = new[] { "good", "typo", "twice", "repeated-member", "wrong-type", "not-object" }.ToDictionary(id => id, ApiKeyStore.CreateKey);
        string Entry(string id, string extra = "") => $$"""{ "owner": "ci", "hash": "{{keys[id].Hash}}", "scopes": ["inventory:read"]{{extra}} }""";
        var content = string.Join(
            ",\n",
            $"\"good\": {Entry("good")}",
            $"// Revoked, but misspelled: the key must not keep working.\n\"typo\": {Entry("typo", ", \"disable\": true")}",
            $"\"twice\": {Entry("twice")}",
            $"\"twice\": {Entry("twice", ", \"disabled\": true")}",
            $"\"repeated-member\": {Entry("repeated-member", ", \"disabled\": true, \"Disabled\": false")}",
            $"\"wrong-type\": {Entry("wrong-type", ", \"disabled\": \"yes\"")}",
            $"\"not-object\": \"{keys["not-object"].Hash}\"");
        await File.WriteAllTextAsync(file.Path, "{\n" + content + ",\n}", ct);
        var logs = new CapturingLoggerProvider();
        await using var server = await StartWithKeysFileAsync(file.Path, logs);
        using var http = server.CreateHttpClient();

        Assert.Equal(HttpStatusCode.OK, await CallAsync(http, keys["good"].Key));
        foreach (var id in keys.Keys.Where(id => id != "good"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(http, keys[id].Key));
        }

        string Reason(string id) => Assert.Single(logs.Entries, e => e.EventId.Id == 43 && e.Message.Contains($"'{id}'", StringComparison.Ordinal)).Message;
        Assert.Contains("has 'disable' (did you mean Disabled?), which API keys do not have", Reason("typo"), StringComparison.Ordinal);
        Assert.Contains("the id is given more than once", Reason("twice"), StringComparison.Ordinal);
        Assert.Contains("Disabled", Reason("repeated-member"), StringComparison.Ordinal);
        Assert.Contains("its entry is not valid", Reason("wrong-type"), StringComparison.Ordinal);
        Assert.Contains("must be a JSON object", Reason("not-object"), StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 40 && e.Message.StartsWith("Loaded 1 API key(s)", StringComparison.Ordinal));
        Assert.All(logs.Entries, e => Assert.DoesNotContain(keys["good"].Key, e.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("[]", "not a JSON array")]
    [InlineData("{ \"a\": ", "LineNumber: 0")]
    public async Task ASecretFileThatIsNotAnObjectOfKeys_GivesNoKeys_AndSaysWhy(string content, string expected)
    {
        using var file = new KeysFile();
        await File.WriteAllTextAsync(file.Path, content, TestContext.Current.CancellationToken);
        var logs = new CapturingLoggerProvider();
        await using var server = await StartWithKeysFileAsync(file.Path, logs);

        var error = Assert.Single(logs.Entries, e => e.EventId.Id == 42);
        Assert.Contains("is not a JSON object of keys (", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The directory a Secret is mounted at, given instead of the keys file in it: the warning says so and names the files there,
    /// instead of "access to the path is denied".
    /// </summary>
    [Fact]
    public async Task ADirectoryGivenAsTheSecretFile_IsNamedAsSuch_WithTheFilesInIt()
    {
        using var file = new KeysFile();
        var directory = Path.GetDirectoryName(file.Path)!;
        await File.WriteAllTextAsync(file.Path, "{}", TestContext.Current.CancellationToken);
        var logs = new CapturingLoggerProvider();
        await using var server = await StartWithKeysFileAsync(directory, logs);

        var warning = Assert.Single(logs.Entries, e => e.EventId.Id == 41);
        Assert.Equal($"The API key file {directory} cannot be read (it is a directory: name the keys file in it — apikeys.json); no keys from it are accepted until it can.", warning.Message);
    }

    [Fact]
    public void Keys_AreStoredAsSha256Hashes()
    {
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");

        Assert.StartsWith("mcpk_ci-bot_", key);
        Assert.Matches("^sha256:[0-9a-f]{64}$", hash);
        Assert.Equal(hash, ApiKeyStore.HashOf(key));
        Assert.DoesNotContain(key[12..], hash);
    }

    private static Task<McpTestServer> StartWithKeysFileAsync(string file, CapturingLoggerProvider logs) =>
        TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.Authentication.ApiKeysFile = file,
            configure: b => b.Logging.AddProvider(logs).AddFilter("McpServices", LogLevel.Information),
            authentication: true);

    private static async Task<HttpStatusCode> CallAsync(HttpClient http, string key)
    {
        using var request = RequestGateTests.Post(CallRead);
        request.Headers.Add("X-API-Key", key);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Fail("Condition not met within 5 seconds.");
    }

    /// <summary>An API keys file, as a mounted Secret holds it, in a folder of its own that is deleted on dispose.</summary>
    private sealed class KeysFile : IDisposable
    {
        private readonly TemporaryFolder _folder = TemporaryFolder.Create("mcps-apikeys-");

        public string Path => System.IO.Path.Combine(_folder.FullName, "apikeys.json");

        public void Dispose() => _folder.Dispose();
    }
}
