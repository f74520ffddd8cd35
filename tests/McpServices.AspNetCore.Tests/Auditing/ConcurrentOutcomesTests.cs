using System.Net;
using System.Text;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;

namespace McpServices.AspNetCore.Tests.Auditing;

/// <summary>
/// Calls that end every way a call can end, sent at the same time from several clients: each has exactly one record, with the
/// outcome its answer says, and the records form one intact chain (<c>bench/mixed/run.sh</c> does the same at full load).
/// </summary>
public sealed class ConcurrentOutcomesTests
{
    private const int Workers = 8;
    private const int Rounds = 10;
    private const int RateLimit = 20;

    [Fact]
    public async Task EveryWayACallCanEnd_AtOnce_LeavesExactlyOneRecordPerCall_InOneChain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>().WithTools<CalculatorTools>(),
            o => o.RateLimits.Tools["read_stock"] = new McpRateLimit { PermitsPerPeriod = RateLimit, Period = TimeSpan.FromHours(1) },
            authentication: true);
        using var http = server.CreateHttpClient();
        var token = server.Token("inventory:read");
        var noScope = server.Token("other:scope");
        string Call(int id, string tool, string arguments) => $$$"""{"jsonrpc":"2.0","id":{{{id}}},"method":"tools/call","params":{"name":"{{{tool}}}","arguments":{{{arguments}}}}}""";

        // (what it is, body, bearer token, origin, the HTTP status it must get)
        (string Kind, string Body, string? Bearer, string? Origin, HttpStatusCode Status)[] Kinds(int id) =>
        [
            ("succeeded", Call(id, "add", """{"a":40,"b":2}"""), token, null, HttpStatusCode.OK),
            ("invalid_arguments", Call(id, "add", """{"a":"forty"}"""), token, null, HttpStatusCode.OK),
            ("invalid_arguments", Call(id, "add", """{"a":40,"c":2}"""), token, null, HttpStatusCode.OK),
            ("unknown_tool", Call(id, "subtract", "{}"), token, null, HttpStatusCode.OK),
            ("parse_error", Call(id, "add", """{"a":40,"b":2}""")[..70], token, null, HttpStatusCode.BadRequest),
            ("invalid_request", Call(id, "add", """{"a":40,"b":2}""").Replace($"\"id\":{id},", string.Empty, StringComparison.Ordinal), token, null, HttpStatusCode.Accepted),
            ("insufficient_scope", Call(id, "read_stock", "{}"), noScope, null, HttpStatusCode.Forbidden),
            ("authentication_required", Call(id, "read_stock", "{}"), null, null, HttpStatusCode.Unauthorized),
            ("invalid_token", Call(id, "read_stock", "{}"), "not.a.token", null, HttpStatusCode.Unauthorized),
            ("origin_not_allowed", Call(id, "read_stock", "{}"), token, "https://evil.example", HttpStatusCode.Forbidden),
            ("read_stock", Call(id, "read_stock", "{}"), token, null, HttpStatusCode.OK),
        ];

        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var kind in Kinds(Interlocked.Increment(ref next)))
                {
                    using var request = RequestGateTests.Post(kind.Body, origin: kind.Origin, bearer: kind.Bearer);
                    using var response = await http.SendAsync(request, ct);
                    Assert.True(kind.Status == response.StatusCode, $"{kind.Kind}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                }
            }
        }, ct)));

        var sent = Workers * Rounds * Kinds(0).Length;
        await server.Audit.WaitForAsync(_ => server.Audit.Records.Count >= sent, cancellationToken: ct);
        var records = server.Audit.Records;
        Assert.Equal(sent, records.Count);
        var byCode = records.GroupBy(r => r.ErrorCode ?? r.Outcome).ToDictionary(g => g.Key, g => g.Count());
        var each = Workers * Rounds;
        Assert.Equal(each + RateLimit, byCode["succeeded"]); // add every time, read_stock until its limit
        Assert.Equal(each - RateLimit, byCode["rate_limited"]);
        Assert.Equal(2 * each, byCode["invalid_arguments"]);
        foreach (var code in new[] { "unknown_tool", "parse_error", "invalid_request", "insufficient_scope", "authentication_required", "invalid_token", "origin_not_allowed" })
        {
            Assert.True(byCode.GetValueOrDefault(code) == each, $"{code}: {byCode.GetValueOrDefault(code)} records for {each} calls");
        }

        Assert.Equal(RateLimit, server.Log().Count("read_stock")); // refused calls never ran
        var trail = string.Join('\n', records.Select(r => Encoding.UTF8.GetString(r.Json.Span)));
        var verdict = AuditVerifier.Verify([("memory", new StringReader(trail))]);
        Assert.True(verdict.Intact);
    }
}
