using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace McpServices.AspNetCore;

/// <summary>
/// Exports the MCP SDK's <c>mcp.server.operation.duration</c> with one measurement per request. The SDK (2.4.0) records the
/// histogram when it has handled a request or notification, and again whenever it sends a message that is neither — every
/// response and error — tagged <c>mcp.method.name="unknownMethod"</c>: exported as is, the metric counted each request twice,
/// half of them under a method no client called and timed by how long the response took to write. The relay listens to the
/// SDK's instrument and records every other measurement on an instrument of the same name, unit, description and buckets, on a
/// meter of the SDK's name, without <c>mcp.resource.uri</c> (a resource template's URIs are unbounded and often name someone;
/// the span keeps the URI). <see cref="McpServiceTelemetry"/> drops the SDK's own instrument from export.
/// </summary>
/// <remarks>
/// Process-wide, like the SDK's instrument: one relay per service would record each measurement once per service in a process
/// that hosts several (tests), and every meter provider aggregates every meter of a name it adds.
/// </remarks>
internal static class SdkOperationMetricRelay
{
    /// <summary>What the SDK calls the method of a message that has none: a response or an error.</summary>
    private const string NoMethod = "unknownMethod";

    private const string MethodTag = "mcp.method.name";
    private const string ResourceUriTag = "mcp.resource.uri";

    /// <summary>The relay's meter: the SDK's name, so that exported data keeps the SDK's instrumentation scope.</summary>
    private static readonly Meter RelayMeter = new(McpServiceTelemetry.McpSdkSource);

    /// <summary>As the SDK 2.4.0 defines it, with the buckets of the MCP semantic conventions (a test compares the two).</summary>
    internal static readonly Histogram<double> Duration = RelayMeter.CreateHistogram(
        McpServiceTelemetry.SdkOperationDuration,
        "s",
        "MCP request or notification duration as observed on the receiver from the time it was received until the result or ack is sent.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300] });

    private static readonly Lazy<MeterListener> Listener = new(Listen);

    /// <summary>Starts relaying, once per process.</summary>
    public static void Start() => _ = Listener.Value;

    /// <summary>Whether <paramref name="instrument"/> is the SDK's own server operation histogram (not the relay's).</summary>
    public static bool IsSdkInstrument(Instrument instrument) =>
        instrument.Name == McpServiceTelemetry.SdkOperationDuration
        && instrument.Meter.Name == McpServiceTelemetry.McpSdkSource
        && !ReferenceEquals(instrument.Meter, RelayMeter);

    private static MeterListener Listen()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (IsSdkInstrument(instrument))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>(Relay);
        listener.Start();
        return listener;
    }

    private static void Relay(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var hasResourceUri = false;
        foreach (var tag in tags)
        {
            if (tag.Key == MethodTag && tag.Value is NoMethod)
            {
                return;
            }

            hasResourceUri |= tag.Key == ResourceUriTag;
        }

        if (!hasResourceUri)
        {
            Duration.Record(value, tags);
            return;
        }

        var kept = default(TagList);
        foreach (var tag in tags)
        {
            if (tag.Key != ResourceUriTag)
            {
                kept.Add(tag);
            }
        }

        Duration.Record(value, in kept);
    }
}
