using System.Net;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Tests.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>
/// Refusals any client can repeat at will (a Host or Origin the service does not allow, answered before authentication) must not
/// let it write a warning per request into the service's logs: a warning the first time a value is refused and every 5 minutes
/// for it, Debug in between, while every refusal is still answered, counted and (for a tool call) audited.
/// </summary>
public sealed class RepeatedRefusalsTests
{
    private const string Call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":40,"b":2}}}""";

    [Fact]
    public async Task ForeignOriginsAndHosts_AreWarnedOncePerValue_AndTheirRepeatsLoggedAtDebug()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o => o.AllowedHosts = ["127.0.0.1"],
            configure: b => b.Logging.AddProvider(logs).AddFilter("McpServices", LogLevel.Debug));
        using var http = server.CreateHttpClient();
        var longOrigin = "https://" + new string('a', 300) + ".example";

        async Task RefuseAsync(string? origin, string? host = null)
        {
            using var request = RequestGateTests.Post(Call, origin: origin);
            if (host is not null)
            {
                request.Headers.Host = host;
            }

            using var response = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        for (var i = 0; i < 20; i++)
        {
            await RefuseAsync("https://evil.example");
        }

        await RefuseAsync("https://other.example");
        await RefuseAsync(longOrigin);
        await RefuseAsync(longOrigin);
        await RefuseAsync(origin: null, host: "rebound.example");
        await RefuseAsync(origin: null, host: "rebound.example");

        var origins = logs.Entries.Where(e => e.EventId.Id == 2).ToList();
        Assert.Equal(
            ["https://evil.example", "https://other.example", RepeatedRefusals.Shorten(longOrigin)],
            origins.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message.Split('\'')[1]));
        Assert.Equal(
            "Refused an MCP request from origin 'https://evil.example': it is not in McpService:AllowedOrigins (DNS-rebinding protection). Further refusals of it are logged at Debug, with a warning at most every 5 minutes.",
            origins[0].Message);
        Assert.All(origins.Where(e => e.Level == LogLevel.Warning), e => Assert.EndsWith("Further refusals of it are logged at Debug, with a warning at most every 5 minutes.", e.Message, StringComparison.Ordinal));
        Assert.Equal(
            "Refused an MCP request from origin 'https://evil.example' again: it is not in McpService:AllowedOrigins (DNS-rebinding protection).",
            origins.First(e => e.Level == LogLevel.Debug).Message);
        Assert.All(origins.Where(e => e.Level == LogLevel.Debug), e => Assert.Contains("' again: it is not in McpService:AllowedOrigins (DNS-rebinding protection).", e.Message, StringComparison.Ordinal));
        Assert.Equal(19 + 1, origins.Count(e => e.Level == LogLevel.Debug));
        Assert.Equal(RepeatedRefusals.MaxValueLength + 1, RepeatedRefusals.Shorten(longOrigin).Length);

        var hosts = logs.Entries.Where(e => e.EventId.Id == 1).ToList();
        Assert.Equal([LogLevel.Warning, LogLevel.Debug], hosts.Select(e => e.Level));
        Assert.Equal(
            ["Refused an MCP request for host 'rebound.example': it is not in McpService:AllowedHosts. Further refusals of it are logged at Debug, with a warning at most every 5 minutes.",
             "Refused an MCP request for host 'rebound.example' again: it is not in McpService:AllowedHosts."],
            hosts.Select(e => e.Message));

        // Every refused call is still audited, whatever its log level.
        await server.Audit.WaitForAsync(_ => server.Audit.Records.Count == 25, cancellationToken: ct);
        Assert.All(server.Audit.Records, r => Assert.Equal(("denied", true), (r.Outcome, r.ErrorCode is "origin_not_allowed" or "host_not_allowed")));
    }

    [Fact]
    public void AValue_IsWarnedAgainAfterTheInterval_WithTheNumberOfRepeatsInBetween()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var refusals = new RepeatedRefusals(time);

        Assert.Equal(LogLevel.Warning, refusals.Level("origin", "https://evil.example", out var repeats, out var first));
        Assert.Equal((0, true), (repeats, first));
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(LogLevel.Debug, refusals.Level("origin", "https://evil.example", out _, out _));
        }

        Assert.Equal(LogLevel.Warning, refusals.Level("host", "https://evil.example", out _, out _)); // another kind, another entry
        time.Advance(RepeatedRefusals.Interval - TimeSpan.FromSeconds(1));
        Assert.Equal(LogLevel.Debug, refusals.Level("origin", "https://evil.example", out _, out _));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(LogLevel.Warning, refusals.Level("origin", "https://evil.example", out repeats, out first));
        Assert.Equal((8, false), (repeats, first));
        Assert.Equal(LogLevel.Debug, refusals.Level("origin", "https://evil.example", out _, out _));
    }

    [Fact]
    public void TheMessages_SayWhetherAWarningIsTheFirstForItsValue_AndHowManyRepeatsCameBetweenWarnings()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var refusals = new RepeatedRefusals(time);
        var logs = new CapturingLoggerProvider();
        var logger = logs.CreateLogger("test");
        var messages = new RepeatedRefusals.Messages("origin", 2, "Refused '{Origin}'", "not allowed");

        refusals.Log(logger, messages, "https://evil.example");
        refusals.Log(logger, messages, "https://evil.example");
        refusals.Log(logger, messages, "https://evil.example");
        time.Advance(RepeatedRefusals.Interval);
        refusals.Log(logger, messages, "https://evil.example");
        time.Advance(RepeatedRefusals.Interval);
        refusals.Log(logger, messages, "https://evil.example");

        Assert.Equal(
            [
                "Refused 'https://evil.example': not allowed. Further refusals of it are logged at Debug, with a warning at most every 5 minutes.",
                "Refused 'https://evil.example' again: not allowed.",
                "Refused 'https://evil.example' again: not allowed.",
                "Refused 'https://evil.example': not allowed. Refused 2 more time(s) since the last warning for it (logged at Debug).",
                "Refused 'https://evil.example': not allowed. Refused 0 more time(s) since the last warning for it (logged at Debug).",
            ],
            logs.Entries.Select(e => e.Message));
    }

    [Fact]
    public void ValuesBeyondTheLimit_ShareOneEntry_SoManyDistinctValuesCannotFloodTheLog()
    {
        var refusals = new RepeatedRefusals(new FakeTimeProvider(DateTimeOffset.UtcNow));

        var warnings = Enumerable.Range(0, 10 * RepeatedRefusals.MaxValues)
            .Count(i => refusals.Level("origin", $"https://attacker-{i}.example", out _, out _) == LogLevel.Warning);

        Assert.Equal(RepeatedRefusals.MaxValues + 1, warnings);
        Assert.Equal(LogLevel.Debug, refusals.Level("origin", "https://attacker-0.example", out _, out _)); // tracked ones stay tracked
    }
}
