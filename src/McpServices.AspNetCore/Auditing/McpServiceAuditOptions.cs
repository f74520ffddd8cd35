namespace McpServices.AspNetCore;

/// <summary>Audit trail settings (<c>McpService:Audit</c>): one record for every <c>tools/call</c>, whatever its outcome.</summary>
public sealed class McpServiceAuditOptions
{
    /// <summary>Gets or sets a value indicating whether tool calls are audited.</summary>
    /// <value>The default value is <see langword="true"/>. Turning it off outside Development also requires <see cref="AcknowledgeDisabled"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets the explicit acknowledgement that a service outside Development runs without an audit trail.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AcknowledgeDisabled { get; set; }

    /// <summary>
    /// Gets or sets the built-in sinks records are written to: <c>stdout</c> (JSON Lines), <c>file</c> (rotating JSON Lines) and
    /// <c>otlp</c> (OpenTelemetry logs); <c>none</c> for no built-in sink. Sinks registered with <c>WithAuditSink&lt;T&gt;()</c> are
    /// used in addition. (Configuration adds to a list set in code, as for any list.)
    /// </summary>
    /// <value>The default value is <see langword="null"/>, meaning <c>["stdout"]</c>.</value>
    public string[]? Sinks { get; set; }

    /// <summary>The built-in sinks in effect: <see cref="Sinks"/>, or <c>stdout</c> when not set, without <c>none</c>.</summary>
    internal IEnumerable<string> EffectiveSinks =>
        (Sinks ?? ["stdout"]).Select(s => s.Trim().ToLowerInvariant()).Where(s => s.Length > 0 && s != "none").Distinct();

    /// <summary>Gets or sets what happens when the buffer is full or a sink fails.</summary>
    /// <value>The default value is <see cref="AuditFailurePolicy.FailClosed"/>: new calls are refused until audit recovers.</value>
    public AuditFailurePolicy FailurePolicy { get; set; } = AuditFailurePolicy.FailClosed;

    /// <summary>Gets or sets how many records may wait to be written (including calls in flight).</summary>
    /// <value>The default value is 10000.</value>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>Gets or sets how arguments are recorded.</summary>
    /// <value>The default value is <see cref="AuditArgumentsMode.Redacted"/>.</value>
    public AuditArgumentsMode Arguments { get; set; } = AuditArgumentsMode.Redacted;

    /// <summary>
    /// Gets or sets the largest arguments recorded in full, in bytes of their (redacted) JSON. Larger arguments are recorded as
    /// <c>{"$omitted":{"reason":"too_large","bytes":…,"sha256":…}}</c>: their size and the SHA-256 of the JSON that would have been
    /// recorded, so records stay small enough for log pipelines. Arguments that fit but would take the whole record past 16 KiB
    /// (the line length above which the Kubernetes container runtime splits log lines) are recorded the same way.
    /// </summary>
    /// <value>The default value is 16384 (16 KiB).</value>
    public int MaxArgumentsBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Gets or sets more argument paths to redact, in addition to parameters and properties marked <see cref="SensitiveAttribute"/>:
    /// <c>adjustment.reference</c> for every tool, <c>adjust_stock:adjustment.reference</c> for one tool; <c>*</c> matches any
    /// property name or array index.
    /// </summary>
    public string[] RedactPaths { get; set; } = [];

    /// <summary>Gets or sets the path of the audit file for the <c>file</c> sink.</summary>
    /// <value>The default value is <c>audit/audit.jsonl</c> (relative to the content root).</value>
    public string FilePath { get; set; } = "audit/audit.jsonl";

    /// <summary>Gets or sets the size at which the audit file is rotated (to <c>audit.jsonl.1</c>, <c>.2</c>, …).</summary>
    /// <value>The default value is 100 MiB.</value>
    public long FileMaxBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>Gets or sets how many rotated files are kept.</summary>
    /// <value>The default value is 10.</value>
    public int FileMaxFiles { get; set; } = 10;

    /// <summary>Gets or sets the OTLP endpoint of the <c>otlp</c> sink.</summary>
    /// <value>The default value is <see langword="null"/>: the standard <c>OTEL_EXPORTER_OTLP_LOGS_ENDPOINT</c> / <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> settings.</value>
    public string? OtlpEndpoint { get; set; }
}

/// <summary>What the audit trail does when it cannot keep up or a sink fails.</summary>
public enum AuditFailurePolicy
{
    /// <summary>New tool calls are refused (HTTP 503, JSON-RPC −32044) until audit recovers; no record of a call that ran is lost.</summary>
    FailClosed,

    /// <summary>Calls continue; a record that cannot be buffered is dropped and counted in <c>mcpservices.audit.records.dropped</c>.</summary>
    FailOpen,
}

/// <summary>How arguments appear in audit records.</summary>
public enum AuditArgumentsMode
{
    /// <summary>The arguments, with sensitive values replaced by <c>"[redacted]"</c>.</summary>
    Redacted,

    /// <summary>Only a SHA-256 digest of the arguments: <c>{ "sha256": "…" }</c>.</summary>
    Digest,
}
