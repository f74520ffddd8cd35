using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;

namespace McpServices.AspNetCore;

/// <summary>
/// Audit records as OpenTelemetry log records over OTLP, through a pipeline of their own (independent of the application's log
/// levels): the body is the JSON line, the attributes carry id, tool, outcome and hash. Each batch is flushed and the export
/// result checked, so a collector that is down counts as a failing sink (and is retried).
/// </summary>
internal sealed class OtlpAuditSink : IAuditSink, IDisposable
{
    private readonly TrackingExporter _exporter;
    private readonly BatchLogRecordExportProcessor _processor;
    private readonly ILoggerFactory _factory;
    private readonly ILogger _audit;

    // Hands the exporter's reason for a failed export (it reports it only to its event source) to TrackingExporter.
    private readonly OtlpExportProblems _problems = new();

    public OtlpAuditSink(string? endpoint, ServiceIdentity identity)
    {
        var options = new OtlpExporterOptions();
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            endpoint = endpoint.Trim();
            options.Protocol = OtlpExportProtocol.HttpProtobuf;
            options.Endpoint = new Uri(endpoint.TrimEnd('/').EndsWith("/v1/logs", StringComparison.Ordinal) ? endpoint : endpoint.TrimEnd('/') + "/v1/logs");
        }

        _exporter = new TrackingExporter(new OtlpLogExporter(options));
        // Exports happen only on ForceFlush — no timer, and a batch size above what the trail hands a sink at once — so each
        // request is exactly one chunk of WriteAsync (see there), accepted or refused whole.
        _processor = new BatchLogRecordExportProcessor(_exporter, maxQueueSize: MaxRecordsPerWrite, scheduledDelayMilliseconds: int.MaxValue, exporterTimeoutMilliseconds: 10_000, maxExportBatchSize: MaxRecordsPerWrite);
        var resource = ResourceBuilder.CreateDefault().AddService(identity.Name, serviceVersion: identity.Version, serviceInstanceId: identity.InstanceId);
        _factory = LoggerFactory.Create(builder => builder.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(resource);
            o.IncludeFormattedMessage = true;
            o.AddProcessor(_processor);
        }));
        _audit = _factory.CreateLogger("McpServices.Audit");
    }

    /// <summary>The most records one <see cref="WriteAsync"/> sends (the audit trail hands sinks at most 512).</summary>
    internal const int MaxRecordsPerWrite = 8192;

    private const int ExportTimeoutMilliseconds = 15_000;

    /// <summary>
    /// The most record bytes one export request carries (1 MiB; a single larger record goes alone). A batch of 512 records with
    /// arguments near their limit would otherwise make a request of several MiB, above what collectors accept by default (gRPC's
    /// 4 MiB message limit), and the refused batch would be retried for ever — under FailClosed, an outage.
    /// </summary>
    internal const int MaxBytesPerExport = 1 << 20;

    /// <summary>Records handed to the processor so far (the audit writer calls a sink from one thread at a time).</summary>
    private long _logged;

    /// <summary>The hash of the last record a collector accepted, so that a retried batch skips what already arrived.</summary>
    private string? _lastExported;

    /// <summary>
    /// Sends the records in chunks of at most <see cref="MaxBytesPerExport"/>, one export request each, accepted or refused
    /// whole. The audit trail retries a batch a sink failed on; the chunks the collector had accepted before are not sent again
    /// (the file sink skips what it wrote in the same way), so no record arrives twice.
    /// </summary>
    public ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count > MaxRecordsPerWrite)
        {
            throw new ArgumentException($"The OTLP audit sink writes at most {MaxRecordsPerWrite} records at once.", nameof(records));
        }

        var start = AuditRecord.After(records, _lastExported);

        while (start < records.Count)
        {
            var end = start;
            long bytes = 0;
            do
            {
                bytes += records[end].Json.Length;
                end++;
            }
            while (end < records.Count && bytes + records[end].Json.Length <= MaxBytesPerExport);

            Export(records, start, end);
            _lastExported = records[end - 1].Hash;
            start = end;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Exports <paramref name="records"/>[<paramref name="start"/>..<paramref name="end"/>) as one request; throws when it is not accepted.</summary>
    private void Export(IReadOnlyList<AuditRecord> records, int start, int end)
    {
        var failuresBefore = _exporter.Failures;
        for (var i = start; i < end; i++)
        {
            _audit.Log(LogLevel.Information, new EventId(1, "AuditRecord"), new AuditLogState(records[i]), null, static (state, _) => state.Body);
        }

        // ForceFlush can report success once the exporter has taken the records from the queue, while its request is still on the
        // way (the processor polls every second): wait for the export itself to return, so that a refusal is this batch's failure.
        // (Counting from what was exported, when more was: records of an earlier write that timed out, exported since.)
        _logged = Math.Max(_logged, _exporter.Exported) + (end - start);
        if (!_processor.ForceFlush(ExportTimeoutMilliseconds) || !_exporter.WaitForExported(_logged, TimeSpan.FromMilliseconds(ExportTimeoutMilliseconds)))
        {
            _logged = _exporter.Exported; // never wait for records that may not be exported any more
            throw new IOException("The OTLP endpoint did not answer in time for the audit records.");
        }

        if (_exporter.Failures != failuresBefore)
        {
            throw new IOException(_exporter.LastProblem is { } problem
                ? $"The OTLP endpoint did not accept the audit records: {problem}"
                : "The OTLP endpoint did not accept the audit records.");
        }
    }

    public void Dispose()
    {
        _factory.Dispose();
        _processor.Dispose();
        _problems.Dispose();
    }

    private sealed class TrackingExporter(BaseExporter<LogRecord> inner) : BaseExporter<LogRecord>
    {
        private readonly object _gate = new();
        private int _failures;
        private long _exported;

        public int Failures => Volatile.Read(ref _failures);

        /// <summary>What the exporter reported about the latest failed export (for example "Connection refused"), when it did.</summary>
        public string? LastProblem { get; private set; }

        /// <summary>Records whose export has returned, successfully or not.</summary>
        public long Exported => Interlocked.Read(ref _exported);

        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            var count = batch.Count;
            var result = ExportResult.Failure;
            using var capture = OtlpExportProblems.BeginCapture();
            try
            {
                result = inner.Export(batch);
                return result;
            }
            finally
            {
                if (result != ExportResult.Success)
                {
                    LastProblem = capture.Problem;
                    Interlocked.Increment(ref _failures);
                }

                lock (_gate)
                {
                    Interlocked.Add(ref _exported, count);
                    Monitor.PulseAll(_gate);
                }
            }
        }

        /// <summary>Waits until exports (successful or not) have returned for <paramref name="total"/> records in all.</summary>
        public bool WaitForExported(long total, TimeSpan timeout)
        {
            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            lock (_gate)
            {
                while (_exported < total)
                {
                    var remaining = deadline - Environment.TickCount64;
                    if (remaining <= 0 || !Monitor.Wait(_gate, (int)remaining))
                    {
                        return _exported >= total;
                    }
                }

                return true;
            }
        }

        protected override bool OnShutdown(int timeoutMilliseconds) => inner.Shutdown(timeoutMilliseconds);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class AuditLogState(AuditRecord record) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Body { get; } = System.Text.Encoding.UTF8.GetString(record.Json.Span);

        // The JSON line is the log record's body (the formatted message) and nowhere else: as "{OriginalFormat}" too, the
        // exporter sent every record twice.
        public int Count => 4;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("mcpservices.audit.id", record.Id),
            1 => new("mcp.tool.name", record.Tool),
            2 => new("mcpservices.outcome", record.Outcome),
            3 => new("mcpservices.audit.hash", record.Hash),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
