namespace McpServices.AspNetCore;

/// <summary>Sees every completed tool call, whatever its outcome (audit trail, metrics). Must not throw and must not block.</summary>
internal interface IToolCallObserver
{
    void OnCompleted(ToolCall call);
}

/// <summary>Completes a call and tells every observer, exactly once per call.</summary>
internal sealed class ToolCallCompletion(IEnumerable<IToolCallObserver> observers)
{
    private readonly IToolCallObserver[] _observers = observers.ToArray();

    public void Complete(ToolCall call)
    {
        call.Complete();
        foreach (var observer in _observers)
        {
            observer.OnCompleted(call);
        }
    }
}
