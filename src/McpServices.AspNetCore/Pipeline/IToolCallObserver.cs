namespace McpServices.AspNetCore;

/// <summary>Sees every completed tool call, whatever its outcome (audit trail, metrics). Must not throw and must not block.</summary>
internal interface IToolCallObserver
{
    void OnCompleted(ToolCall call);
}
