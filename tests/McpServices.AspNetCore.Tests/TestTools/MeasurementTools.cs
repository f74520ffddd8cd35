namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>Tools whose arguments the serializer reads more leniently than their schemas allow: numbers and URIs.</summary>
public sealed class MeasurementTools(InvocationLog log)
{
    public double Scale(double factor, float ratio, Reading reading)
    {
        log.Record("scale");
        return factor * ratio * reading.Value;
    }

    public decimal Price(decimal amount) => amount;

    public string Annotate(int count, System.Text.Json.JsonElement note) => $"{count} {note.ValueKind}";

    public string Calibrate(Gauge gauge)
    {
        log.Record("calibrate");
        return $"{gauge.Level} {gauge.History?.Sum()} {gauge.ByRoom?.Values.Sum()}";
    }

    public string Fetch(Uri source, Link link) => $"{source.Host} {link.Href}";

    public string Wide(Int128 big, Half half) => $"{big} {half}";

    public string Draw(Figure figure, List<Figure> more)
    {
        log.Record("draw");
        return $"{figure} {more.Count}";
    }

    public string Tally(Dictionary<int, string> byId) => string.Join(",", byId.Select(e => $"{e.Key}={e.Value}"));

    public string Checksum(byte[] data, Attachment attachment) => $"{data.Length} {attachment.Name} {attachment.Content.Length}";
}

public sealed record Reading(double Value, List<double>? Samples = null);

public sealed record Link(Uri Href);

public sealed record Attachment(string Name, byte[] Content);

[System.Text.Json.Serialization.JsonPolymorphic]
[System.Text.Json.Serialization.JsonDerivedType(typeof(Disc), "disc")]
[System.Text.Json.Serialization.JsonDerivedType(typeof(Tile), "tile")]
public abstract record Figure;

public sealed record Disc([property: System.ComponentModel.DataAnnotations.Range(0, 100)] double Radius) : Figure;

public sealed record Tile(double Side, [Sensitive] string? Owner = null) : Figure;

public sealed record Gauge(float Level, List<float>? History = null, Dictionary<string, float?>? ByRoom = null);
