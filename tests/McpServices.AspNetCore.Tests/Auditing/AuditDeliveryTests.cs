using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Tests.Common;

namespace McpServices.AspNetCore.Tests.Auditing;

/// <summary>A sink that can be switched to fail, like a full disk or an unreachable collector.</summary>
public sealed class FlakySink : IAuditSink
{
    public volatile bool Failing;

    public List<AuditRecord> Written { get; } = [];

    public ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        if (Failing)
        {
            throw new IOException("disk full");
        }

        lock (Written)
        {
            Written.AddRange(records);
        }

        return ValueTask.CompletedTask;
    }
}

public sealed class AuditDeliveryTests
{
    private const string Call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}""";

    [Fact]
    public async Task HostDisposedWithoutStopping_EndsTheAuditWriterThread()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<InvocationLog>();
        builder.AddMcpService(o =>
        {
            TestServer.WithoutAuthentication(o);
            o.Audit.Sinks = ["none"];
        }).WithTools<CalculatorTools>().WithAuditSink<FlakySink>();
        await using var app = builder.Build();
        app.MapMcpService();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var writer = app.Services.GetRequiredService<AuditTrail>().Writer;
        Assert.NotNull(writer);
        Assert.False(writer.IsCompleted);

        await app.DisposeAsync();

        Assert.True(writer.IsCompleted, "the audit writer's thread still runs after the host was disposed");
    }

    [Fact]
    public async Task Shutdown_DoesNotWaitPastItsTimeout_ForASinkThatBlocksAndIgnoresCancellation()
    {
        using var release = new ManualResetEventSlim();
        var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>().WithAuditSink<StuckSink>(),
            o =>
            {
                o.Audit.Sinks = ["none"];
                o.DrainTimeout = TimeSpan.Zero;
            },
            configure: b =>
            {
                b.Services.AddSingleton(release);
                b.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(1));
            });
        try
        {
            await using (var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken))
            {
                await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
            }

            var stop = server.StopAsync(CancellationToken.None);
            var finished = await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));

            Assert.Same(stop, finished);
            Assert.True(server.Services.GetRequiredService<AuditTrail>().Pending > 0, "the stuck sink's records should be counted as lost");
        }
        finally
        {
            release.Set();
            await server.DisposeAsync();
        }
    }

    /// <summary>A sink stuck in a synchronous call that does not observe cancellation, like a hung network mount.</summary>
    private sealed class StuckSink(ManualResetEventSlim release) : IAuditSink
    {
        public ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
        {
            release.Wait(TimeSpan.FromMinutes(1), CancellationToken.None);
            return ValueTask.CompletedTask;
        }
    }

    [Theory]
    [InlineData(AuditFailurePolicy.FailClosed)]
    [InlineData(AuditFailurePolicy.FailOpen)]
    public async Task WriterStoppedByABug_IsReportedAtOnce_AndItsUnwrittenRecordsAreCountedAtShutdown(AuditFailurePolicy policy)
    {
        var sink = new FlakySink();
        var logs = new CapturingLoggerProvider();
        var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o => o.Audit.FailurePolicy = policy,
            configure: b =>
            {
                b.Services.AddSingleton<IAuditSink>(sink);
                b.Logging.AddProvider(logs);
            });
        var ct = TestContext.Current.CancellationToken;
        var audit = server.Services.GetRequiredService<AuditTrail>();
        using var metrics = new Telemetry.ScopedMeterListener(server.Services);

        // The bug: a metric listener that throws. Listeners run on the thread that records, here the audit writer's.
        using var faulty = new System.Diagnostics.Metrics.MeterListener();
        var factory = server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        faulty.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "mcpservices.audit.records.written")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        faulty.SetMeasurementEventCallback<long>((_, _, _, _) => throw new InvalidOperationException("listener bug"));
        faulty.Start();

        try
        {
            using var http = server.CreateHttpClient();
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(RequestGateTests.Post(Call), ct)).StatusCode);

            // Reported when it happens, not at shutdown; the record written before the failure is accounted for.
            await WaitUntilAsync(() => Task.FromResult(logs.Entries.Any(e => e.Level == LogLevel.Critical && e.Message.StartsWith("The audit writer stopped", StringComparison.Ordinal))));
            Assert.True(audit.WriterFailed);
            lock (sink.Written)
            {
                Assert.Single(sink.Written);
            }

            Assert.Equal(0, audit.Pending);
            // It does not come back without a restart: the instance is neither ready nor alive, so Kubernetes restarts it.
            foreach (var probe in new[] { "readyz", "livez" })
            {
                using var response = await http.GetAsync(probe, ct);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            }

            var health = await server.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync(ct);
            Assert.Equal("The audit writer stopped on an unexpected error; restart the instance.", health.Entries[AuditWriterLivenessCheck.Name].Description);

            using var next = await http.SendAsync(RequestGateTests.Post(Call), ct);
            if (policy == AuditFailurePolicy.FailClosed)
            {
                // Nothing can be recorded any more, so nothing runs.
                Assert.Equal(HttpStatusCode.ServiceUnavailable, next.StatusCode);
                Assert.Equal(1, server.Log().Count("add"));
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, next.StatusCode);
                Assert.Equal(2, server.Log().Count("add"));
            }

            await server.StopAsync(CancellationToken.None);

            // The second call's record (of the refused call under FailClosed, of the call that ran under FailOpen) was never
            // written: shutdown counts and reports it instead of failing on the writer's error.
            Assert.Equal(1, metrics.Sum("mcpservices.audit.records.dropped", ("mcpservices.reason", "shutdown")));
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Critical && e.Message == "1 audit record(s) could not be written before the host stopped.");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task FailClosed_FailingSink_RefusesNewCalls_ThenRecovers_WithoutLosingRecords()
    {
        var sink = new FlakySink();
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), configure: b => b.Services.AddSingleton<IAuditSink>(sink));
        using var http = server.CreateHttpClient();
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(RequestGateTests.Post(Call), ct)).StatusCode);
        sink.Failing = true;

        // The call that runs while the sink breaks is kept; once the failure is noticed, new calls are refused.
        HttpStatusCode status = HttpStatusCode.OK;
        for (var i = 0; i < 100 && status == HttpStatusCode.OK; i++)
        {
            using var response = await http.SendAsync(RequestGateTests.Post(Call), ct);
            status = response.StatusCode;
            if (status == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Contains("audit trail", await response.Content.ReadAsStringAsync(ct));
                Assert.Equal("5", response.Headers.RetryAfter?.ToString());
            }

            await Task.Delay(20, ct);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        using (var ready = await http.GetAsync("readyz", ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        var ran = server.Log().Count("add");
        sink.Failing = false;
        await WaitUntilAsync(async () => (await http.SendAsync(RequestGateTests.Post(Call), ct)).StatusCode == HttpStatusCode.OK);
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(ct);

        // Every call that ran has its record, written once the sink recovered.
        lock (sink.Written)
        {
            Assert.Equal(server.Log().Count("add"), sink.Written.Count(r => r.Outcome == "succeeded"));
            Assert.True(sink.Written.Count(r => r.Outcome == "succeeded") > ran);
            Assert.Equal(sink.Written.Count, sink.Written.Select(r => r.Id).Distinct().Count());
        }
    }

    [Fact]
    public async Task FailOpen_FullBuffer_CallsContinue_AndDroppedRecordsAreCounted()
    {
        var sink = new FlakySink { Failing = true };
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o =>
            {
                o.Audit.FailurePolicy = AuditFailurePolicy.FailOpen;
                o.Audit.BufferCapacity = 5;
            },
            configure: b => b.Services.AddSingleton<IAuditSink>(sink));
        using var listener = new Telemetry.ScopedMeterListener(server.Services);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        for (var i = 0; i < 20; i++)
        {
            var result = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = i }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.NotEqual(true, result.IsError);
        }

        Assert.Equal(20, server.Log().Count("add"));
        Assert.Equal(15, listener.Sum("mcpservices.audit.records.dropped", ("mcpservices.reason", "buffer_full")));

        sink.Failing = false;
        await server.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);
        lock (sink.Written)
        {
            Assert.Equal(5, sink.Written.Count);
        }
    }

    [Fact]
    public async Task ConcurrentLoad_WithShutdownInTheMiddle_EveryCallThatRanHasExactlyOneRecord()
    {
        var sink = new FlakySink();
        var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => o.DrainTimeout = TimeSpan.FromSeconds(10), configure: b => b.Services.AddSingleton<IAuditSink>(sink));
        var log = server.Log();
        var clients = new List<ModelContextProtocol.Client.McpClient>();
        for (var i = 0; i < 8; i++)
        {
            clients.Add(await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken));
        }

        using var stop = new CancellationTokenSource();
        var load = clients.Select(client => Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = n++ });
                }
                catch (Exception)
                {
                    // Refused (503) or connection closed once shutdown starts.
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        await server.DisposeAsync();
        await stop.CancelAsync();
        await Task.WhenAll(load);
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        var ran = log.Count("add");
        Assert.True(ran > 20, $"Only {ran} calls ran.");
        lock (sink.Written)
        {
            Assert.Equal(ran, sink.Written.Count(r => r.Outcome == "succeeded"));
            Assert.Equal(sink.Written.Count, sink.Written.Select(r => r.Id).Distinct().Count());
            Assert.Equal(sink.Written.Count, sink.Written.Select(r => r.Hash).Distinct().Count());
        }
    }

    [Fact]
    public async Task FileSink_WritesJsonLines_AndRotates_AndTheSetVerifies()
    {
        using var directory = TemporaryFolder.Create("mcps-audit-");
        var path = Path.Combine(directory.FullName, "audit.jsonl");
        await using (var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
        {
            o.Audit.Sinks = ["file"];
            o.Audit.FilePath = path;
            o.Audit.FileMaxBytes = 4096;
            o.Audit.FileMaxFiles = 50;
        }))
        {
            await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
            for (var i = 0; i < 60; i++)
            {
                await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = i }, cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        // As the shell expands audit.jsonl*: name order (audit.jsonl, .1, .10, .11, .2, …), which --verify-audit puts in
        // rotation order, oldest first.
        var globbed = Directory.GetFiles(directory.FullName).Order(StringComparer.Ordinal).ToArray();
        Assert.True(globbed.Length > 10, $"The file sink should have rotated more than ten times; it wrote {globbed.Length} files.");
        Assert.All(globbed, f => Assert.True(new FileInfo(f).Length <= 4096));
        var files = AuditVerifier.InRotationOrder(globbed);
        Assert.Equal(globbed.OrderByDescending(f => f.Length).ThenByDescending(f => f, StringComparer.Ordinal), files);
        var result = VerifyFiles(files);

        Assert.True(result.Intact, result.Message);
        Assert.Equal(60, result.Records);
        Assert.False(VerifyFiles(globbed).Intact); // read in name order, the records are out of order
    }

    [Theory]
    [InlineData("under-a-file")]
    [InlineData("a-directory")]
    [InlineData("a-lock-path-that-is-no-file")]
    public async Task FileSink_WhosePathCannotBeWritten_StopsStartup_NamingTheSetting(string kind)
    {
        // A path the service cannot write must not give an instance that reports ready, runs calls and only then refuses them
        // (FailClosed) with records that can never be written.
        using var directory = TemporaryFolder.Create("mcps-audit-");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var blocker = Path.Combine(directory.FullName, "not-a-directory");
        File.WriteAllText(blocker, "");
        var path = kind switch
        {
            "under-a-file" => Path.Combine(blocker, "audit.jsonl"),
            "a-directory" => directory.FullName,
            _ => Path.Combine(directory.FullName, "audit.jsonl"),
        };
        if (kind == "a-lock-path-that-is-no-file")
        {
            // The lock file's place is taken by something no process can open (a socket; opening it fails with ENXIO): the
            // error is the file system's, not "another writer holds the lock", which would send the operator looking for
            // a second replica (as would a volume remounted read-only after errors).
            socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(directory.FullName, ".audit.jsonl.lock")));
        }

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
        {
            o.Audit.Sinks = ["file"];
            o.Audit.FilePath = path;
        }));

        Assert.Equal("McpServiceConfigurationException", error.GetType().Name);
        if (kind == "a-directory")
        {
            // The audit volume's mount path given instead of a file in it: said so, not "access to the path is denied".
            Assert.Equal($"McpService:Audit:FilePath: '{path}' is a directory, not a file. Give the path of a file in it, for example '{Path.Combine(path, "audit.jsonl")}'.", error.Message);
            Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.lock")), "a lock file was left next to the directory");
            return;
        }

        Assert.StartsWith($"McpService:Audit:FilePath: the audit file '{path}' cannot be opened for writing (", error.Message);
        Assert.EndsWith("choose another sink with McpService:Audit:Sinks.", error.Message);
    }

    [Fact]
    public async Task FileSink_WhoseFileAnotherServiceWrites_StopsStartup_AndTheFileIsFreeOnceThatOneStops()
    {
        // Replicas sharing a volume, or two processes given the same path: their writes interleave and cut each other's records
        // (two governed servers on one file lost half their records in a load test, and --verify-audit found unreadable lines).
        using var directory = TemporaryFolder.Create("mcps-audit-");
        var path = Path.Combine(directory.FullName, "audit.jsonl");
        void Options(McpServiceOptions o)
        {
            o.Audit.Sinks = ["file"];
            o.Audit.FilePath = path;
        }

        var first = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), Options);
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), Options));

        Assert.Equal("McpServiceConfigurationException", error.GetType().Name);
        Assert.StartsWith($"McpService:Audit:FilePath: the audit file '{path}' is being written by another process, or by another service in this process (it holds '{Path.Combine(directory.FullName, ".audit.jsonl.lock")}').", error.Message);
        Assert.Contains("McpService__Audit__FilePath=/var/audit/$(POD_NAME).jsonl", error.Message);

        // The lock file is hidden from "audit.jsonl*", and released when the first service stops.
        Assert.Equal(["audit.jsonl"], Directory.GetFiles(directory.FullName, "audit.jsonl*").Select(Path.GetFileName));
        await first.DisposeAsync();
        await using var second = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), Options);
        await using var client = await second.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task FileSink_OnAVolumeRemountedReadOnly_StopsStartup_WithTheFileSystemsReason_NotAnotherWriter()
    {
        // A node's file system remounted read-only after errors, with the lock file and the trail of the previous pod on it:
        // opening the lock fails with EROFS. That is not a second writer, and the message must not send the operator looking
        // for replicas sharing the volume. (A real read-only mount: a tmpfs, which needs root to mount; CI runs as root.)
        var ct = TestContext.Current.CancellationToken;
        await using var volume = await Tmpfs.MountAsync("64k");
        var path = Path.Combine(volume.Path, "audit.jsonl");
        await File.WriteAllTextAsync(path, "", ct);
        await File.WriteAllTextAsync(Path.Combine(volume.Path, ".audit.jsonl.lock"), "", ct);
        var remount = await ProcessRunner.RunAsync("mount", ["-o", "remount,ro", volume.Path], cancellationToken: ct);
        Assert.True(remount.ExitCode == 0, remount.Describe());

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
        {
            o.Audit.Sinks = ["file"];
            o.Audit.FilePath = path;
        }));

        Assert.Equal("McpServiceConfigurationException", error.GetType().Name);
        Assert.StartsWith($"McpService:Audit:FilePath: the audit file '{path}' cannot be opened for writing (Read-only file system", error.Message);
        Assert.DoesNotContain("another process", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileSink_AfterARestart_CountsTheExistingFileTowardsRotation()
    {
        using var directory = TemporaryFolder.Create("mcps-audit-");
        var path = Path.Combine(directory.FullName, "audit.jsonl");
        async Task CallAsync(long maxBytes, int calls)
        {
            await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
            {
                o.Audit.Sinks = ["file"];
                o.Audit.FilePath = path;
                o.Audit.FileMaxBytes = maxBytes;
            });
            await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
            for (var i = 0; i < calls; i++)
            {
                await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = i }, cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        await CallAsync(1024 * 1024, 3);
        var firstRun = File.ReadAllBytes(path);

        // The next process appends to the same file; one more record does not fit, so its first write rotates.
        await CallAsync(firstRun.Length + 10, 1);

        Assert.Equal(firstRun, File.ReadAllBytes(path + ".1"));
        var result = VerifyFiles([path + ".1", path]);
        Assert.True(result.Intact, result.Message);
        Assert.Equal(4, result.Records);
    }

    [Fact]
    public async Task FileSink_WhenTheFileIsTruncatedUnderIt_ContinuesAtItsNewEnd_WithoutAGapOfNulBytes()
    {
        // logrotate's copytruncate copies the file and truncates it in place. The sink wrote on at its old position: the file then
        // began with a run of NUL bytes glued to the next record, which no reader could read (the verifier reported it REMOVED).
        await using var audited = await FileAudited.StartAsync();
        var path = audited.Path;

        await audited.CallAsync(3);
        File.Copy(path, path + ".copied");
        using (var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            truncate.SetLength(0);
        }

        await audited.CallAsync(2);

        var bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal((byte)'{', bytes[0]);
        Assert.DoesNotContain((byte)0, bytes);
        Assert.Equal(2, File.ReadAllLines(path).Length);
        Assert.Contains(audited.Logs.Entries, e => e.EventId.Id == 64 && e.Level == LogLevel.Warning && e.Message.Contains($"The audit file '{path}' was truncated from ", StringComparison.Ordinal));
        var result = VerifyFiles([path + ".copied", path]);
        Assert.True(result.Intact, result.Message);
        Assert.Equal(5, result.Records);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task FileSink_CreatesItsFilesReadableByOwnerAndGroupOnly()
    {
        // Records name callers and carry their arguments; with the usual umask (022) every user of the host could read them.
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        await using var audited = await FileAudited.StartAsync();

        await audited.CallAsync(1);

        var expected = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        Assert.Equal(expected, File.GetUnixFileMode(audited.Path));
        Assert.Equal(expected, File.GetUnixFileMode(Path.Combine(Path.GetDirectoryName(audited.Path)!, ".audit.jsonl.lock")));
    }

    /// <summary>
    /// An audit file deleted or moved away while the service writes it (by hand, or by a log rotator that moves files): the open
    /// handle would go on writing where nobody can read the records. The next batch goes to a new file at the configured path,
    /// with a warning, and the moved file and the new one verify as one trail.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FileSink_WhenTheFileIsDeletedOrMovedAway_WritesTheNextRecordsToANewFile(bool moved)
    {
        await using var audited = await FileAudited.StartAsync();
        var path = audited.Path;

        await audited.CallAsync(2);
        if (moved)
        {
            File.Move(path, path + ".old");
        }
        else
        {
            File.Delete(path);
        }

        await audited.CallAsync(3);

        Assert.Equal(3, File.ReadAllLines(path).Length);
        Assert.Contains(audited.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains($"The audit file '{path}' was deleted or moved", StringComparison.Ordinal));
        if (moved)
        {
            var result = VerifyFiles([path + ".old", path]);
            Assert.True(result.Intact, result.Message);
            Assert.Equal(5, result.Records);
        }
    }

    /// <summary>A service auditing to a file in a folder of its own, with a client, its logs, and calls that wait until their records are written.</summary>
    private sealed class FileAudited : IAsyncDisposable
    {
        private readonly DirectoryInfo _directory;
        private McpServices.Testing.McpTestServer? _server;
        private ModelContextProtocol.Client.McpClient? _client;

        private FileAudited(DirectoryInfo directory) => _directory = directory;

        public string Path => System.IO.Path.Combine(_directory.FullName, "audit.jsonl");

        public CapturingLoggerProvider Logs { get; } = new();

        public static async Task<FileAudited> StartAsync()
        {
            var audited = new FileAudited(Directory.CreateTempSubdirectory("mcps-audit-"));
            audited._server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
            {
                o.Audit.Sinks = ["file"];
                o.Audit.FilePath = audited.Path;
            }, configure: b => b.Logging.AddProvider(audited.Logs));
            audited._client = await audited._server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
            return audited;
        }

        public async Task CallAsync(int calls)
        {
            for (var i = 0; i < calls; i++)
            {
                await _client!.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = i }, cancellationToken: TestContext.Current.CancellationToken);
            }

            await _server!.Services.GetRequiredService<AuditTrail>().FlushAsync(TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            if (_client is not null)
            {
                await _client.DisposeAsync();
            }

            if (_server is not null)
            {
                await _server.DisposeAsync();
            }

            _directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task FileSink_AfterAProcessStoppedInTheMiddleOfARecord_StartsOnANewLine_AndVerifyReportsTheCut()
    {
        using var directory = TemporaryFolder.Create("mcps-audit-");
        var path = Path.Combine(directory.FullName, "audit.jsonl");
        var logs = new CapturingLoggerProvider();
        async Task CallAsync(int calls)
        {
            await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
            {
                o.Audit.Sinks = ["file"];
                o.Audit.FilePath = path;
            }, configure: b => b.Logging.AddProvider(logs));
            await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
            for (var i = 0; i < calls; i++)
            {
                await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = i }, cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        // A process killed while writing its third record (OOM kill, power loss) leaves half a line at the end of the file.
        await CallAsync(3);
        var written = File.ReadAllBytes(path);
        var thirdStart = Array.LastIndexOf(written, (byte)'\n', written.Length - 2) + 1;
        File.WriteAllBytes(path, written[..(thirdStart + 40)]);

        await CallAsync(2);

        // The next process's records start on a line of their own: none of them is lost in the cut-off line.
        var lines = File.ReadAllLines(path);
        Assert.Equal(5, lines.Length);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(written, thirdStart, 40), lines[2]);
        Assert.All(lines[3..], l => Assert.Equal("succeeded", System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("outcome").GetString()));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains($"The audit file '{path}' ended in the middle of a record", StringComparison.Ordinal));

        var result = VerifyFiles([path]);
        Assert.False(result.Intact);
        Assert.StartsWith("audit.jsonl:3: CUT OFF — the writer stopped in the middle of this audit record (a crash, or a full disk), and a new process continued the file after it.", result.Message);
    }

    [Fact]
    public async Task FileSink_OnAFullDisk_RefusesCalls_ThenResumesWhenSpaceReturns_WithoutLosingOrDuplicatingARecord()
    {
        // A real full file system (a 256 KiB tmpfs, which needs root to mount; CI runs as root): writes fail part-way through a
        // batch with ENOSPC, FailClosed refuses new calls, and once space returns the trail must hold every call that ran
        // exactly once, and verify.
        var ct = TestContext.Current.CancellationToken;
        await using var volume = await Tmpfs.MountAsync("256k");
        var path = Path.Combine(volume.Path, "audit.jsonl");
        var filler = Path.Combine(volume.Path, "filler");
        await File.WriteAllBytesAsync(filler, new byte[236 * 1024], ct); // about 20 KiB stay free: a few dozen records
        var succeeded = 0;
        await using (var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o =>
        {
            o.Audit.Sinks = ["file"];
            o.Audit.FilePath = path;
            o.Audit.FileMaxBytes = 1024 * 1024;
        }))
        {
            using var http = server.CreateHttpClient();
            var refused = false;
            for (var i = 0; i < 2000 && !refused; i++)
            {
                using var response = await http.SendAsync(RequestGateTests.Post(Call), ct);
                refused = response.StatusCode == HttpStatusCode.ServiceUnavailable;
                succeeded += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }

            Assert.True(refused, "The full disk should have stopped the audit trail, and FailClosed new calls.");
            File.Delete(filler); // space returns
            await WaitUntilAsync(async () =>
            {
                using var response = await http.SendAsync(RequestGateTests.Post(Call), ct);
                succeeded += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
                return response.StatusCode == HttpStatusCode.OK;
            });
            for (var i = 0; i < 20; i++)
            {
                using var response = await http.SendAsync(RequestGateTests.Post(Call), ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                succeeded++;
            }

            Assert.Equal(succeeded, server.Log().Count("add"));
        }

        var result = VerifyFiles([path]);
        Assert.True(result.Intact, result.Message);
        var records = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(records.Count, records.Select(r => r.GetProperty("id").GetString()).Distinct().Count());
        Assert.Equal(succeeded, records.Count(r => r.GetProperty("outcome").GetString() == "succeeded"));
    }

    /// <summary>Verifies audit files as <c>--verify-audit</c> does, oldest first.</summary>
    private static AuditVerifier.Result VerifyFiles(IEnumerable<string> files)
    {
        var readers = files.Select(f => (Path.GetFileName(f), (TextReader)new StreamReader(f))).ToList();
        try
        {
            return AuditVerifier.Verify(readers);
        }
        finally
        {
            readers.ForEach(r => r.Item2.Dispose());
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Fail("Condition not met within 10 seconds.");
    }
}

/// <summary>
/// A real, small file system (tmpfs) mounted for one test: a full disk or a read-only remount, as a node gives them. Mounting
/// needs root on Linux (CI runs as root); elsewhere, or in a container without CAP_SYS_ADMIN, the test is skipped.
/// </summary>
internal sealed class Tmpfs : IAsyncDisposable
{
    private Tmpfs(DirectoryInfo mountPoint) => MountPoint = mountPoint;

    private DirectoryInfo MountPoint { get; }

    public string Path => MountPoint.FullName;

    public static async Task<Tmpfs> MountAsync(string size)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Assert.Skip("Mounting a tmpfs needs root on Linux.");
        }

        var mountPoint = Directory.CreateTempSubdirectory("mcps-tmpfs-");
        var mount = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", mountPoint.FullName], cancellationToken: TestContext.Current.CancellationToken);
        if (mount.ExitCode != 0)
        {
            mountPoint.Delete();
            Assert.Skip($"Cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?): {mount.StandardError.Trim()}");
        }

        return new Tmpfs(mountPoint);
    }

    public async ValueTask DisposeAsync()
    {
        var umount = await ProcessRunner.RunAsync("umount", [Path], cancellationToken: CancellationToken.None);
        Assert.True(umount.ExitCode == 0, umount.Describe());
        MountPoint.Delete(recursive: true);
    }
}
