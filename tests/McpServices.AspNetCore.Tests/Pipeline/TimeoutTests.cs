using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Pipeline;

public sealed class TimeoutTests
{
    [Fact]
    public async Task ACallThatOutlivesItsTimeLimit_IsCancelled_AnsweredAsAnError_AndAudited()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SlowTools>(), o => o.Timeouts.Tools["hold"] = TimeSpan.FromMilliseconds(300));
        await using var client = await server.ConnectAsync();

        var result = await client.CallToolAsync("hold", cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Equal("The tool 'hold' did not finish within its time limit (00:00:00.3000000) and was cancelled.", text);
        Assert.True(server.Services.GetRequiredService<CallGate>().Entered.Task.IsCompleted, "The tool should have started.");

        var record = await server.Audit.WaitForToolAsync("hold", TestContext.Current.CancellationToken);
        Assert.Equal("cancelled", record.GetProperty("outcome").GetString());
        Assert.Equal("timeout", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(text, record.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("2025-11-25", null)]          // the SDK flushes an event stream's headers before the tool runs
    [InlineData("2026-07-28", null)]          // a JSON response, not started while the tool runs
    [InlineData("2025-11-25", "mcp")]         // the limit chained onto the endpoint (WithRequestTimeout), shorter than the default
    [InlineData("2025-11-25", null, true)]    // a session: the call runs in the session, answered on the POST's stream
    public async Task TheApplicationsRequestTimeout_IsTheCallsTimeLimit_AnsweredAndAudited(string protocolVersion, string? policy, bool stateful = false)
    {
        // An application with ASP.NET Core's request timeouts (UseRequestTimeouts): at the limit, the middleware cancels
        // RequestAborted, the SDK stopped the call without a word, and the client received an empty 200 — no JSON-RPC answer —
        // while the record said the call was cancelled.
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SlowTools>(),
            o => o.SessionMode = stateful ? ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateful : o.SessionMode,
            configure: b => b.Services.AddRequestTimeouts(o =>
            {
                o.DefaultPolicy = new() { Timeout = policy is null ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromMinutes(5) };
                o.AddPolicy("mcp", TimeSpan.FromMilliseconds(300));
            }),
            configureApp: app =>
            {
                app.UseRequestTimeouts();
                var mcp = app.MapMcpService();
                if (policy is not null)
                {
                    mcp.WithRequestTimeout(policy);
                }
            });
        await using var client = await server.ConnectAsync(new() { ProtocolVersion = protocolVersion });

        var result = await client.CallToolAsync("hold", cancellationToken: ct);

        Assert.True(result.IsError);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Equal("The tool 'hold' did not finish within its time limit (00:00:00.3000000) and was cancelled.", text);
        var record = await server.Audit.WaitForToolAsync("hold", ct);
        Assert.Equal("timeout", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(text, record.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task TheDefaultLimit_AppliesToEveryTool_UnlessATool_IsExemptedWithZero()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SlowTools>().WithTools<CalculatorTools>(), o =>
        {
            o.Timeouts.Default = TimeSpan.FromMilliseconds(200);
            o.Timeouts.Tools["add"] = TimeSpan.Zero;
        });
        await using var client = await server.ConnectAsync();

        var held = await client.CallToolAsync("hold", cancellationToken: TestContext.Current.CancellationToken);
        var added = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(held.IsError);
        Assert.NotEqual(true, added.IsError);
        Assert.Equal(TimeSpan.FromMilliseconds(200), server.Services.GetRequiredService<IOptions<McpServiceOptions>>().Value.Timeouts.For("divide"));
        Assert.Null(server.Services.GetRequiredService<IOptions<McpServiceOptions>>().Value.Timeouts.For("add"));

        // The self-description says which limit each tool has.
        using var description = System.Text.Json.JsonDocument.Parse(server.Services.GetRequiredService<ServiceDescriber>().DescribeToString());
        var limits = description.RootElement.GetProperty("tools").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("timeoutSeconds").GetRawText());
        Assert.Equal("0.2", limits["hold"]);
        Assert.Equal("null", limits["add"]);
    }

    [Fact]
    public async Task ALimitAddedByAConfigurationReload_AppliesToTheNextCall()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SlowTools>());
        await using var client = await server.ConnectAsync();
        var configuration = (Microsoft.Extensions.Configuration.IConfigurationRoot)server.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();

        configuration["McpService:Timeouts:Tools:hold"] = "00:00:00.2";
        configuration.Reload();
        var result = await client.CallToolAsync("hold", cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        Assert.Equal("The tool 'hold' did not finish within its time limit (00:00:00.2000000) and was cancelled.", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public async Task ATool_ThatIgnoresCancellation_RunsToTheEnd_AndItsResultIsReturned()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<StubbornTools>(), o => o.Timeouts.Default = TimeSpan.FromMilliseconds(100));
        await using var client = await server.ConnectAsync();

        var result = await client.CallToolAsync("dawdle", cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("finished anyway", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        var record = await server.Audit.WaitForToolAsync("dawdle", TestContext.Current.CancellationToken);
        Assert.Equal("succeeded", record.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task InvalidLimits_AndLimitsForUnknownTools_FailStartup_NamingTheSetting()
    {
        var invalid = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(b => b.WithTools<SlowTools>(), o =>
        {
            o.Timeouts.Default = TimeSpan.FromSeconds(-1);
            o.Timeouts.Tools["hold"] = TimeSpan.FromDays(2);
        }));
        Assert.Equal(
            [
                "McpService:Timeouts:Default must be between 00:00:00 (no limit) and one day (1.00:00:00); it is -00:00:01.",
                "McpService:Timeouts:Tools:hold must be between 00:00:00 (no limit) and one day (1.00:00:00); it is 2.00:00:00.",
            ],
            invalid.Failures);

        var unknown = await Assert.ThrowsAsync<McpServiceConfigurationException>(() => TestServer.StartAsync(b => b.WithTools<SlowTools>(), o => o.Timeouts.Tools["hodl"] = TimeSpan.FromSeconds(1)));
        Assert.Contains("McpService:Timeouts:Tools:hodl", unknown.Message);
    }
}
