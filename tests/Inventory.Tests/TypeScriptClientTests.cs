using System.Text.Json;
using McpServices.Testing;
using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>The official MCP TypeScript SDK client (npm @modelcontextprotocol/sdk) against the sample.</summary>
public sealed class TypeScriptClientTests
{
    [Fact]
    public async Task TypeScriptSdkClient_ListsAndCallsTools()
    {
        await using var factory = new InventoryFactory();
        var plan = JsonSerializer.Serialize(new
        {
            url = factory.McpEndpoint.ToString(),
            token = factory.Token(new McpTestToken { Scopes = ["inventory:read", "inventory:write"], Claims = { ["warehouse"] = "ams-1" } }),
            calls = new object[]
            {
                new { name = "get_stock", arguments = new { sku = "HAM-0001", warehouse = "ams-1" } },
                new { name = "search_products", arguments = new { query = "hammer" } },
                new { name = "adjust_stock", arguments = new { adjustment = new { sku = "HAM-0001", warehouse = "ams-1", delta = 0, reason = "x" } } },
                new { name = "search_products", arguments = new { query = "hammer", limit = 0 } },
            },
        });

        var result = await InteropTools.RunNodeAsync("ts-client.mjs", [plan], cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.Describe());
        using var output = JsonDocument.Parse(result.StandardOutput);
        var root = output.RootElement;
        Assert.False(root.TryGetProperty("error", out _), result.StandardOutput);
        Assert.Equal("inventory", root.GetProperty("serverInfo").GetProperty("name").GetString());
        Assert.Equal(["adjust_stock", "get_stock", "search_products"], root.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));

        var results = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal("HAM-0001", results[0].GetProperty("structuredContent").GetProperty("sku").GetString());
        Assert.True(results[1].GetProperty("structuredContent").GetProperty("totalMatches").GetInt32() >= 2);

        // An invalid call is a tool result with isError and the failing fields, readable by the TypeScript client.
        Assert.True(results[2].GetProperty("isError").GetBoolean());
        Assert.Equal(["adjustment.reason", "adjustment.delta"], results[2].GetProperty("structuredContent").GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));

        // For a tool with an output schema, the errors travel in _meta so the client's output-schema validation still passes.
        Assert.True(results[3].GetProperty("isError").GetBoolean(), results[3].ToString());
        Assert.Equal("limit", results[3].GetProperty("_meta").GetProperty("io.mcpservices/errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task TypeScriptSdkClient_GetsThe401Challenge_DiscoversMetadata_ThenCallsWithATokenFromTheIssuer()
    {
        var agent = new OidcTestClient("inventory-agent", "s3cret", ["inventory:read", "inventory:write"], new Dictionary<string, string> { ["warehouse"] = "ams-1" });
        await using var issuer = await OidcTestIssuer.StartAsync([agent], ["inventory:read", "inventory:write"], cancellationToken: TestContext.Current.CancellationToken);
        await using var factory = new InventoryFactory(issuer.Authority);
        var plan = JsonSerializer.Serialize(new
        {
            url = factory.McpEndpoint.ToString(),
            clientId = agent.ClientId,
            clientSecret = agent.Secret,
            scope = "inventory:read inventory:write",
            calls = new object[]
            {
                new { name = "get_stock", arguments = new { sku = "DRL-0001" } },
                new { name = "adjust_stock", arguments = new { adjustment = new { sku = "DRL-0001", warehouse = "ams-1", delta = 3, reason = "goods received" } } },
                new { name = "adjust_stock", arguments = new { adjustment = new { sku = "DRL-0001", warehouse = "nyc-1", delta = 3, reason = "goods received" } } },
            },
        });

        var result = await InteropTools.RunNodeAsync("ts-oauth-client.mjs", [plan], cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.Describe());
        using var output = JsonDocument.Parse(result.StandardOutput);
        var root = output.RootElement;
        Assert.False(root.TryGetProperty("error", out var error), error.ToString() + "\n" + result.StandardOutput);

        // 1. The challenge.
        Assert.Equal(401, root.GetProperty("challenge").GetProperty("status").GetInt32());
        var metadataUrl = new Uri(factory.BaseAddress, ".well-known/oauth-protected-resource/mcp").ToString();
        Assert.Contains($"resource_metadata=\"{metadataUrl}\"", root.GetProperty("challenge").GetProperty("wwwAuthenticate").GetString());

        // 2. The client followed it: protected resource metadata, then the issuer's metadata and token endpoint.
        var requests = root.GetProperty("requests").EnumerateArray().Select(r => r.GetString()!).ToArray();
        Assert.Contains(metadataUrl, requests);
        Assert.Contains(requests, r => r.StartsWith(issuer.Authority, StringComparison.Ordinal) && r.Contains("/.well-known/", StringComparison.Ordinal));
        Assert.Contains(issuer.TokenEndpoint.ToString(), requests);
        Assert.True(root.GetProperty("tokenObtained").GetBoolean());

        // 3. Then it succeeded, within what the token allows.
        Assert.Equal(["adjust_stock", "get_stock", "search_products"], root.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        var results = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal("DRL-0001", results[0].GetProperty("structuredContent").GetProperty("sku").GetString());
        Assert.False(results[1].TryGetProperty("isError", out var isError) && isError.GetBoolean(), results[1].ToString());
        Assert.Contains("own warehouse", results[2].GetProperty("error").GetProperty("message").GetString());
    }
}
