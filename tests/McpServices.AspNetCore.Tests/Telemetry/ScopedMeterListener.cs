using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace McpServices.AspNetCore.Tests.Telemetry;

/// <summary>
/// Records the measurements of one service's meters only. Tests run many services in one process, and a meter's name is not
/// unique across them; the <see cref="IMeterFactory"/> that created a meter is.
/// </summary>
public sealed class ScopedMeterListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, long Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

    public ScopedMeterListener(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.Start();
    }

    public long Sum(string name, params (string Key, string Value)[] tags) =>
        _measurements.Where(m => m.Name == name && tags.All(t => m.Tags.Any(x => x.Key == t.Key && Equals(x.Value, t.Value)))).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
