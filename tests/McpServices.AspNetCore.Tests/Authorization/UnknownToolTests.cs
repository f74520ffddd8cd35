using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;

namespace McpServices.AspNetCore.Tests.Authorization;

/// <summary>
/// A call to a tool the service does not have names the tool it most likely meant — only one the caller may see: a suggestion
/// must not reveal a tool that <c>tools/list</c> hides from this caller (its scopes, roles or a disabled tool).
/// </summary>
public sealed class UnknownToolTests
{
    [Theory]
    [InlineData(HttpServerSessionMode.Stateless)]
    [InlineData(HttpServerSessionMode.Stateful)]
    public async Task AMisspelledTool_IsNamed_WhenTheCallerMaySeeIt(HttpServerSessionMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.SessionMode = mode, authentication: true);
        await using var reader = await server.ConnectWithScopesAsync("inventory:read");
        await using var writer = await server.ConnectWithScopesAsync("inventory:read", "inventory:write", "inventory:audit");
        await using var admin = await server.ConnectAsync(new McpTestClientOptions
        {
            AccessToken = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Scopes = ["inventory:read"], Roles = ["admin"] }),
        }, ct);

        Assert.Equal("Unknown tool: 'Read_Stock'; did you mean 'read_stock'?", await ErrorAsync(reader, "Read_Stock"));
        Assert.Equal("Unknown tool: 'read_stocks'; did you mean 'read_stock'?", await ErrorAsync(reader, "read_stocks"));

        // write_stock needs scopes this caller lacks, purge a role: tools/list hides them, and so does the error.
        Assert.Equal("Unknown tool: 'write_stok'.", await ErrorAsync(reader, "write_stok"));
        Assert.Equal("Unknown tool: 'purg'.", await ErrorAsync(reader, "purg"));
        Assert.Equal("Unknown tool: 'write_stok'; did you mean 'write_stock'?", await ErrorAsync(writer, "write_stok"));
        Assert.Equal("Unknown tool: 'purg'; did you mean 'purge'?", await ErrorAsync(admin, "purg"));

        // Nothing close, or a name too long to compare: the SDK's words alone.
        Assert.Equal("Unknown tool: 'restock'.", await ErrorAsync(writer, "restock"));
        var longName = new string('r', 65);
        Assert.Equal($"Unknown tool: '{longName}'.", await ErrorAsync(writer, longName));

        // A name longer than MCP allows (128 characters) is not echoed whole: a caller's name may be a megabyte long.
        var hugeName = new string('h', 10_000); // within Kestrel's header limit: a 2026-07-28 client sends it in Mcp-Name too
        Assert.Equal($"Unknown tool: '{new string('h', 128)}…[9872 more characters]'.", await ErrorAsync(writer, hugeName));
        Assert.Equal($"Unknown tool: '{new string('h', 128)}'.", await ErrorAsync(writer, new string('h', 128)));

        // The audit record carries what the caller was told.
        var record = await server.Audit.WaitForAsync(r => r.Tool == "read_stocks", cancellationToken: ct);
        Assert.Equal(("invalid", "unknown_tool"), (record.Outcome, record.ErrorCode));
        Assert.Equal("Unknown tool: 'read_stocks'; did you mean 'read_stock'?", McpTestAuditSink.Parse(record).GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task ADisabledTool_IsNotSuggested()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.Authorization.Tools["read_stock"] = new McpToolAuthorizationOverride { Disabled = true },
            authentication: true);
        await using var client = await server.ConnectWithScopesAsync("inventory:read");

        Assert.Equal("Unknown tool: 'read_stok'.", await ErrorAsync(client, "read_stok"));
    }

    private static async Task<string> ErrorAsync(ModelContextProtocol.Client.McpClient client, string tool)
    {
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync(tool, cancellationToken: TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(McpErrorCode.InvalidParams, error.ErrorCode);
        const string Prefix = "Request failed (remote): "; // the SDK client's words before the server's
        Assert.StartsWith(Prefix, error.Message, StringComparison.Ordinal);
        return error.Message[Prefix.Length..];
    }
}
