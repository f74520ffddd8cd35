using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore;

/// <summary>
/// Decides at which level a refusal that any client can repeat at will — a <c>Host</c> or <c>Origin</c> the service does not
/// allow, answered before authentication — is logged: <see cref="LogLevel.Warning"/> the first time a value is refused and then
/// at most once per <see cref="Interval"/> for that value, saying how many refusals of it were logged at
/// <see cref="LogLevel.Debug"/> in between. Without this, anyone who can reach the endpoint could write a warning per request
/// into the service's logs. Every refusal still shows in ASP.NET Core's <c>http.server.request.duration</c> (status 403), and a
/// refused tool call in <c>mcpservices.tool.refusals</c> and the audit trail; the log only has to tell an operator that, and
/// for which value, it happens. At most <see cref="MaxValues"/> values are
/// tracked (each cut to <see cref="MaxValueLength"/> characters); refusals of further values share one entry.
/// </summary>
internal sealed class RepeatedRefusals(TimeProvider? time = null)
{
    internal const int MaxValues = 100;
    internal const int MaxValueLength = 200;
    internal static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<(string Kind, string Value), Entry> _entries = new();

    /// <summary>
    /// Logs a refusal at the level <see cref="Level(string, string, out long, out bool)"/> decides, with one of three messages:
    /// the first warning for a value (saying what happens to its repeats), a later warning (with how many were logged at Debug
    /// since the previous one), a repeat at Debug. All three under one event id, so that an alert matches every refusal.
    /// </summary>
    public void Log(ILogger logger, Messages messages, string value)
    {
        var shown = Shorten(value);
        if (LevelOfShown(messages.Kind, shown, out var repeats, out var first) == LogLevel.Debug)
        {
            messages.Repeated(logger, shown, null);
        }
        else if (first)
        {
            messages.First(logger, shown, null);
        }
        else
        {
            messages.Again(logger, shown, repeats, null);
        }
    }

    /// <summary>
    /// The three messages of one kind of refusal (<see cref="Log"/>), all under <see cref="EventId"/>, made from what was
    /// refused (<c>Refused an MCP request for host '{Host}'</c>, with the value's placeholder) and why: the first warning for a
    /// value, which says what happens to its repeats; a later warning, with how many were logged at Debug since the previous
    /// one; and a repeat within the <see cref="Interval"/>, at Debug.
    /// </summary>
    internal sealed class Messages(string kind, EventId eventId, string refusal, string reason)
    {
        /// <summary>The kind of value refused, which keeps its repeats apart from another kind's.</summary>
        public string Kind { get; } = kind;

        public EventId EventId { get; } = eventId;

        public Action<ILogger, string, Exception?> First { get; } = LoggerMessage.Define<string>(
            LogLevel.Warning, eventId, $"{refusal}: {reason}. Further refusals of it are logged at Debug, with a warning at most every {Interval.TotalMinutes} minutes.");

        public Action<ILogger, string, long, Exception?> Again { get; } = LoggerMessage.Define<string, long>(
            LogLevel.Warning, eventId, $"{refusal}: {reason}. Refused {{Repeats}} more time(s) since the last warning for it (logged at Debug).");

        public Action<ILogger, string, Exception?> Repeated { get; } = LoggerMessage.Define<string>(LogLevel.Debug, eventId, $"{refusal} again: {reason}.");
    }

    /// <summary>The value as it is logged: cut to <see cref="MaxValueLength"/> characters.</summary>
    public static string Shorten(string value) => value.Length <= MaxValueLength ? value : string.Concat(value.AsSpan(0, MaxValueLength), "…");

    /// <summary>
    /// The level at which to log this refusal; for a warning, <paramref name="repeats"/> is how many refusals of the value were
    /// logged at Debug since its last warning, and <paramref name="first"/> whether there was none before it.
    /// </summary>
    public LogLevel Level(string kind, string value, out long repeats, out bool first) => LevelOfShown(kind, Shorten(value), out repeats, out first);

    /// <summary><see cref="Level"/> for a value already cut by <see cref="Shorten"/>, which keys its entry.</summary>
    private LogLevel LevelOfShown(string kind, string shown, out long repeats, out bool first)
    {
        var key = (kind, shown);
        if (!_entries.TryGetValue(key, out var entry))
        {
            entry = _entries.Count < MaxValues ? _entries.GetOrAdd(key, _ => new Entry()) : _entries.GetOrAdd((kind, "\0other"), _ => new Entry());
        }

        var now = _time.GetUtcNow();
        lock (entry)
        {
            if (entry.NextWarning is { } next && now < next)
            {
                entry.Repeats++;
                repeats = 0;
                first = false;
                return LogLevel.Debug;
            }

            repeats = entry.Repeats;
            first = entry.NextWarning is null;
            entry.Repeats = 0;
            entry.NextWarning = now + Interval;
            return LogLevel.Warning;
        }
    }

    private sealed class Entry
    {
        public DateTimeOffset? NextWarning;
        public long Repeats;
    }
}
