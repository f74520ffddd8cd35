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
            o =>
            {
                o.RateLimits.Tools["read_stock"] = new McpRateLimit { PermitsPerPeriod = 1, Period = TimeSpan.FromHours(1) };
                o.Authorization.Tools["divide"] = new McpToolAuthorizationOverride { Disabled = true };
                o.MaxRequestBodySize = 4096;
            },
            authentication: true);
        using var http = server.CreateHttpClient();
        var token = server.Token("inventory:read");
        var noScope = server.Token("other:scope");
        var id = 0;
        string Call(string tool, string arguments) => $$$"""{"jsonrpc":"2.0","id":{{{++id}}},"method":"tools/call","params":{"name":"{{{tool}}}","arguments":{{{arguments}}}}}""";

        (string Body, string? Bearer, string? Origin, Action<HttpRequestMessage>? Adjust)[] calls =
        [
            (Call("read_stock", "{}"), token, null, null),                       // succeeded, and uses up the rate limit
            (Call("read_stock", "{}"), token, null, null),                       // rate_limited
            (Call("add", """{"a":"forty"}"""), token, null, null),              // invalid_arguments
            (Call("add", """{"a":40,"c":2}"""), token, null, null),             // invalid_arguments (unknown argument)
            (Call("add", "[40,2]"), token, null, null),                          // invalid_params
            (Call("subtract", "{}"), token, null, null),                         // unknown_tool
            (Call("divide", """{"a":1,"b":2}"""), token, null, null),           // tool_disabled
            (Call("write_stock", "{}"), token, null, null),                      // insufficient_scope
            (Call("read_stock", "{}"), noScope, null, null),                     // insufficient_scope
            (Call("purge", "{}"), token, null, null),                            // forbidden (role)
            (Call("read_stock", "{}"), null, null, null),                        // authentication_required
            (Call("read_stock", "{}"), "not.a.token", null, null),               // invalid_token
            (Call("read_stock", "{}"), token, null, r => r.Headers.Add("X-API-Key", "mcpk_ops_0123456789abcdef")), // two_credentials
            (Call("read_stock", "{}"), token, "https://evil.example", null),     // origin_not_allowed
            (Call("read_stock", "{}"), token, null, r => r.Content!.Headers.ContentType = new("text/plain")), // unsupported_media_type
            (Call("read_stock", "{}"), token, null, r => r.Headers.Accept.Remove(r.Headers.Accept.Last())),  // not_acceptable
            (Call("add", $$"""{"a":1,"b":2,"note":"{{new string('x', 5000)}}"}"""), token, null, null),     // payload_too_large
            (Call("crash", "{}"), token, null, null),                            // internal_error
            (Call("out_of_stock", """{"sku":"HAM-1"}"""), token, null, null),   // insufficient_stock (ToolException)
            (Call("soft_error", "{}"), token, null, null),                       // tool_error (an isError result)
            (Call("add", """{"a":40,"b":2}""")[..70], token, null, null),       // parse_error
        ];

        var told = new Dictionary<string, string>();
        foreach (var (body, bearer, origin, adjust) in calls)
        {
            using var request = RequestGateTests.Post(body, origin: origin, bearer: bearer);
            adjust?.Invoke(request);
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
        Assert.Equal(
            ((string[])["authentication_required", "forbidden", "insufficient_scope", "insufficient_scope", "insufficient_stock", "internal_error", "invalid_arguments", "invalid_arguments",
             "invalid_params", "invalid_token", "not_acceptable", "origin_not_allowed", "parse_error", "payload_too_large", "rate_limited", "tool_disabled", "tool_error", "two_credentials",
             "unknown_tool", "unsupported_media_type"]).Order(StringComparer.Ordinal),
            server.Audit.Records.Where(r => r.ErrorCode is not null).Select(r => r.ErrorCode!).Order(StringComparer.Ordinal).ToArray());
        Assert.True(disagreements.Count == 0, string.Join('\n', disagreements));
    }
}
