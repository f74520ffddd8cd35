using System.Net;
using System.Net.Http.Headers;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
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

        foreach (var key in new[] { other, unknown, "mcpk_", "mcpk_ci-bot", "mcpk_ci-bot_", "mcpk_" + new string('a', 10_000), "mcpk_ci-bot_ x", $"{other}, {unknown}" })
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
        var directory = Directory.CreateTempSubdirectory("mcps-apikeys-");
        var file = Path.Combine(directory.FullName, "apikeys.json");
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        await File.WriteAllTextAsync(file, $$"""{ "ci-bot": { "owner": "ci", "hash": "{{hash}}", "scopes": ["inventory:read"] } }""", TestContext.Current.CancellationToken);
        try
        {
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
        finally
        {
            directory.Delete(recursive: true);
        }
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
}
