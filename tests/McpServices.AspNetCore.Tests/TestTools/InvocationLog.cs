using System.Collections.Concurrent;

namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>Records which tools actually ran, so tests can prove a refused call never reached the tool.</summary>
public sealed class InvocationLog
{
    private readonly ConcurrentQueue<string> _calls = new();

    public void Record(string tool) => _calls.Enqueue(tool);

    public IReadOnlyCollection<string> Calls => _calls.ToArray();

    public int Count(string tool) => _calls.Count(c => c == tool);
}
