using System.Net;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Auditing;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Tests.Common;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Hosting;

public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Shutdown_DrainsInFlightCall_FlipsReadiness_AndRefusesNewCalls()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<SlowTools>().WithTools<CalculatorTools>(), o => o.DrainTimeout = TimeSpan.FromSeconds(20));
        var gate = server.Services.GetRequiredService<CallGate>();
        await using var client = await server.ConnectAsync(cancellationToken: ct);
        using var http = server.CreateHttpClient();

        var inFlight = client.CallToolAsync("hold", cancellationToken: ct).AsTask();
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var stopping = server.StopAsync(ct);

        // Readiness flips as soon as shutdown begins, while the in-flight call is still running.
        await WaitUntilAsync(async () => (await http.GetAsync("readyz", ct)).StatusCode == HttpStatusCode.ServiceUnavailable, ct);
        Assert.False(inFlight.IsCompleted);

        // A new call is refused with a clear error (HTTP 503 + JSON-RPC error), and never reaches the tool.
        using var refused = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"""), ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        var body = await refused.Content.ReadAsStringAsync(ct);
        var error = ParseSseJson(body).GetProperty("error");
        Assert.Equal(McpServiceErrorCodes.Unavailable, error.GetProperty("code").GetInt32());
        Assert.Contains("shutting down", error.GetProperty("message").GetString());
        Assert.Equal(0, server.Log().Count("add"));

        // The in-flight call completes normally once released, and only then does the server stop.
        gate.Release.SetResult();
        var result = await inFlight.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal("released", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact]
    public async Task Shutdown_DrainTimeout_CancelsCallsThatDoNotFinish()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<SlowTools>(), o => o.DrainTimeout = TimeSpan.FromMilliseconds(300));
        var gate = server.Services.GetRequiredService<CallGate>();
        await using var client = await server.ConnectAsync(cancellationToken: ct);

        var inFlight = client.CallToolAsync("hold", cancellationToken: ct).AsTask();
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var started = DateTime.UtcNow;
        await server.StopAsync(ct).WaitAsync(TimeSpan.FromSeconds(15), ct);

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "Stopping should not wait past the drain timeout and the host's grace period.");
        var result = await inFlight.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.True(result.IsError);
        Assert.Contains("shutting down", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public async Task Shutdown_ACallThatIgnoresItsCancellation_IsRecordedAsUnfinished_WhileTheTrailStillWrites_AndOnlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var sink = new FlakySink();
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<DeafTools>().WithTools<CalculatorTools>(),
            o => o.DrainTimeout = TimeSpan.FromMilliseconds(200),
            configure: b =>
            {
                b.Services.AddSingleton<IAuditSink>(sink);
                b.Logging.AddProvider(logs);
            });
        var gate = server.Services.GetRequiredService<CallGate>();
        await using var client = await server.ConnectAsync(cancellationToken: ct);
        await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: ct);

        var inFlight = client.CallToolAsync("persist", cancellationToken: ct).AsTask();
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        var stopping = server.StopAsync(ct);

        // The drain expires, the call is cancelled, the tool carries on regardless: shutdown records the call while it runs.
        var record = await WaitForRecordAsync(sink, "persist", ct);
        Assert.Equal("failed", record.Outcome);
        Assert.Equal("unfinished_at_shutdown", record.ErrorCode);
        using (var json = JsonDocument.Parse(record.Json))
        {
            var root = json.RootElement;
            Assert.Contains("still running", root.GetProperty("error").GetProperty("message").GetString());
            Assert.True(root.GetProperty("durationMs").GetDouble() >= 200);
            Assert.Equal(JsonValueKind.Number, root.GetProperty("request").GetProperty("jsonRpcId").ValueKind);
            Assert.Equal(32, root.GetProperty("request").GetProperty("traceId").GetString()!.Length); // the call's span, not shutdown's
        }

        Assert.False(stopping.IsCompleted, "the server should still be waiting for the call");
        Assert.Equal(0, server.Log().Count("persist"));

        // The tool finishes after all: the record stands (the log says how the call ended), and there is no second one.
        gate.Release.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(15), ct);
        await Task.WhenAny(inFlight, Task.Delay(TimeSpan.FromSeconds(5), ct));
        Assert.Equal(1, server.Log().Count("persist"));
        lock (sink.Written)
        {
            Assert.Single(sink.Written, r => r.Tool == "persist");
            Assert.Equal(2, sink.Written.Count);
        }

        // The logs say both: that the call was recorded as unfinished (13), and how it ended after all (14).
        Assert.Contains(logs.Entries, e => e.EventId.Id == 13 && e.Level == LogLevel.Error && e.Message.Contains(record.Id, StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.EventId.Id == 14 && e.Message.Contains($"The call {record.Id} to the tool 'persist' finished (succeeded", StringComparison.Ordinal));
    }

    private static async Task<AuditRecord> WaitForRecordAsync(FlakySink sink, string tool, CancellationToken ct)
    {
        for (var i = 0; i < 400; i++)
        {
            lock (sink.Written)
            {
                if (sink.Written.FirstOrDefault(r => r.Tool == tool) is { } record)
                {
                    return record;
                }
            }

            await Task.Delay(25, ct);
        }

        Assert.Fail($"No audit record of a call to '{tool}' within 10 seconds.");
        return null!;
    }

    internal static JsonElement ParseSseJson(string body)
    {
        var data = body.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim()).LastOrDefault() ?? body;
        using var doc = JsonDocument.Parse(data);
        return doc.RootElement.Clone();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25, ct);
        }

        Assert.Fail("Condition not met within 5 seconds.");
    }
}
