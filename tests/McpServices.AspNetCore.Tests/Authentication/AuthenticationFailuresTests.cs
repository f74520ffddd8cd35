using System.Net;
using System.Net.Http.Headers;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>
/// Why a token was refused, in the service's log. A client gets the same 401 for every bad token; whoever runs the service
/// needs to know which check failed. IdentityModel's own messages hide the values (its PII switch is off) and, for the
/// audience McpServices checks itself, said only "Delegate returned false": a token minted for another port or path — the
/// most common mistake — looked like any other bad token.
/// </summary>
public sealed class AuthenticationFailuresTests
{
    private const string CallRead = """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""";

    [Fact]
    public async Task InDevelopment_ARefusedToken_IsLoggedAtInformation_SayingWhatIsWrongWithIt()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true, environment: "Development", configure: b => b.Logging.AddProvider(logs).AddFilter("McpServices", LogLevel.Debug));
        using var stranger = new McpTestTokenIssuer(TestServer.Issuer.Issuer);
        var endpoint = server.McpEndpoint.ToString().TrimEnd('/');
        (string Token, string Reason)[] cases =
        [
            (server.Token(t => t.Audience = "https://other.example.com/mcp"),
                $"The token's audience (aud) is 'https://other.example.com/mcp', but this service accepts tokens for '{endpoint}'"),
            (server.Token(t => { t.NotBefore = new DateTimeOffset(2026, 1, 2, 2, 4, 5, TimeSpan.Zero); t.Expires = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero); }),
                "The token expired at 2026-01-02T03:04:05Z"),
            (server.Token(t => { t.NotBefore = DateTimeOffset.UtcNow.AddDays(1); t.Expires = DateTimeOffset.UtcNow.AddDays(2); }),
                "The token is not valid before "),
            (server.Token(t => t.Issuer = "https://evil.example.com"),
                "The token's issuer (iss) 'https://evil.example.com' is not one this service accepts"),
            (stranger.CreateToken(server.McpEndpoint, "inventory:read"),
                "The token's signature does not match"),
        ];

        using var http = server.CreateHttpClient();
        foreach (var (token, _) in cases)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(http, token));
        }

        var refusals = logs.Entries.Where(IsRefusal).ToArray();
        Assert.Equal(cases.Length, refusals.Length);
        Assert.All(refusals, e => Assert.Equal(LogLevel.Information, e.Level));
        for (var i = 0; i < cases.Length; i++)
        {
            Assert.Contains(cases[i].Reason, refusals[i].Message, StringComparison.Ordinal);
            Assert.DoesNotContain("PII", refusals[i].Message, StringComparison.Ordinal);
            Assert.DoesNotContain(cases[i].Token, refusals[i].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OutsideDevelopment_ARefusedToken_IsLoggedAtDebug_WithTheTokensValuesCutAndPrintable()
    {
        // Anyone can send bad tokens: outside Development each refusal is Debug, so that they cannot fill the log.
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true, configure: b => b.Logging.AddProvider(logs).AddFilter("McpServices", LogLevel.Debug));
        using var http = server.CreateHttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(http, server.Token(t => t.Audience = "https://other.example.com/mcp")));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(http, server.Token(t => t.Audience = "https://x.example/mcp\ninfo: forged log line" + new string('a', 300))));

        var refusals = logs.Entries.Where(IsRefusal).ToArray();
        Assert.Equal(2, refusals.Length);
        Assert.All(refusals, r => Assert.Equal(LogLevel.Debug, r.Level));
        Assert.Contains("The token's audience (aud) is 'https://other.example.com/mcp'", refusals[0].Message, StringComparison.Ordinal);
        // A value from the token cannot start a log line of its own, nor make one long.
        Assert.Contains("'https://x.example/mcp?info: forged log line", refusals[1].Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusals[1].Message);
        Assert.Contains(new string('a', AuthenticationFailures.MaxValueLength - "https://x.example/mcp\ninfo: forged log line".Length) + "…'", refusals[1].Message, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> CallAsync(HttpClient http, string token)
    {
        using var request = RequestGateTests.Post(CallRead);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static bool IsRefusal((LogLevel Level, string Message, EventId EventId) entry) =>
        entry.EventId.Id == 4 && entry.Message.StartsWith("MCP request refused with 401", StringComparison.Ordinal);
}
