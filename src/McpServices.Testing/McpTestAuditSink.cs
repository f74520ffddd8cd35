using System.Text.Json;
using McpServices.AspNetCore;

namespace McpServices.Testing;

/// <summary>
/// Keeps the audit records of a service under test in memory, so tests can assert on them. <see cref="McpTestServer"/> and
/// <see cref="McpServiceFactory{TEntryPoint}"/> use it instead of the console sink.
/// </summary>
public sealed class McpTestAuditSink : IAuditSink
{
    private readonly Lock _lock = new();
    private readonly List<AuditRecord> _records = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the records written so far, in order.</summary>
    public IReadOnlyList<AuditRecord> Records
    {
        get
        {
            lock (_lock)
            {
                return [.. _records];
            }
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _records.AddRange(records);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits for a record matching <paramref name="predicate"/> (records are written in the background).</summary>
    /// <param name="predicate">What the record must satisfy.</param>
    /// <param name="timeout">How long to wait; the default is 10 seconds.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The first matching record.</returns>
    /// <exception cref="TimeoutException">No matching record arrived in time.</exception>
    public async Task<AuditRecord> WaitForAsync(Func<AuditRecord, bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_records.FirstOrDefault(predicate) is { } match)
                {
                    return match;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No matching audit record within {timeout ?? TimeSpan.FromSeconds(10)}; {Records.Count} record(s) were written.");
            }
        }
    }

    /// <summary>
    /// Waits for the first record of <paramref name="tool"/> written since the sink was created or last <see cref="Clear"/>ed.
    /// A test that calls the same tool several times calls <see cref="Clear"/> before the call it asserts on, or waits with
    /// <see cref="WaitForAsync"/> and a predicate (for example on <see cref="AuditRecord.Outcome"/>).
    /// </summary>
    /// <param name="tool">The tool name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The record, parsed.</returns>
    public async Task<JsonElement> WaitForToolAsync(string tool, CancellationToken cancellationToken = default)
    {
        var record = await WaitForAsync(r => r.Tool == tool, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Parse(record);
    }

    /// <summary>Parses a record's JSON.</summary>
    /// <param name="record">The record.</param>
    /// <returns>Its JSON root element.</returns>
    public static JsonElement Parse(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var document = JsonDocument.Parse(record.Json);
        return document.RootElement.Clone();
    }

    /// <summary>Forgets the records written so far.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _records.Clear();
        }
    }
}
