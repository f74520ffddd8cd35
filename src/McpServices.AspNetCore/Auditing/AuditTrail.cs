using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// The audit trail: one record for every <c>tools/call</c>. Records are captured when a call completes and written off the
/// request path by one background writer, through a bounded buffer, to every sink in order.
/// <list type="bullet">
/// <item>Every admitted <c>tools/call</c> reserves a place in the buffer at the HTTP stage, so its record can always be kept.</item>
/// <item><see cref="AuditFailurePolicy.FailClosed"/>: while the buffer is full or a sink is failing, new calls are refused (503) — no record of a call that ran is lost.</item>
/// <item><see cref="AuditFailurePolicy.FailOpen"/>: calls continue; a record that finds the buffer full is dropped and counted.</item>
/// <item>A failing sink is retried with the same records (in order, never re-chained), with backoff.</item>
/// <item>On shutdown the buffer is flushed after the server has stopped, so records of drained calls are written.</item>
/// </list>
/// </summary>
internal sealed partial class AuditTrail : IToolCallObserver, IHostedLifecycleService, IDisposable
{
    private const int MaxBatch = 512;

    /// <summary>
    /// How long the writer waits for more records before writing a small batch. Each batch is one write and one flush to disk
    /// (fsync) per sink; collecting records for a few milliseconds turns hundreds of flushes per second into a few, and delays only
    /// the write, never the call.
    /// </summary>
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(5);

    private readonly McpServiceAuditOptions _options;
    private readonly ServiceIdentity _identity;
    private readonly IAuditSink[] _sinks;
    private readonly McpServiceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<AuditEntry> _channel = Channel.CreateUnbounded<AuditEntry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abandon = new();
    private readonly AuditRecordSerializer _serializer;
    private readonly IReadOnlyList<IAuditSink> _builtInSinks;
    private Task? _writer;
    private int _pending;
    private volatile bool _sinksHealthy = true;
    private volatile bool _stopping;
    private volatile bool _writerFailed;
    private int _standardOutputClaimed;
    private long _lastDropLog;

    public AuditTrail(IOptions<McpServiceOptions> options, ServiceIdentity identity, IEnumerable<IAuditSink> sinks, AuditSinkFactory builtIns, McpServiceMetrics metrics, ILogger<AuditTrail> logger)
    {
        _options = options.Value.Audit;
        _identity = identity;
        _builtInSinks = builtIns.Create(_options);
        _sinks = [.. _builtInSinks, .. sinks];
        _metrics = metrics;
        _logger = logger;
        _serializer = new AuditRecordSerializer(identity, _options);
        metrics.ObserveAuditBuffer(() => Volatile.Read(ref _pending));
    }

    public bool Enabled => _options.Enabled;

    /// <summary>Whether the trail can accept new calls under its failure policy (used by readiness and admission).</summary>
    public bool IsAccepting => !_options.Enabled || _options.FailurePolicy == AuditFailurePolicy.FailOpen
        || (_sinksHealthy && Volatile.Read(ref _pending) < _options.BufferCapacity);

    public bool SinksHealthy => _sinksHealthy;

    /// <summary>Whether the writer stopped on an unexpected error: nothing more is written until the process restarts.</summary>
    public bool WriterFailed => _writerFailed;

    public int Pending => Volatile.Read(ref _pending);

    /// <summary>The writer thread's task, once started (for tests).</summary>
    internal Task? Writer => _writer;

    /// <summary>
    /// Admits a <c>tools/call</c> at the HTTP stage, reserving a place for its record. Returns <see langword="false"/> when the call
    /// must be refused (fail-closed and audit unavailable).
    /// </summary>
    public bool TryAdmit(HttpContext context)
    {
        if (!_options.Enabled)
        {
            return true;
        }

        if (_options.FailurePolicy == AuditFailurePolicy.FailClosed && !_sinksHealthy)
        {
            return false;
        }

        if (Interlocked.Increment(ref _pending) > _options.BufferCapacity)
        {
            Interlocked.Decrement(ref _pending);
            return _options.FailurePolicy == AuditFailurePolicy.FailOpen;
        }

        context.Items[ToolCall.AuditTicketKey] = true;
        return true;
    }

    public void OnCompleted(ToolCall call)
    {
        if (!_options.Enabled)
        {
            return;
        }

        if (!call.HoldsAuditTicket && Interlocked.Increment(ref _pending) > _options.BufferCapacity)
        {
            Interlocked.Decrement(ref _pending);
            Drop(call.ToolName, "buffer_full");
            return;
        }

        _channel.Writer.TryWrite(AuditEntry.From(call, _identity.Version));
    }

    /// <summary>Waits until every record queued so far has been written (for tests and diagnostics).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _pending) > 0)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled)
        {
            foreach (var file in _sinks.OfType<FileAuditSink>())
            {
                if (file.OpenAtStart())
                {
                    LogCutOffRecord(_logger, file.FilePath);
                }
            }

            if (_builtInSinks.OfType<StdoutAuditSink>().Any())
            {
                StdoutAuditSink.CheckAtStart();
                _standardOutputClaimed = 1;
                if (StdoutAuditSink.ClaimStandardOutput())
                {
                    LogStandardOutputClaimed(_logger);
                }
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    WriteLoop();
                }
                catch (Exception ex)
                {
                    // Only a bug gets here (sink and serializer errors are handled in the loop). Say so at once, and stop
                    // accepting calls under FailClosed so readiness takes the instance out of rotation; records still queued
                    // are counted as lost at shutdown.
                    _writerFailed = true;
                    _sinksHealthy = false;
                    try
                    {
                        LogWriterFailed(_logger, ex);
                    }
                    catch (Exception)
                    {
                        // A failing logger must not hide the state above.
                    }
                }

                done.SetResult();
            })
            {
                IsBackground = true,
                Name = "McpServices audit writer",
            };
            _writer = done.Task;
            thread.Start();
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs after the server has stopped: no more records can arrive, so the buffer is flushed completely.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _channel.Writer.TryComplete();
        if (_writer is null)
        {
            return;
        }

        // When the host's shutdown timeout expires, the writer is told to give up, and shutdown stops waiting for it: a sink
        // that blocks without observing cancellation cannot hold the process.
        using var registration = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _abandon);
        try
        {
            await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var lost = Volatile.Read(ref _pending);
        if (lost > 0)
        {
            LogLostAtShutdown(_logger, lost);
            _metrics.AuditDropped(lost, "shutdown");
        }

        ReleaseStandardOutput();
    }

    private void ReleaseStandardOutput()
    {
        if (Interlocked.Exchange(ref _standardOutputClaimed, 0) == 1)
        {
            StdoutAuditSink.ReleaseStandardOutput();
        }
    }

    /// <summary>Ends the writer thread when the host is disposed without having been stopped (records still queued are lost then).</summary>
    public void Dispose()
    {
        ReleaseStandardOutput();
        _channel.Writer.TryComplete();
        if (_writer is { IsCompleted: false } writer && !_abandon.IsCancellationRequested)
        {
            _abandon.Cancel();
            writer.Wait(TimeSpan.FromSeconds(5)); // never faults: the writer thread reports its own errors
        }

        // A writer still stuck in a sink that ignores cancellation keeps its token source and the sinks; it is a background thread.
        if (_writer is not { IsCompleted: false })
        {
            _abandon.Dispose();

            // The built-in sinks are this trail's (the file's handle, the OTLP exporter); sinks registered in DI are the container's.
            foreach (var sink in _builtInSinks)
            {
                (sink as IDisposable)?.Dispose();
            }
        }
    }

    /// <summary>
    /// The writer: a dedicated thread, because it blocks — on the disk (every batch is flushed with fsync) and on sinks — and
    /// blocking a thread-pool thread would take it from requests.
    /// </summary>
    private void WriteLoop()
    {
        var reader = _channel.Reader;
        var cancel = _abandon.Token;
        var entries = new List<AuditEntry>(MaxBatch);
        var records = new List<AuditRecord>(MaxBatch);
        try
        {
            while (WaitToRead(reader, cancel))
            {
                entries.Clear();
                records.Clear();
                while (entries.Count < MaxBatch && reader.TryRead(out var entry))
                {
                    entries.Add(entry);
                }

                if (entries.Count < MaxBatch && !_stopping)
                {
                    if (cancel.WaitHandle.WaitOne(BatchWindow))
                    {
                        return;
                    }

                    while (entries.Count < MaxBatch && reader.TryRead(out var entry))
                    {
                        entries.Add(entry);
                    }
                }

                foreach (var entry in entries)
                {
                    if (TrySerialize(entry) is { } record)
                    {
                        records.Add(record);
                    }
                }

                if (records.Count > 0)
                {
                    foreach (var sink in _sinks)
                    {
                        WriteWithRetry(sink, records, cancel);
                    }
                }

                Interlocked.Add(ref _pending, -records.Count);
                _metrics.AuditWritten(records.Count);
            }
        }
        catch (Exception) when (cancel.IsCancellationRequested)
        {
            // Told to give up (shutdown timeout): whatever a sink threw while being abandoned, the records it did not take
            // are counted as lost by StoppedAsync.
        }
    }

    /// <summary>
    /// Serializes a record; when that fails (a bug), says so loudly and records the call without its arguments and result size, so the call keeps
    /// its record and the chain stays whole. Only if that fails too is the record dropped and counted.
    /// </summary>
    private AuditRecord? TrySerialize(AuditEntry entry)
    {
        try
        {
            return _serializer.Serialize(entry);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSerializationFailed(_logger, ex, entry.Id);
        }

        try
        {
            return _serializer.Serialize(entry, fallback: true);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRecordDropped(_logger, ex, entry.Id);
            _metrics.AuditDropped(1, "serialization_error");
            Interlocked.Decrement(ref _pending);
            return null;
        }
    }

    private static bool WaitToRead(ChannelReader<AuditEntry> reader, CancellationToken cancellationToken)
    {
        var wait = reader.WaitToReadAsync(cancellationToken);
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    private void WriteWithRetry(IAuditSink sink, IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                var write = sink.WriteAsync(records, cancellationToken);
                if (!write.IsCompletedSuccessfully)
                {
                    write.AsTask().GetAwaiter().GetResult();
                }

                if (!_sinksHealthy)
                {
                    _sinksHealthy = true;
                    LogSinkRecovered(_logger, sink.GetType().Name);
                }

                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (_sinksHealthy)
                {
                    _sinksHealthy = false;
                    LogSinkFailed(_logger, ex, sink.GetType().Name, _options.FailurePolicy);
                }

                _metrics.AuditSinkFailure(sink.GetType().Name);
                if (cancellationToken.WaitHandle.WaitOne(delay))
                {
                    throw new OperationCanceledException(cancellationToken);
                }

                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private void Drop(string tool, string reason)
    {
        _metrics.AuditDropped(1, reason);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastDropLog);
        if (now - last > 10_000 && Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
        {
            LogDropped(_logger, tool, reason);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(50, LogLevel.Error, "Audit sink {Sink} failed; records are kept and retried. Policy {Policy}: while it fails, new tool calls are refused (FailClosed) or continue with records dropped once the buffer is full (FailOpen).")]
    private static partial void LogSinkFailed(ILogger logger, Exception exception, string sink, AuditFailurePolicy policy);

    [LoggerMessage(51, LogLevel.Information, "Audit sink {Sink} recovered.")]
    private static partial void LogSinkRecovered(ILogger logger, string sink);

    [LoggerMessage(52, LogLevel.Error, "Audit record of a call to '{Tool}' dropped ({Reason}); see the mcpservices.audit.records.dropped metric.")]
    private static partial void LogDropped(ILogger logger, string tool, string reason);

    [LoggerMessage(53, LogLevel.Critical, "{Count} audit record(s) could not be written before the host stopped.")]
    private static partial void LogLostAtShutdown(ILogger logger, int count);

    [LoggerMessage(54, LogLevel.Critical, "Audit record {Id} could not be serialized; it is written without its arguments (\"$omitted\": unserializable) and result size.")]
    private static partial void LogSerializationFailed(ILogger logger, Exception exception, string id);

    [LoggerMessage(56, LogLevel.Critical, "Audit record {Id} could not be serialized even without its arguments and was dropped.")]
    private static partial void LogRecordDropped(ILogger logger, Exception exception, string id);

    [LoggerMessage(57, LogLevel.Warning, "The audit file '{Path}' ended in the middle of a record: the process that wrote it stopped while writing (killed, or out of disk space), and that record is incomplete. New records start on the next line; 'dotnet <service>.dll --verify-audit' reports the incomplete one as CUT OFF.")]
    private static partial void LogCutOffRecord(ILogger logger, string path);

    [LoggerMessage(63, LogLevel.Information, "Standard output carries the audit trail (the 'stdout' sink): console output (Console.Write, Console.Out) is written to standard error while the service runs.")]
    private static partial void LogStandardOutputClaimed(ILogger logger);

    [LoggerMessage(55, LogLevel.Critical, "The audit writer stopped on an unexpected error; no more audit records are written until the process restarts. FailClosed: new tool calls are refused and /readyz reports unhealthy. FailOpen: records are dropped and counted once the buffer is full.")]
    private static partial void LogWriterFailed(ILogger logger, Exception exception);
}
