using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using OpenTelemetry.Instrumentation.AspNetCore;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace McpServices.AspNetCore.Tests.Telemetry;

public sealed class TracingAndMetricsTests
{
    [Fact]
    public async Task ToolCallSpan_IsTheSdkSpan_EnrichedWithCallerToolVersionAndOutcome()
    {
        var spans = new ConcurrentCollection<Activity>();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.Version = "2.0.1",
            configure: b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)),
            authentication: true);
        var token = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "alice", ClientId = "agent-7", Scopes = ["inventory:read"] });
        await using var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = token }, TestContext.Current.CancellationToken);

        await client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        await server.StopAsync(TestContext.Current.CancellationToken);

        var auditId = (await server.Audit.WaitForAsync(r => r.Tool == "read_stock", cancellationToken: TestContext.Current.CancellationToken)).Id;
        var span = Assert.Single(spans, s => (string?)s.GetTagItem("mcpservices.audit.id") == auditId);
        Assert.Equal("tools/call read_stock", span.DisplayName);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal("succeeded", span.GetTagItem("mcpservices.outcome"));
        Assert.Equal("alice", span.GetTagItem("enduser.id"));
        Assert.Equal("agent-7", span.GetTagItem("mcpservices.client.id"));
        Assert.Equal("jwt", span.GetTagItem("mcpservices.auth.method"));
        Assert.Equal("2.0.1", span.GetTagItem("mcpservices.tool.version"));
        Assert.Equal("read_stock", span.GetTagItem("gen_ai.tool.name"));
        Assert.NotNull(span.GetTagItem("mcpservices.audit.id"));
        // Attribute keys are unique (OpenTelemetry requires it of exporters' input): the SDK appends its own attributes, among them
        // gen_ai.tool.name, when the span ends, after the enrichment.
        Assert.Empty(span.TagObjects.GroupBy(t => t.Key).Where(g => g.Count() > 1).Select(g => g.Key));

        // The client's trace continues through the HTTP server span (ASP.NET Core) and the tool call span.
        Assert.Contains(spans, s => s.TraceId == span.TraceId && s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server);
    }

    /// <summary>
    /// The SDK (2.4.0) tags its spans <c>mcp.session.id</c> with an id of its own: a new one for every request of a stateless
    /// service, which has no sessions, and one that is not the <c>Mcp-Session-Id</c> the client and the server's responses carry
    /// for a session. Spans carry the session id clients know, and none where there is no session.
    /// </summary>
    [Theory]
    [InlineData(HttpServerSessionMode.Stateless)]
    [InlineData(HttpServerSessionMode.Stateful)]
    public async Task SessionIdAttribute_IsTheTransportsSessionId_OrAbsentWithoutSessions(HttpServerSessionMode mode)
    {
        var spans = new ConcurrentCollection<Activity>();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o => o.SessionMode = mode,
            configure: b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        string? sessionId;
        await using (var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 2 }, cancellationToken: TestContext.Current.CancellationToken);
            sessionId = client.SessionId;
        }

        await server.StopAsync(TestContext.Current.CancellationToken);
        var auditId = Assert.Single(server.Audit.Records).Id;
        var span = Assert.Single(spans, s => (string?)s.GetTagItem("mcpservices.audit.id") == auditId);
        // Activity sources are process-wide, so the exporter also sees other tests' servers: keep the traces of requests to this one.
        var traces = spans.Where(s => s.GetTagItem("server.port") is int port && port == server.McpEndpoint.Port).Select(s => s.TraceId).ToHashSet();
        var serverSpans = spans.Where(s => s.Source.Name == "Experimental.ModelContextProtocol" && s.Kind == ActivityKind.Server && traces.Contains(s.TraceId)).ToList();
        Assert.Contains(span, serverSpans);
        if (mode == HttpServerSessionMode.Stateless)
        {
            Assert.Null(sessionId);
            Assert.All(serverSpans, s => Assert.Null(s.GetTagItem("mcp.session.id")));
        }
        else
        {
            Assert.NotNull(sessionId);
            Assert.Equal(sessionId, span.GetTagItem("mcp.session.id"));
        }
    }

    [Fact]
    public async Task TraceContextFromTheClientsMeta_IsContinued()
    {
        var spans = new ConcurrentCollection<Activity>();
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), configure: b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        using var http = server.CreateHttpClient();
        var traceId = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();

        using var response = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1},"_meta":{"traceparent":"00-TRACE-PARENT-01"}}}""".Replace("TRACE", traceId.ToHexString(), StringComparison.Ordinal).Replace("PARENT", parent.ToHexString(), StringComparison.Ordinal)), TestContext.Current.CancellationToken);
        await server.StopAsync(TestContext.Current.CancellationToken);

        var span = Assert.Single(spans, s => s.DisplayName == "tools/call add" && s.TraceId == traceId);
        Assert.Equal(traceId, span.TraceId);
        Assert.Equal(parent, span.ParentSpanId);
        var record = McpTestAuditSink.Parse(Assert.Single(server.Audit.Records));
        Assert.Equal(traceId.ToHexString(), record.GetProperty("request").GetProperty("traceId").GetString());
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("/health/live", "/health/ready", "/scrape")]
    [InlineData(null, null, "/")]
    public async Task ProbesAndScrapes_AreNotTraced_AtTheirConfiguredPaths(string? liveness, string? readiness, string? prometheus)
    {
        var spans = new ConcurrentCollection<Activity>();
        await using var server = await TestServer.StartAsync(
            b =>
            {
                b.WithTools<CalculatorTools>();
                // The application's own filter, set after AddMcpService(): kept, and combined with McpServices'.
                b.Services.Configure<AspNetCoreTraceInstrumentationOptions>(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/private"));
            },
            o =>
            {
                o.LivenessPath = liveness ?? o.LivenessPath;
                o.ReadinessPath = readiness ?? o.ReadinessPath;
                o.Telemetry.Prometheus = true;
                o.Telemetry.PrometheusPath = prometheus ?? o.Telemetry.PrometheusPath;
            },
            configure: b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        using var http = server.CreateHttpClient();
        string[] operational = [liveness ?? "/livez", readiness ?? "/readyz", prometheus ?? "/metrics", "/private"];

        foreach (var path in operational)
        {
            using var probe = await http.GetAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal(path == "/private" ? HttpStatusCode.NotFound : HttpStatusCode.OK, probe.StatusCode);
        }

        using var call = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"""), TestContext.Current.CancellationToken);
        await server.StopAsync(TestContext.Current.CancellationToken);

        var httpSpans = spans.Where(s => s.Source.Name == "Microsoft.AspNetCore").Select(s => (string?)s.GetTagItem("url.path")).ToList();
        Assert.Contains("/mcp", httpSpans);
        Assert.DoesNotContain(httpSpans, operational.Contains);
    }

    [Fact]
    public async Task RefusedCall_EnrichesTheHttpSpan()
    {
        var spans = new ConcurrentCollection<Activity>();
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), configure: b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)), authentication: true);
        using var http = server.CreateHttpClient();
        using var request = RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_stock"}}""");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.Token("inventory:read"));

        using var _ = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await server.StopAsync(TestContext.Current.CancellationToken);

        var auditId = Assert.Single(server.Audit.Records).Id;
        var span = Assert.Single(spans, s => (string?)s.GetTagItem("mcpservices.audit.id") == auditId);
        Assert.Equal("denied", span.GetTagItem("mcpservices.outcome"));
        Assert.Equal("insufficient_scope", span.GetTagItem("mcpservices.error.code"));
        Assert.Equal("write_stock", span.GetTagItem("gen_ai.tool.name"));
        Assert.Empty(span.TagObjects.GroupBy(t => t.Key).Where(g => g.Count() > 1).Select(g => g.Key));
    }

    [Fact]
    public async Task Metrics_CountCallsByToolAndOutcome_RefusalsValidationFailuresAndRateLimitHits()
    {
        var metrics = new ConcurrentCollection<Metric>();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<OrderTools>().WithTools<CalculatorTools>(),
            o => o.RateLimits.Tools["add"] = new McpRateLimit { PermitsPerPeriod = 1, Period = TimeSpan.FromMinutes(1) },
            configure: b => b.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics)));
        using var listener = new ScopedMeterListener(server.Services);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken).AsTask());   // rate_limited
        await client.CallToolAsync("reserve", new Dictionary<string, object?> { ["sku"] = "x", ["quantity"] = 0 }, cancellationToken: TestContext.Current.CancellationToken);
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);
        server.Services.GetRequiredService<MeterProvider>().ForceFlush();

        Assert.Equal(1, listener.Sum("mcpservices.tool.calls", ("mcp.tool.name", "add"), ("mcpservices.outcome", "succeeded")));
        Assert.Equal(1, listener.Sum("mcpservices.tool.calls", ("mcp.tool.name", "add"), ("mcpservices.outcome", "rate_limited")));
        Assert.Equal(1, listener.Sum("mcpservices.tool.calls", ("mcp.tool.name", "reserve"), ("mcpservices.outcome", "invalid")));
        Assert.Equal(1, listener.Sum("mcpservices.rate_limit.hits", ("mcp.tool.name", "add")));
        Assert.Equal(1, listener.Sum("mcpservices.tool.validation_failures", ("mcp.tool.name", "reserve")));
        Assert.Equal(1, listener.Sum("mcpservices.tool.refusals", ("mcpservices.reason", "invalid_arguments")));
        Assert.Equal(3, listener.Sum("mcpservices.audit.records.written"));

        // The OpenTelemetry pipeline exports the McpServices meter, with the duration histogram and the audit buffer gauge.
        Assert.Contains(metrics, m => m.Name == "mcpservices.tool.calls");
        Assert.Contains(metrics, m => m.Name == "mcpservices.tool.call.duration");
        Assert.Contains(metrics, m => m.Name == "mcpservices.audit.buffer.depth");
    }

    [Fact]
    public async Task TheMcpServicesMeter_CarriesTheLibrarysVersion_NotTheServices()
    {
        // The instrumentation scope is McpServices (OpenTelemetry: the scope's version is the instrumenting library's); the
        // service's own version is the resource attribute service.version.
        var metrics = new ConcurrentCollection<Metric>();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o => o.Version = "7.8.9",
            configure: b => b.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics)));
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        server.Services.GetRequiredService<MeterProvider>().ForceFlush();

        var library = typeof(McpServiceOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        Assert.Equal(library, metrics.First(m => m.Name == "mcpservices.tool.calls").MeterVersion);
        Assert.NotEqual("7.8.9", library);
    }
}
