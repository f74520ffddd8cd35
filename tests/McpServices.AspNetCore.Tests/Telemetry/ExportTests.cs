using System.Net;
using System.Net.Sockets;
using System.Text;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace McpServices.AspNetCore.Tests.Telemetry;

/// <summary>
/// Exports through real OTLP/HTTP requests. A tracer provider sees the spans of every service in the process, so these tests
/// run alone (<see cref="ProcessWideTelemetry"/>): another test's stateful session would otherwise put its <c>mcp.session.id</c>
/// spans into this service's export, which the first test requires to have none.
/// </summary>
[Collection(nameof(ProcessWideTelemetry))]
public sealed class ExportTests
{
    [Fact]
    public async Task Otlp_TracesMetricsAndLogs_AreExportedWithTheStandardVariables()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync(TestContext.Current.CancellationToken);
        await using (var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>().WithTools<FailingTools>(),
            o => o.Name = "otlp-probe",
            configure: b =>
            {
                b.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString();
                b.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            }))
        {
            // Plain HTTP requests: an McpClient in this process would export client spans of its own through the same provider.
            using var http = server.CreateHttpClient();
            using var add = await http.SendAsync(Http.RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"""), TestContext.Current.CancellationToken);
            using var crash = await http.SendAsync(Http.RequestGateTests.Post("""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"crash","arguments":{}}}"""), TestContext.Current.CancellationToken); // logs an error, with its reference
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (add.StatusCode, crash.StatusCode));
        }

        // Providers flush on shutdown.
        Assert.True(receiver.Received("/v1/traces", "otlp-probe", "tools/call add"), Describe(receiver));
        // Corrections made to the service's spans reach the exporter McpServices adds: a stateless service's spans have no session id.
        Assert.True(receiver.Received("/v1/traces", "mcp.method.name"), Describe(receiver));
        Assert.False(receiver.Received("/v1/traces", "mcp.session.id"), Describe(receiver));
        Assert.True(receiver.Received("/v1/metrics", "otlp-probe", "mcpservices.tool.calls"), Describe(receiver));
        Assert.True(receiver.Received("/v1/logs", "otlp-probe", "the caller received a generic error"), Describe(receiver));
    }

    [Theory]
    [InlineData("UseOtlpExporter")]
    [InlineData("AddOtlpExporter")]
    public async Task Otlp_AnApplicationThatExportsItself_KeepsItsExporter_AndGetsNoSecondOne(string setup)
    {
        // UseOtlpExporter() (what .NET Aspire's service defaults call) and per-signal AddOtlpExporter() cannot be combined: an
        // application that set OpenTelemetry up this way crashed at startup when McpServices was added.
        await using var receiver = await OtlpTestReceiver.StartAsync(TestContext.Current.CancellationToken);
        await using (var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o => o.Name = "otlp-app-exporter",
            configure: b =>
            {
                b.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString();
                b.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                if (setup == "UseOtlpExporter")
                {
                    b.Services.AddOpenTelemetry().UseOtlpExporter();
                }
                else
                {
                    b.Services.AddOpenTelemetry().WithTracing(t => t.AddOtlpExporter()).WithMetrics(m => m.AddOtlpExporter());
                }
            }))
        {
            await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
            await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        }

        // McpServices' sources, meters and resource still reach the application's exporter — once.
        Assert.True(receiver.Received("/v1/traces", "otlp-app-exporter", "tools/call add"), Describe(receiver));
        Assert.True(receiver.Received("/v1/metrics", "otlp-app-exporter", "mcpservices.tool.calls"), Describe(receiver));
        // Once: one metrics export at shutdown. (Spans are not counted: a tracer provider sees the spans of every service in
        // the process, while the McpServices meter belongs to this service.)
        Assert.Equal(1, receiver.Requests.Count(r => r.Path == "/v1/metrics" && System.Text.Encoding.UTF8.GetString(r.Body).Contains("mcpservices.tool.calls", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "otel-collector:4318", "OTEL_EXPORTER_OTLP_ENDPOINT is 'otel-collector:4318', which is not an absolute http:// or https:// URL")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is 'not a url', which is not an absolute http:// or https:// URL")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http", "OTEL_EXPORTER_OTLP_PROTOCOL is 'http', which is not one of grpc, http/protobuf")]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL is 'http/json', which is not one of grpc, http/protobuf")]
    public async Task Otlp_SettingsTheExporterCannotUse_StopStartup_NamingTheVariable(string key, string value, string expected)
    {
        // OpenTelemetry itself would fall back to localhost or to gRPC without a word, and the telemetry would go nowhere.
        var error = await Assert.ThrowsAsync<McpServiceConfigurationException>(() => TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            configure: b => b.Configuration[key] = value));

        Assert.StartsWith("The OpenTelemetry export settings cannot be used: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:4318", null, true)]
    [InlineData("http://127.0.0.1:4318", "http/protobuf", false)]
    [InlineData("http://127.0.0.1:4317", "http/protobuf", true)]
    [InlineData("http://127.0.0.1:4317", null, false)]
    public async Task Otlp_AnEndpointOnTheOtherProtocolsPort_IsAWarning(string endpoint, string? protocol, bool warns)
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            configure: b =>
            {
                b.Logging.AddProvider(logs);
                b.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
                b.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol;
            });

        var warnings = logs.Entries.Where(e => e.EventId.Id == 60).ToArray();
        Assert.Equal(warns ? 1 : 0, warnings.Length);
        if (warns)
        {
            Assert.Equal(LogLevel.Warning, warnings[0].Level);
            Assert.Contains($"OTEL_EXPORTER_OTLP_ENDPOINT is {endpoint}", warnings[0].Message, StringComparison.Ordinal);
            Assert.Contains(endpoint.EndsWith("4318", StringComparison.Ordinal) ? "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf" : "OTEL_EXPORTER_OTLP_PROTOCOL=grpc", warnings[0].Message, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// OpenTelemetry reports a failed export only to its own event source, so a collector that cannot be reached (a wrong
    /// address, a collector that is down or refuses the service's credentials) lost every span, metric and log in silence.
    /// </summary>
    [Fact]
    public async Task Otlp_ACollectorThatCannotBeReached_IsAWarningNamingTheEndpointAndWhy_ThenRepeatsAtDebug()
    {
        var logs = new CapturingLoggerProvider();
        var port = FreePort();
        var endpoint = $"http://127.0.0.1:{port}"; // as the exporter names it: without the credentials configured below
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            configure: b =>
            {
                b.Logging.AddProvider(logs).AddFilter("McpServices.AspNetCore.Telemetry", LogLevel.Debug);
                b.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://collector:s3cret@127.0.0.1:{port}";
                b.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            });
        using var http = server.CreateHttpClient();
        var traces = server.Services.GetRequiredService<TracerProvider>();
        for (var i = 0; i < 3; i++)
        {
            using var call = await http.SendAsync(Http.RequestGateTests.Post("""{"jsonrpc":"2.0","id":""" + i + ""","method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"""), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, call.StatusCode); // the service keeps serving
            traces.ForceFlush(10_000);
        }

        var reports = logs.Entries.Where(e => e.EventId.Id == 67 && e.Message.Contains($"{endpoint}/v1/traces", StringComparison.Ordinal)).ToArray();
        var warning = Assert.Single(reports, e => e.Level == LogLevel.Warning);
        Assert.Contains("Connection refused", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", warning.Message, StringComparison.Ordinal); // the reason, not the exporter's stack trace
        Assert.Contains("at most every 5 minutes", warning.Message, StringComparison.Ordinal);
        Assert.Equal(2, reports.Count(e => e.Level == LogLevel.Debug));
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public void OtlpExportProblem_IsTheExportersMessage_WithoutStackTracesOrCredentials_AndBounded()
    {
        const string Format = "Exporter failed send data to collector to {0} endpoint. Data will not be sent. Exception: {1}";
        var problem = OtlpExportProblems.Describe(Format, "FailedToReachCollector", ["https://collector:s3cret@otel.example:4318/v1/traces", "System.Net.Http.HttpRequestException: Connection refused (otel.example:4318)\n   at System.Net.Http.HttpClient.Send()"]);

        Assert.Equal("Exporter failed send data to collector to https://***@otel.example:4318/v1/traces endpoint. Data will not be sent. Exception: System.Net.Http.HttpRequestException: Connection refused (otel.example:4318)", problem);
        Assert.Equal("HttpRequestFailed: x; a?[31mb", OtlpExportProblems.Describe(null, "HttpRequestFailed", ["x", "a\u001b[31mb"]));
        Assert.Equal(OtlpExportProblems.MaxProblemLength + 1, OtlpExportProblems.Describe("{0}", "HttpRequestFailed", [new string('b', 5000)]).Length);
    }

    [Fact]
    public async Task Otlp_ASignalsOwnEndpointOnTheOtherProtocolsPort_NamesThatSignalsSettings()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            configure: b =>
            {
                b.Logging.AddProvider(logs);
                b.Configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://127.0.0.1:4318/v1/traces";
            });

        var warning = Assert.Single(logs.Entries, e => e.EventId.Id == 60);
        Assert.StartsWith("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is http://127.0.0.1:4318/v1/traces,", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Set OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Otlp_UseOtlpExporterAddedAfterMcpServices_StopsStartupWithWhatToDo()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318";
        builder.AddMcpService(TestServer.WithoutAuthentication);
        builder.Services.AddOpenTelemetry().UseOtlpExporter();

        // Building the application creates the logger provider, whose exporter OpenTelemetry refuses.
        var error = Assert.Throws<NotSupportedException>(() => builder.Build());

        Assert.Equal(
            ["The application calls UseOtlpExporter() after AddMcpService(), which has already added OpenTelemetry's OTLP exporter for each signal " +
             "(OTEL_EXPORTER_OTLP_ENDPOINT is set), and OpenTelemetry cannot combine the two. Call UseOtlpExporter() before AddMcpService(): " +
             "McpServices then leaves exporting to it."],
            StartupErrors.Describe(error));
    }

    /// <summary>
    /// Tool names a caller invents must not become metric attribute values: the SDK's <c>mcp.server.operation.duration</c> tags
    /// <c>gen_ai.tool.name</c> with whatever name a call gives, so each invented name added time series until the cardinality
    /// limit pushed the real tools' series into overflow. Such calls are answered before the SDK, with the SDK's error, and
    /// counted under McpServices' bounded <c>_unknown</c> tool name.
    /// </summary>
    [Fact]
    public async Task CallsToInventedToolNames_AddNoMetricSeries_AndGetTheUsualError()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.Telemetry.Prometheus = true);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var invented = Enumerable.Range(0, 20).Select(i => $"invented_{Guid.NewGuid():N}").ToArray();
        foreach (var name in invented)
        {
            var error = await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(() => client.CallToolAsync(name, cancellationToken: TestContext.Current.CancellationToken).AsTask());
            Assert.Equal(ModelContextProtocol.McpErrorCode.InvalidParams, error.ErrorCode);
            Assert.Contains($"Unknown tool: '{name}'.", error.Message, StringComparison.Ordinal);
        }

        await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        using var http = server.CreateHttpClient();
        var text = string.Empty;
        for (var i = 0; i < 20 && !(text.Contains("gen_ai_tool_name=\"add\"", StringComparison.Ordinal) && text.Contains("mcp_tool_name=\"_unknown\"", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            text = await http.GetStringAsync(new Uri("metrics", UriKind.Relative), TestContext.Current.CancellationToken);
        }

        Assert.Contains("mcp_tool_name=\"_unknown\"", text, StringComparison.Ordinal);
        // (The test's own client records mcp.client.* metrics in the same process: only the server's series count.)
        Assert.DoesNotContain(text.Split('\n'), line => line.StartsWith("mcp_server_", StringComparison.Ordinal) && line.Contains("invented_", StringComparison.Ordinal));
        Assert.Contains(text.Split('\n'), line => line.StartsWith("mcp_server_", StringComparison.Ordinal) && line.Contains("gen_ai_tool_name=\"add\"", StringComparison.Ordinal));
        Assert.Equal(invented.Length, server.Audit.Records.Count(r => r.ErrorCode == "unknown_tool"));
    }

    /// <summary>
    /// A resource template's URIs are unbounded (one per customer, order, file) and often name someone: the SDK's
    /// <c>mcp.server.operation.duration</c> took each as a <c>mcp.resource.uri</c> attribute value, a time series per URI.
    /// The metric keeps every other attribute; the URI stays on the span.
    /// </summary>
    [Fact]
    public async Task ResourceUris_AreNotMetricAttributes()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithResources<NoteResources>(), o => o.Telemetry.Prometheus = true);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var customer = Guid.NewGuid().ToString("N");
        var read = await client.ReadResourceAsync($"notes://customers/{customer}", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal($"Notes on customer {customer}.", Assert.IsType<TextResourceContents>(Assert.Single(read.Contents)).Text);

        var lines = await ScrapeUntilAsync(server, IsServerResourceRead);
        Assert.Contains(lines, IsServerResourceRead);
        Assert.DoesNotContain(lines, line => line.StartsWith("mcp_server_", StringComparison.Ordinal) && line.Contains(customer, StringComparison.Ordinal));

        static bool IsServerResourceRead(string line) =>
            line.StartsWith("mcp_server_operation_duration", StringComparison.Ordinal) && line.Contains("mcp_method_name=\"resources/read\"", StringComparison.Ordinal);
    }

    /// <summary>
    /// The MCP SDK (2.4.0) records <c>mcp.server.operation.duration</c> a second time for every request, as it sends the response,
    /// with <c>mcp.method.name="unknownMethod"</c>: the metric counted each request twice, half of them under a method no client
    /// called. A stateless service also recorded <c>mcp.server.session.duration</c> for every request, each request being a
    /// "session" to the SDK. The operation is counted once; sessions are measured where there are sessions.
    /// </summary>
    [Theory]
    [InlineData(HttpServerSessionMode.Stateless)]
    [InlineData(HttpServerSessionMode.Stateful)]
    public async Task SdkOperationDuration_CountsEachRequestOnce_AndSessionsOnlyWhereThereAreSessions(HttpServerSessionMode mode)
    {
        var tool = mode == HttpServerSessionMode.Stateless ? "probe_stateless" : "probe_stateful";
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<MetricProbeTools>(),
            o =>
            {
                o.SessionMode = mode;
                o.Telemetry.Prometheus = true;
            });
        await using (var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            for (var i = 0; i < 3; i++)
            {
                await client.CallToolAsync(tool, cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        // Series of this test's tool only: other tests' services in this process report the SDK's static instruments too.
        var lines = await ScrapeUntilAsync(server, IsCallCount);
        var count = Assert.Single(lines, IsCallCount);
        Assert.Equal("3", count[(count.LastIndexOf('}') + 1)..].Trim().Split(' ')[0]);
        Assert.DoesNotContain(lines, line => line.StartsWith("mcp_server_", StringComparison.Ordinal) && line.Contains("unknownMethod", StringComparison.Ordinal));
        if (mode == HttpServerSessionMode.Stateless)
        {
            Assert.DoesNotContain(lines, line => line.StartsWith("mcp_server_session_duration", StringComparison.Ordinal));
        }
        else
        {
            Assert.Contains(lines, line => line.StartsWith("mcp_server_session_duration", StringComparison.Ordinal));
        }

        bool IsCallCount(string line) =>
            line.StartsWith("mcp_server_operation_duration_seconds_count{", StringComparison.Ordinal) && line.Contains($"gen_ai_tool_name=\"{tool}\"", StringComparison.Ordinal);
    }

    /// <summary>
    /// A meter provider aggregates every meter of a name it adds, whichever host created it: each of several services in one
    /// process (tests, or an application hosting two) exported the others' <c>McpServices</c> and ASP.NET Core measurements as
    /// its own.
    /// </summary>
    [Fact]
    public async Task MetricsOfAnotherServiceInTheSameProcess_AreNotExported()
    {
        await using var quiet = await TestServer.StartAsync(b => b.WithTools<MetricProbeTools>(), o => o.Telemetry.Prometheus = true);
        await using var busy = await TestServer.StartAsync(b => b.WithTools<MetricProbeTools>(), o => o.Telemetry.Prometheus = true);
        await using (var client = await busy.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            await client.CallToolAsync("probe_isolation", cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Contains(await ScrapeUntilAsync(busy, IsProbeCall), IsProbeCall);
        Assert.DoesNotContain(await ScrapeUntilAsync(quiet, _ => true), IsProbeCall);

        static bool IsProbeCall(string line) =>
            line.StartsWith("mcpservices_tool_calls", StringComparison.Ordinal) && line.Contains("mcp_tool_name=\"probe_isolation\"", StringComparison.Ordinal);
    }

    /// <summary>The relayed histogram is defined as the SDK defines its own: same unit, description and bucket boundaries.</summary>
    [Fact]
    public async Task SdkOperationDuration_RelayedInstrument_MatchesTheSdksDefinition()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var instruments = new List<System.Diagnostics.Metrics.Instrument>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Name == "mcp.server.operation.duration")
                {
                    lock (instruments)
                    {
                        instruments.Add(instrument);
                    }
                }
            },
        };
        listener.Start();

        var relayed = SdkOperationMetricRelay.Duration;
        var sdk = Assert.IsType<System.Diagnostics.Metrics.Histogram<double>>(Assert.Single(instruments, i => !ReferenceEquals(i, relayed)));
        Assert.Equal("Experimental.ModelContextProtocol", sdk.Meter.Name);
        Assert.Equal(sdk.Meter.Name, relayed.Meter.Name);
        Assert.Equal(sdk.Unit, relayed.Unit);
        Assert.Equal(sdk.Description, relayed.Description);
        Assert.Equal(sdk.Advice?.HistogramBucketBoundaries, relayed.Advice?.HistogramBucketBoundaries);
    }

    [Fact]
    public async Task Prometheus_TurnedOnInCode_ServesTheScrapeEndpoint_AndIsAbsentByDefault()
    {
        await using (var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.Telemetry.Prometheus = true))
        {
            await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
            await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
            using var http = server.CreateHttpClient();
            string text = string.Empty;
            for (var i = 0; i < 20 && !text.Contains("mcpservices_tool_calls", StringComparison.Ordinal); i++)
            {
                text = await http.GetStringAsync(new Uri("metrics", UriKind.Relative), TestContext.Current.CancellationToken);
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            Assert.Contains("mcpservices_tool_calls", text, StringComparison.Ordinal);
        }

        // Off by default: no endpoint, and no Prometheus reader aggregating every measurement.
        await using var plain = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var client2 = plain.CreateHttpClient();
        using var response = await client2.GetAsync(new Uri("metrics", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(plain.Services.GetService<McpServiceTelemetry.PrometheusExporterMarker>());
    }

    [Fact]
    public async Task OtlpAuditSink_SendsRecordsAsLogRecords_AndFailsClosedWhenTheCollectorIsDown()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync(TestContext.Current.CancellationToken);
        await using (var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
        {
            o.Audit.Sinks = ["otlp"];
            o.Audit.OtlpEndpoint = receiver.Endpoint.ToString();
        }))
        {
            await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
            await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
            await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);
        }

        Assert.True(receiver.Received("/v1/logs", "mcpservices.io/audit/v1", "\"tool\":\"add\"", "mcpservices.audit.hash"), Describe(receiver));

        // A collector nobody listens on: the sink fails, so a fail-closed service refuses calls.
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var logs = new CapturingLoggerProvider();
        await using var isolated = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o =>
            {
                o.Audit.Sinks = ["otlp"];
                o.Audit.OtlpEndpoint = $"http://127.0.0.1:{port}";
                o.DrainTimeout = TimeSpan.Zero;
            },
            configure: b =>
            {
                b.Logging.AddProvider(logs);
                b.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(1));
            });
        await using var second = await isolated.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        await second.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        var audit = isolated.Services.GetRequiredService<AuditTrail>();
        for (var i = 0; i < 200 && audit.SinksHealthy; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.False(audit.SinksHealthy);
        Assert.False(audit.IsAccepting);
        // The sink's failure says why, from what the exporter reports only to its event source.
        Assert.Contains(logs.Messages, m => m.Contains("Audit sink OtlpAuditSink failed", StringComparison.Ordinal)
            && m.Contains($"The OTLP endpoint did not accept the audit records: Exporter failed send data to collector to http://127.0.0.1:{port}/v1/logs endpoint", StringComparison.Ordinal)
            && m.Contains($"Connection refused (127.0.0.1:{port})", StringComparison.Ordinal));
    }

    /// <summary>
    /// The audit trail retries a batch a sink failed on, whole. The OTLP sink must not send what the collector already accepted a
    /// second time.
    /// </summary>
    [Fact]
    public async Task OtlpAuditSink_ABatchTheCollectorRefused_IsSentAgainWhole_SoNoRecordArrivesTwice()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync(TestContext.Current.CancellationToken);
        using var sink = new OtlpAuditSink(receiver.Endpoint.ToString(), new ServiceIdentity(Options.Create(new McpServiceOptions { Name = "otlp-retry", Version = "1.0.0" })));
        var records = Enumerable.Range(0, 600)
            .Select(i => new AuditRecord($"id-{i:D4}", DateTimeOffset.UtcNow, "add", "succeeded", null, $"sha256:{i:D64}", Encoding.UTF8.GetBytes($$"""{"n":{{i}}}""")))
            .ToArray();

        receiver.RefuseLogs(1);
        var refused = await Assert.ThrowsAsync<IOException>(() => sink.WriteAsync(records, TestContext.Current.CancellationToken).AsTask());
        Assert.Contains("400 (Bad Request)", refused.Message, StringComparison.Ordinal); // why, for the audit sink's failure event
        await sink.WriteAsync(records, TestContext.Current.CancellationToken); // the trail's retry: the same records

        var accepted = receiver.Requests.Where(r => r.Path == "/v1/logs").Select(r => Encoding.UTF8.GetString(r.Body)).ToList();
        var arrivals = records.Select(r => accepted.Sum(body => Occurrences(body, r.Hash))).ToArray();
        Assert.All(arrivals, count => Assert.Equal(1, count));

        static int Occurrences(string text, string value)
        {
            var count = 0;
            for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
            {
                count++;
            }

            return count;
        }
    }

    /// <summary>
    /// A batch of records with large arguments (512 near the 16 KiB limit: about 8 MiB) went as one request, above what
    /// collectors accept by default (gRPC: 4 MiB); refused, it would have been retried for ever, and under FailClosed every call
    /// refused. The sink sends it in requests of at most 1 MiB of records; when one is refused, the retry sends only what did
    /// not arrive.
    /// </summary>
    [Fact]
    public async Task OtlpAuditSink_SendsALargeBatchInRequestsOfBoundedSize_AndARetrySendsOnlyWhatDidNotArrive()
    {
        await using var receiver = await OtlpTestReceiver.StartAsync(TestContext.Current.CancellationToken);
        using var sink = new OtlpAuditSink(receiver.Endpoint.ToString(), new ServiceIdentity(Options.Create(new McpServiceOptions { Name = "otlp-large", Version = "1.0.0" })));
        var padding = new string('x', 16 * 1024);
        var records = Enumerable.Range(0, 512)
            .Select(i => new AuditRecord($"id-{i:D4}", DateTimeOffset.UtcNow, "add", "succeeded", null, $"sha256:{i:D64}", Encoding.UTF8.GetBytes($$"""{"n":{{i}},"arguments":"{{padding}}"}""")))
            .ToArray();

        await sink.WriteAsync(records[..100], TestContext.Current.CancellationToken); // two requests, both accepted
        receiver.RefuseLogs(1);
        await Assert.ThrowsAsync<IOException>(() => sink.WriteAsync(records[100..], TestContext.Current.CancellationToken).AsTask());
        await sink.WriteAsync(records[100..], TestContext.Current.CancellationToken); // the trail's retry: the same records

        var accepted = receiver.Requests.Where(r => r.Path == "/v1/logs").ToList();
        Assert.All(accepted, r => Assert.InRange(r.Body.Length, 1, OtlpAuditSink.MaxBytesPerExport + (64 * 1024)));
        Assert.InRange(accepted.Count, 8, 10); // about 8.1 MiB of records, 1 MiB at most per request
        var bodies = accepted.Select(r => Encoding.UTF8.GetString(r.Body)).ToList();
        Assert.All(records, r => Assert.Equal(1, bodies.Count(body => body.Contains(r.Hash, StringComparison.Ordinal))));
    }

    [Fact]
    public async Task OtlpAuditSink_WaitsForTheCollectorsAnswer_SoASlowRefusalFailsTheWrite()
    {
        // The batch processor's flush reported success once its exporter had taken the records, polling every second, while the
        // request was still on its way: a collector that answered later, with a refusal, lost the batch without a retry.
        await using var receiver = await OtlpTestReceiver.StartAsync(TestContext.Current.CancellationToken);
        using var sink = new OtlpAuditSink(receiver.Endpoint.ToString(), new ServiceIdentity(Options.Create(new McpServiceOptions { Name = "otlp-slow", Version = "1.0.0" })));
        AuditRecord[] records = [new("id-slow", DateTimeOffset.UtcNow, "add", "succeeded", null, $"sha256:{new string('5', 64)}", "{}"u8.ToArray())];
        receiver.DelayLogs(TimeSpan.FromSeconds(2.5));

        receiver.RefuseLogs(1);
        await Assert.ThrowsAsync<IOException>(() => sink.WriteAsync(records, TestContext.Current.CancellationToken).AsTask());
        await sink.WriteAsync(records, TestContext.Current.CancellationToken);

        Assert.Single(receiver.Requests, r => r.Path == "/v1/logs"); // accepted by the time the write returned
    }

    private static string Describe(OtlpTestReceiver receiver) =>
        "Received: " + string.Join(", ", receiver.Requests.Select(r => $"{r.Path} ({r.Body.Length} bytes)"));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The service's Prometheus scrape, line by line, once a line matches (measurements reach the reader asynchronously).</summary>
    private static async Task<string[]> ScrapeUntilAsync(McpServices.Testing.McpTestServer server, Func<string, bool> until)
    {
        using var http = server.CreateHttpClient();
        string[] lines = [];
        for (var i = 0; i < 20 && !lines.Any(until); i++)
        {
            if (i > 0)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            lines = (await http.GetStringAsync(new Uri("metrics", UriKind.Relative), TestContext.Current.CancellationToken)).Split('\n');
        }

        return lines;
    }
}

/// <summary>Tools only <see cref="ExportTests"/> calls, so that their metric series count this class's calls alone.</summary>
public sealed class MetricProbeTools
{
    public string ProbeStateless() => "measured";

    public string ProbeStateful() => "measured";

    public string ProbeIsolation() => "measured";
}

/// <summary>Tests whose telemetry would mix with other tests' services in the process: they run after the others, one at a time.</summary>
[CollectionDefinition(nameof(ProcessWideTelemetry), DisableParallelization = true)]
public sealed class ProcessWideTelemetry;
