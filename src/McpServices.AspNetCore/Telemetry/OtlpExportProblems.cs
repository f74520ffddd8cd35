using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore;

/// <summary>
/// Makes the OTLP exporter's problems visible. OpenTelemetry reports a failed export (a collector that cannot be reached, an
/// HTTP error, a timeout) only to its own event source, <c>OpenTelemetry-Exporter-OpenTelemetryProtocol</c>, which nothing
/// listens to unless an operator sets up OpenTelemetry's self-diagnostics: with a wrong endpoint, or a collector that is down
/// or refuses the service's credentials, every span, metric and log was lost without a word. This listener turns the
/// exporter's warnings and errors into log event 67 — a warning the first time for an endpoint and kind of problem, then at
/// most every 5 minutes with the number of repeats logged at Debug in between (<see cref="RepeatedRefusals"/>), because a
/// collector that is down fails every export and the warning itself goes to the failing exporter when logs are exported too.
/// <para>
/// Problems met while <see cref="Capture"/> is active on the exporting thread (the OTLP audit sink's exports) are handed to that
/// capture instead, so the sink's failure says why, and are not logged here: the audit trail logs its sink failures itself.
/// An <see cref="EventListener"/> sees the event source of the whole process; in a process that hosts several services (tests),
/// each service's log gets the problems of every exporter.
/// </para>
/// </summary>
internal sealed partial class OtlpExportProblems : EventListener, IHostedService
{
    internal const string EventSourceName = "OpenTelemetry-Exporter-OpenTelemetryProtocol";

    /// <summary>The longest problem text kept (the exporter's messages carry a collector's response body).</summary>
    internal const int MaxProblemLength = 500;

    /// <summary>Keeps this listener's repeats apart in <see cref="RepeatedRefusals"/>.</summary>
    private const string RepeatKind = "otlp-export";

    [ThreadStatic]
    private static Capture? t_capture;

    // Field initializers run before EventListener's constructor, which already delivers events of existing sources; _logger is
    // set after it, so an event delivered in between is not logged.
    private readonly RepeatedRefusals _repeats = new();
    private readonly ILogger? _logger;
    private volatile bool _stopped;

    /// <summary>A listener that only hands problems to <see cref="Capture"/>s (the OTLP audit sink's).</summary>
    public OtlpExportProblems()
    {
    }

    /// <summary>A listener that also logs problems outside a <see cref="Capture"/> (the telemetry exporters').</summary>
    public OtlpExportProblems(ILoggerFactory loggers) => _logger = loggers.CreateLogger("McpServices.AspNetCore.Telemetry");

    /// <summary>
    /// Starts handing the exporter's problems raised on this thread to the returned capture, until it is disposed. Exports run
    /// synchronously on the thread that calls the exporter, so this scopes problems to one export.
    /// </summary>
    public static Capture BeginCapture() => t_capture = new Capture();

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops logging: the providers' final flush, after the host stopped, may fail while the loggers are disposed.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        return Task.CompletedTask;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == EventSourceName)
        {
            EnableEvents(eventSource, EventLevel.Warning);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventSource.Name != EventSourceName || eventData.Level is > EventLevel.Warning or EventLevel.LogAlways)
        {
            return;
        }

        var problem = Describe(eventData);
        if (t_capture is { } capture)
        {
            capture.Problem ??= problem;
            return;
        }

        if (_logger is null || _stopped)
        {
            return;
        }

        // One warning per endpoint and kind of problem: a collector that comes back refusing (401 after connection refused) is
        // news, the same refusal every few seconds is not.
        var endpoint = eventData.Payload is [string first, ..] && Uri.TryCreate(first, UriKind.Absolute, out _) ? HideUserInfo(first) : "the OTLP endpoint";
        var shown = RepeatedRefusals.Shorten(endpoint);
        switch (_repeats.Level(RepeatKind, $"{eventData.EventName} {shown}", out var repeats, out var firstTime))
        {
            case LogLevel.Debug:
                LogAgainAtDebug(_logger, shown, problem, null);
                break;
            case var _ when firstTime:
                LogFirst(_logger, shown, problem, null);
                break;
            default:
                LogAgain(_logger, shown, problem, repeats, null);
                break;
        }
    }

    /// <summary>The exporter's message with its values, each cut at its first line (an exception's type and message, without its stack trace).</summary>
    internal static string Describe(EventWrittenEventArgs eventData) => Describe(eventData.Message, eventData.EventName, eventData.Payload);

    /// <summary>An event's message (its <c>{0}</c> format) with its values, each cut at its first line; at most <see cref="MaxProblemLength"/> characters.</summary>
    internal static string Describe(string? message, string? eventName, IReadOnlyList<object?>? payload)
    {
        var values = payload?.Select(p => FirstLine(Convert.ToString(p, CultureInfo.InvariantCulture))).ToArray() ?? [];
        string text;
        try
        {
            text = message is { Length: > 0 } format ? string.Format(CultureInfo.InvariantCulture, format, values) : $"{eventName}: {string.Join("; ", values)}";
        }
        catch (FormatException)
        {
            text = $"{eventName}: {string.Join("; ", values)}";
        }

        return text.Length <= MaxProblemLength ? text : string.Concat(text.AsSpan(0, MaxProblemLength), "…");
    }

    /// <summary>
    /// A value's first line, with the user information of any URL in it (<c>https://user:password@…</c>) hidden and other control
    /// characters (a collector's response body is part of some messages) as '?'.
    /// </summary>
    private static string FirstLine(string? value)
    {
        var line = value is null ? "" : value.AsSpan().IndexOfAny('\r', '\n') is var end and >= 0 ? value[..end] : value;
        return HideUserInfo(LogValues.Printable(line));
    }

    private static string HideUserInfo(string value) => value.Contains('@', StringComparison.Ordinal) ? UserInfo().Replace(value, "://***@") : value;

    [GeneratedRegex(@"://[^/@\s]+@")]
    private static partial Regex UserInfo();

    // Three messages under one event id (so that an alert matches them all), which the logging source generator does not allow.
    private static readonly EventId Event = new(67, "TelemetryExportFailed");

    private static readonly Action<ILogger, string, string, Exception?> LogFirst = LoggerMessage.Define<string, string>(
        LogLevel.Warning, Event, "OpenTelemetry could not export to {Endpoint}, so telemetry is lost; the service keeps running. {Problem} Further problems of this kind are logged at Debug, with a warning at most every 5 minutes.");

    private static readonly Action<ILogger, string, string, long, Exception?> LogAgain = LoggerMessage.Define<string, string, long>(
        LogLevel.Warning, Event, "OpenTelemetry could not export to {Endpoint}, so telemetry is lost; the service keeps running. {Problem} {Repeats} more time(s) since the last warning for it (logged at Debug).");

    private static readonly Action<ILogger, string, string, Exception?> LogAgainAtDebug = LoggerMessage.Define<string, string>(
        LogLevel.Debug, Event, "OpenTelemetry could not export to {Endpoint} again. {Problem}");

    /// <summary>The first problem the exporter reported on this thread since <see cref="BeginCapture"/>.</summary>
    internal sealed class Capture : IDisposable
    {
        public string? Problem { get; set; }

        public void Dispose()
        {
            if (ReferenceEquals(t_capture, this))
            {
                t_capture = null;
            }
        }
    }
}
