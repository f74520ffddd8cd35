using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;

namespace McpServices.AspNetCore.Tests.Auditing;

/// <summary>
/// A record's <c>error.message</c> is the message the caller received (audit.md): whoever reads the trail after a complaint
/// sees what the client was told, word for word — the JSON-RPC error's message, or the text of an <c>isError</c> result.
/// </summary>
public sealed class RecordedMessageTests
{
    [Fact]
    public async Task EveryRefusalAndFailure_IsRecordedWithTheMessageTheCallerReceived()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>().WithTools<CalculatorTools>().WithTools<FailingTools>(),
            o => o.RateLimits.Tools["read_stock"] = new McpRateLimit { PermitsPerPeriod = 1, Period = TimeSpan.FromHours(1) },
            authentication: true);
        using var http = server.CreateHttpClient();
        var token = server.Token("inventory:read");
        var noScope = server.Token("other:scope");
        var id = 0;
        string Call(string tool, string arguments) => $$$"""{"jsonrpc":"2.0","id":{{{++id}}},"method":"tools/call","params":{"name":"{{{tool}}}","arguments":{{{arguments}}}}}""";

        (string Body, string? Bearer, string? Origin)[] calls =
        [
            (Call("read_stock", "{}"), token, null),                       // succeeded, and uses up the rate limit
            (Call("read_stock", "{}"), token, null),                       // rate_limited
            (Call("add", """{"a":"forty"}"""), token, null),              // invalid_arguments
            (Call("add", """{"a":40,"c":2}"""), token, null),             // invalid_arguments (unknown argument)
            (Call("subtract", "{}"), token, null),                         // unknown_tool
            (Call("write_stock", "{}"), token, null),                      // insufficient_scope
            (Call("read_stock", "{}"), noScope, null),                     // insufficient_scope
            (Call("purge", "{}"), token, null),                            // forbidden (role)
            (Call("read_stock", "{}"), null, null),                        // authentication_required
            (Call("read_stock", "{}"), "not.a.token", null),               // invalid_token
            (Call("read_stock", "{}"), token, "https://evil.example"),     // origin_not_allowed
            (Call("crash", "{}"), token, null),                            // internal_error
            (Call("out_of_stock", """{"sku":"HAM-1"}"""), token, null),   // insufficient_stock (ToolException)
            (Call("soft_error", "{}"), token, null),                       // tool_error (an isError result)
            (Call("add", """{"a":40,"b":2}""")[..70], token, null),       // parse_error
            (Call("read_stock", "{}"), token, null),                       // two_credentials: an API key header too (below)
        ];

        var told = new Dictionary<string, string>();
        foreach (var (body, bearer, origin) in calls)
        {
            using var request = RequestGateTests.Post(body, origin: origin, bearer: bearer);
            if (body == calls[^1].Body)
            {
                request.Headers.Add("X-API-Key", "mcpk_ops_0123456789abcdef");
            }

            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            var json = text.StartsWith("event:", StringComparison.Ordinal) ? text[(text.IndexOf("data: ", StringComparison.Ordinal) + 6)..].Trim() : text;
            using var answer = JsonDocument.Parse(json);
            var key = answer.RootElement.GetProperty("id").GetRawText();
            if (answer.RootElement.TryGetProperty("error", out var error))
            {
                told[key] = error.GetProperty("message").GetString()!;
            }
            else if (answer.RootElement.GetProperty("result").TryGetProperty("isError", out var isError) && isError.GetBoolean())
            {
                told[key] = answer.RootElement.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString()!;
            }
        }

        await server.Audit.WaitForAsync(_ => server.Audit.Records.Count >= calls.Length, cancellationToken: ct);
        var disagreements = new List<string>();
        foreach (var record in server.Audit.Records.Select(McpTestAuditSink.Parse).Where(r => r.GetProperty("outcome").GetString() != "succeeded"))
        {
            var key = record.GetProperty("request").GetProperty("jsonRpcId").GetRawText();
            var recorded = record.GetProperty("error").GetProperty("message").GetString();
            var code = record.GetProperty("error").GetProperty("code").GetString();
            if (!told.TryGetValue(key, out var message) || message != recorded)
            {
                disagreements.Add($"{code}: told \"{message}\", recorded \"{recorded}\"");
            }
        }

        Assert.Equal(calls.Length - 1, told.Count);
        Assert.True(disagreements.Count == 0, string.Join('\n', disagreements));
    }
}
