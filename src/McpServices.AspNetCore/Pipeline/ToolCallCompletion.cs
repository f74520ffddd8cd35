using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore;

/// <summary>Completes a call and tells every observer (metrics, tracing, audit), exactly once per call.</summary>
internal sealed partial class ToolCallCompletion(IEnumerable<IToolCallObserver> observers, ILogger<ToolCallCompletion> logger)
{
    /// <summary>The error code of a call still running when the service stopped (<see cref="CompleteUnfinished"/>).</summary>
    internal const string UnfinishedErrorCode = "unfinished_at_shutdown";

    private const string CompletedKey = "McpServices.ToolCallCompleted";
    private readonly IToolCallObserver[] _observers = observers.ToArray();

    public void Complete(ToolCall call)
    {
        if (call.HttpContext is { } http)
        {
            http.Items[CompletedKey] = true;
        }

        if (!call.TryClaimCompletion())
        {
            // Shutdown recorded the call as unfinished while the tool still ran; the record stands, the log tells the rest.
            call.Complete();
            LogFinishedAfterShutdownRecord(logger, call.ToolName, call.Id, call.Outcome.ToWire(), call.Duration.TotalMilliseconds);
            return;
        }

        call.Complete();
        Notify(call);
    }

    /// <summary>
    /// Records a call that is still running when the service stops — its tool ignored the cancellation at the end of the drain
    /// timeout — as <c>failed</c> / <see cref="UnfinishedErrorCode"/>, so that the audit trail accounts for it before it is
    /// flushed. Nothing is recorded when the call completes first.
    /// </summary>
    public bool CompleteUnfinished(ToolCall call)
    {
        if (!call.TryClaimCompletion())
        {
            return false;
        }

        Notify(call.Unfinished(UnfinishedErrorCode, $"The service stopped while the tool '{call.ToolName}' was still running: it did not stop when the call was cancelled at the end of the drain timeout, and whether it finished its work is unknown."));
        return true;
    }

    private void Notify(ToolCall call)
    {
        foreach (var observer in _observers)
        {
            observer.OnCompleted(call);
        }
    }

    /// <summary>Whether a call was completed for this request (the HTTP stage records a fallback when the SDK rejected it first).</summary>
    public static bool IsCompleted(HttpContext context) => context.Items.ContainsKey(CompletedKey);

    [LoggerMessage(14, LogLevel.Warning, "The call {CallId} to the tool '{Tool}' finished ({Outcome}, after {DurationMs:F0} ms) after shutdown had recorded it as unfinished.")]
    private static partial void LogFinishedAfterShutdownRecord(ILogger logger, string tool, string callId, string outcome, double durationMs);
}
