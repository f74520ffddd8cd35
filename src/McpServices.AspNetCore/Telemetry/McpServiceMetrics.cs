using System.Diagnostics.Metrics;

namespace McpServices.AspNetCore;

/// <summary>
/// The <c>McpServices</c> meter: tool calls by tool and outcome, call duration, refusals by reason, validation failures,
/// rate-limit hits, and the audit trail's buffer depth, written and dropped records. Tool names are only used as tag values
/// when the tool exists, so callers cannot inflate the metrics' cardinality.
/// </summary>
internal sealed class McpServiceMetrics : IToolCallObserver
{
    public const string MeterName = "McpServices";
    private const string UnknownTool = "_unknown";

    private readonly Meter _meter;
    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _refusals;
    private readonly Counter<long> _validationFailures;
    private readonly Counter<long> _rateLimitHits;
    private readonly Counter<long> _auditWritten;
    private readonly Counter<long> _auditDropped;
    private readonly Counter<long> _auditSinkFailures;

    public McpServiceMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(new MeterOptions(MeterName) { Version = ServiceNaming.LibraryVersion });
        _calls = _meter.CreateCounter<long>("mcpservices.tool.calls", "{call}", "Tool calls by tool and outcome.");
        _duration = _meter.CreateHistogram<double>("mcpservices.tool.call.duration", "s", "Duration of tool calls, from the HTTP stage to the result.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _refusals = _meter.CreateCounter<long>("mcpservices.tool.refusals", "{call}", "Tool calls refused before the tool ran, by reason.");
        _validationFailures = _meter.CreateCounter<long>("mcpservices.tool.validation_failures", "{call}", "Tool calls with invalid arguments.");
        _rateLimitHits = _meter.CreateCounter<long>("mcpservices.rate_limit.hits", "{call}", "Tool calls refused by a rate limit.");
        _auditWritten = _meter.CreateCounter<long>("mcpservices.audit.records.written", "{record}", "Audit records written to every sink.");
        _auditDropped = _meter.CreateCounter<long>("mcpservices.audit.records.dropped", "{record}", "Audit records dropped (fail-open buffer full, shutdown timeout), by reason.");
        _auditSinkFailures = _meter.CreateCounter<long>("mcpservices.audit.sink.failures", "{failure}", "Failed writes to an audit sink (each is retried).");
    }

    public void ObserveAuditBuffer(Func<int> depth) =>
        _meter.CreateObservableGauge("mcpservices.audit.buffer.depth", depth, "{record}", "Audit records waiting to be written, including calls in flight.");

    public void OnCompleted(ToolCall call)
    {
        var tool = call.Tool?.Name ?? UnknownTool;
        var outcome = call.Outcome.ToWire();
        var toolTag = new KeyValuePair<string, object?>("mcp.tool.name", tool);
        _calls.Add(1, toolTag, new KeyValuePair<string, object?>("mcpservices.outcome", outcome));
        _duration.Record(call.Duration.TotalSeconds, toolTag, new KeyValuePair<string, object?>("mcpservices.outcome", outcome));
        switch (call.Outcome)
        {
            case ToolCallOutcome.Denied or ToolCallOutcome.Unavailable:
                _refusals.Add(1, toolTag, new KeyValuePair<string, object?>("mcpservices.reason", call.ErrorCode ?? outcome));
                break;
            case ToolCallOutcome.RateLimited:
                _refusals.Add(1, toolTag, new KeyValuePair<string, object?>("mcpservices.reason", "rate_limited"));
                _rateLimitHits.Add(1, toolTag);
                break;
            case ToolCallOutcome.Invalid:
                _refusals.Add(1, toolTag, new KeyValuePair<string, object?>("mcpservices.reason", call.ErrorCode ?? "invalid"));
                _validationFailures.Add(1, toolTag);
                break;
        }
    }

    public void AuditWritten(int count) => _auditWritten.Add(count);

    public void AuditDropped(int count, string reason) => _auditDropped.Add(count, new KeyValuePair<string, object?>("mcpservices.reason", reason));

    public void AuditSinkFailure(string sink) => _auditSinkFailures.Add(1, new KeyValuePair<string, object?>("mcpservices.sink", sink));
}
