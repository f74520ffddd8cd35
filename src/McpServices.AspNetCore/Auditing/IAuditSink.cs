namespace McpServices.AspNetCore;

/// <summary>
/// Receives audit records, in order, from a single background writer (never on the request path). Register with
/// <c>WithAuditSink&lt;T&gt;()</c>. A sink that throws is retried with the same records; what happens to new calls meanwhile
/// depends on <see cref="McpServiceAuditOptions.FailurePolicy"/>.
/// The writer has a thread of its own and waits for each write, one batch at a time: a sink may block (a synchronous write and
/// flush to disk costs no thread-pool thread) or complete asynchronously. When the host's shutdown timeout expires, the token
/// passed to <see cref="WriteAsync"/> is cancelled and shutdown stops waiting; unwritten records are counted as lost.
/// </summary>
public interface IAuditSink
{
    /// <summary>Writes a batch of records durably (or as durably as the sink can), in order.</summary>
    /// <param name="records">The records; each carries its JSON line.</param>
    /// <param name="cancellationToken">Cancelled when shutdown cannot wait any longer.</param>
    /// <returns>A task that completes when the records are written.</returns>
    ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);
}

/// <summary>One audit record: the JSON line exactly as written (format <c>mcpservices.io/audit/v1</c>, see <c>docs/audit.md</c>) and its key fields.</summary>
public sealed class AuditRecord
{
    internal AuditRecord(string id, DateTimeOffset time, string tool, string outcome, string? errorCode, string hash, ReadOnlyMemory<byte> json)
    {
        Id = id;
        Time = time;
        Tool = tool;
        Outcome = outcome;
        ErrorCode = errorCode;
        Hash = hash;
        Json = json;
    }

    /// <summary>
    /// Where a sink resumes a batch the audit trail hands it again after a failure: the index after the record with
    /// <paramref name="lastWritten"/> as its hash (hashes are unique: each covers its predecessor's), or 0 when the batch does not
    /// hold it — a new batch.
    /// </summary>
    internal static int After(IReadOnlyList<AuditRecord> records, string? lastWritten)
    {
        for (var i = records.Count - 1; i >= 0; i--)
        {
            if (records[i].Hash == lastWritten)
            {
                return i + 1;
            }
        }

        return 0;
    }

    /// <summary>Gets the record id (also the reference returned to callers on unexpected failures).</summary>
    public string Id { get; }

    /// <summary>Gets when the call started (UTC).</summary>
    public DateTimeOffset Time { get; }

    /// <summary>Gets the tool name.</summary>
    public string Tool { get; }

    /// <summary>Gets the outcome: <c>succeeded</c>, <c>failed</c>, <c>denied</c>, <c>rate_limited</c>, <c>invalid</c>, <c>cancelled</c>,
    /// <c>unavailable</c> or <c>input_required</c> (see <c>docs/audit.md</c>).</summary>
    public string Outcome { get; }

    /// <summary>Gets the error code, when the call did not succeed.</summary>
    public string? ErrorCode { get; }

    /// <summary>Gets the record's hash (<c>sha256:…</c>), which the next record's <c>prevHash</c> repeats.</summary>
    public string Hash { get; }

    /// <summary>Gets the record as one line of UTF-8 JSON, without the trailing newline.</summary>
    public ReadOnlyMemory<byte> Json { get; }
}
