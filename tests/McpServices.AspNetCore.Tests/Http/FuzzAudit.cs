using System.Text;
using System.Text.Json;
using McpServices.Testing;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>The fuzz tests' audit property: every call sent has exactly one record, and the records form one intact chain.</summary>
internal static class FuzzAudit
{
    /// <summary>
    /// Waits until the records stop coming (they are written off the request path), then asserts that each of
    /// <paramref name="calls"/> (JSON-RPC ids) has exactly one record and that the chain verifies; returns the records.
    /// </summary>
    public static async Task<JsonElement[]> AssertEveryCallRecordedOnceAsync(McpTestAuditSink audit, IReadOnlyCollection<string> calls, Func<string, string> describe, CancellationToken cancellationToken)
    {
        Assert.NotEmpty(calls);
        for (int count = -1; count != audit.Records.Count;)
        {
            count = audit.Records.Count;
            await Task.Delay(300, cancellationToken);
        }

        var records = audit.Records.Select(McpTestAuditSink.Parse).ToArray();
        var recorded = records
            .Select(r => r.GetProperty("request").TryGetProperty("jsonRpcId", out var id) ? id : default).Where(id => id.ValueKind == JsonValueKind.String)
            .GroupBy(id => id.GetString()!).ToDictionary(g => g.Key, g => g.Count());
        var unaccounted = calls.Where(id => recorded.GetValueOrDefault(id) != 1).Select(id => $"{id}: {recorded.GetValueOrDefault(id)} records, {describe(id)}").ToArray();
        Assert.True(unaccounted.Length == 0, $"{unaccounted.Length} of {calls.Count} calls: " + string.Join("\n", unaccounted.Take(10)));

        var lines = string.Join('\n', audit.Records.Select(r => Encoding.UTF8.GetString(r.Json.Span)));
        var verified = AuditVerifier.Verify([("memory", new StringReader(lines))]);
        Assert.True(verified.Intact, verified.Message);
        return records;
    }
}
