namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>Lets a test hold a call in flight and release it.</summary>
public sealed class CallGate
{
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public sealed class SlowTools(CallGate gate)
{
    public async Task<string> Hold(CancellationToken cancellationToken)
    {
        gate.Entered.TrySetResult();
        await gate.Release.Task.WaitAsync(cancellationToken);
        return "released";
    }
}

/// <summary>A tool that takes its time and ignores its cancellation token (cancellation in .NET is cooperative).</summary>
public sealed class StubbornTools(InvocationLog log)
{
    public async Task<string> Dawdle()
    {
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        log.Record("dawdle");
        return "finished anyway";
    }
}

/// <summary>A tool that waits for the test and ignores cancellation entirely, like one blocked in a call that takes no token.</summary>
public sealed class DeafTools(CallGate gate, InvocationLog log)
{
    public async Task<string> Persist()
    {
        gate.Entered.TrySetResult();
        await gate.Release.Task;
        log.Record("persist");
        return "persisted";
    }
}
