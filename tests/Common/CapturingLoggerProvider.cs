using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace McpServices.Tests.Common;

/// <summary>Keeps every log message (formatted, with its level, event id and exception) of the services it is added to.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ConcurrentQueue<(LogLevel Level, string Message, EventId EventId)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            owner.Messages.Enqueue(message + " " + exception);
            owner.Entries.Enqueue((logLevel, message, eventId));
        }
    }
}
