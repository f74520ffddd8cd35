using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>
/// The MCP Inspector CLI (npm <c>@modelcontextprotocol/inspector-cli</c>) against the sample with authentication on. The Inspector
/// has no OAuth client of its own: it takes headers. So the test plays the agent platform around it: the Inspector's call without a
/// token meets the 401 challenge, the platform follows the challenge to the protected-resource metadata and the issuer, and the
/// Inspector then lists and calls tools with the token it obtained.
/// </summary>
public sealed partial class InspectorCliTests
{
    private static readonly string[] Scopes = ["inventory:read", "inventory:write"];

    [Fact]
    public async Task InspectorCli_GetsThe401_ThenListsAndCallsToolsWithATokenDiscoveredFromTheChallenge()
    {
        var agent = new OidcTestClient("inspector", "s3cret", Scopes, new Dictionary<string, string> { ["warehouse"] = "ams-1" });
        await using var issuer = await OidcTestIssuer.StartAsync([agent], Scopes, cancellationToken: TestContext.Current.CancellationToken);
        await using var factory = new InventoryFactory(issuer.Authority);
        var url = factory.McpEndpoint.ToString();

        // 1. Without a token, the Inspector is refused with the challenge.
        var refused = await InspectAsync(url, null, "--method", "tools/list");
        Assert.NotEqual(0, refused.ExitCode);
        // The Inspector prints the body of the 401: McpServices' documented error (-32040) pointing at WWW-Authenticate.
        Assert.Contains("\"code\":-32040", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate", refused.StandardError, StringComparison.Ordinal);

        // 2. The platform follows the challenge: resource metadata → authorization server → token for this resource.
        var token = await DiscoverAndRequestTokenAsync(factory.McpEndpoint, agent);

        // 3. With the token, the Inspector lists and calls tools.
        var listed = await InspectAsync(url, token, "--method", "tools/list");
        Assert.True(listed.ExitCode == 0, listed.Describe());
        using (var tools = JsonDocument.Parse(listed.StandardOutput))
        {
            Assert.Equal(["adjust_stock", "get_stock", "search_products"], tools.RootElement.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        }

        var called = await InspectAsync(url, token, "--method", "tools/call", "--tool-name", "get_stock", "--tool-arg", "sku=HAM-0001");
        Assert.True(called.ExitCode == 0, called.Describe());
        using (var call = JsonDocument.Parse(called.StandardOutput))
        {
            Assert.False(call.RootElement.TryGetProperty("isError", out var isError) && isError.GetBoolean());
            Assert.Equal("HAM-0001", call.RootElement.GetProperty("structuredContent").GetProperty("sku").GetString());
        }

        // An invalid argument is a tool result the Inspector shows, not a transport failure.
        var invalid = await InspectAsync(url, token, "--method", "tools/call", "--tool-name", "get_stock", "--tool-arg", "sku=nope");
        Assert.True(invalid.ExitCode == 0, invalid.Describe());
        using (var call = JsonDocument.Parse(invalid.StandardOutput))
        {
            Assert.True(call.RootElement.GetProperty("isError").GetBoolean());
        }
    }

    [Fact]
    public async Task InspectorCli_WithATokenLackingTheToolsScope_IsRefusedWithInsufficientScope()
    {
        var reader = new OidcTestClient("reader", "s3cret", ["inventory:read"]);
        await using var issuer = await OidcTestIssuer.StartAsync([reader], Scopes, cancellationToken: TestContext.Current.CancellationToken);
        await using var factory = new InventoryFactory(issuer.Authority);
        var token = await issuer.RequestTokenAsync(reader.ClientId, reader.Secret, factory.McpEndpoint.ToString(), "inventory:read");

        var result = await InspectAsync(factory.McpEndpoint.ToString(), token, "--method", "tools/call", "--tool-name", "adjust_stock", "--tool-arg", """adjustment={"sku":"HAM-0001","warehouse":"ams-1","delta":1,"reason":"count"}""");

        Assert.NotEqual(0, result.ExitCode);
        // The body of the 403: the documented error (-32046) naming the missing scope.
        Assert.Contains("\"code\":-32046", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("\"missingScopes\":[\"inventory:write\"]", result.StandardError, StringComparison.Ordinal);
    }

    private static Task<ProcessResult> InspectAsync(string url, string? token, params string[] arguments)
    {
        // The Inspector resolves ../package.json from its working directory: run it from inside the npm project.
        var cli = Path.Combine(InteropTools.Directory, "node_modules", "@modelcontextprotocol", "inspector-cli", "build", "index.js");
        string[] auth = token is null ? [] : ["--header", $"Authorization: Bearer {token}"];
        return ProcessRunner.RunAsync(
            InteropTools.Node,
            [cli, url, "--transport", "http", .. auth, .. arguments],
            Path.Combine(InteropTools.Directory, "node_modules"),
            timeout: TimeSpan.FromMinutes(1),
            cancellationToken: TestContext.Current.CancellationToken);
    }

    /// <summary>What an agent platform does with the challenge (RFC 9728, RFC 8414 / OpenID discovery, RFC 8707).</summary>
    private static async Task<string> DiscoverAndRequestTokenAsync(Uri endpoint, OidcTestClient client)
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient();
        using var probe = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", Encoding.UTF8, "application/json"),
        };
        probe.Headers.Accept.ParseAdd("application/json");
        probe.Headers.Accept.ParseAdd("text/event-stream");
        using var challenge = await http.SendAsync(probe, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        var metadataUrl = ResourceMetadata().Match(challenge.Headers.WwwAuthenticate.ToString()).Groups["url"].Value;

        using var metadata = JsonDocument.Parse(await http.GetStringAsync(new Uri(metadataUrl), ct));
        var resource = metadata.RootElement.GetProperty("resource").GetString()!;
        var authority = metadata.RootElement.GetProperty("authorization_servers")[0].GetString()!;
        using var discovery = JsonDocument.Parse(await http.GetStringAsync(new Uri(authority.TrimEnd('/') + "/.well-known/openid-configuration"), ct));
        var tokenEndpoint = discovery.RootElement.GetProperty("token_endpoint").GetString()!;

        using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["scope"] = string.Join(' ', metadata.RootElement.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString())),
                ["resource"] = resource,
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.ClientId}:{client.Secret}")));
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, body);
        using var token = JsonDocument.Parse(body);
        return token.RootElement.GetProperty("access_token").GetString()!;
    }

    [GeneratedRegex("resource_metadata=\"(?<url>[^\"]+)\"")]
    private static partial Regex ResourceMetadata();
}
