namespace McpServices.AspNetCore;

/// <summary>Sees every completed tool call, whatever its outcome (audit trail, metrics). Must not throw and must not block.</summary>
internal interface IToolCallObserver
{
    void OnCompleted(ToolCall call);
}

/// <summary>Completes a call and tells every observer (metrics, tracing, audit), exactly once per call.</summary>
internal sealed class ToolCallCompletion(IEnumerable<IToolCallObserver> observers)
{
    private const string CompletedKey = "McpServices.ToolCallCompleted";
    private readonly IToolCallObserver[] _observers = observers.ToArray();

    public void Complete(ToolCall call)
    {
        if (call.HttpContext is { } http)
        {
            http.Items[CompletedKey] = true;
        }

        call.Complete();
        foreach (var observer in _observers)
        {
            observer.OnCompleted(call);
        }
    }

    /// <summary>Whether a call was completed for this request (the HTTP stage records a fallback when the SDK rejected it first).</summary>
    public static bool IsCompleted(Microsoft.AspNetCore.Http.HttpContext context) => context.Items.ContainsKey(CompletedKey);
}
