using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace McpServices.AspNetCore.Tests.TestTools;

[Flags]
public enum Handling
{
    None = 0,
    Fragile = 1,
    KeepCold = 2,
}

public enum Carrier
{
    Post,
    ExpressCourier,
}

/// <summary>Argument types written the way C# writes them today: positional records, whose attributes sit on constructor
/// parameters, an enum, a dictionary of objects and a recursive type.</summary>
public sealed record ShippedParcel([Required][RegularExpression("^[A-Z]{3}-[0-9]{4}$")] string Sku, [Range(1, 5)] int Quantity, string? Note = null);

public sealed record Shipment(string Reference, Carrier Carrier, List<ShippedParcel> Parcels, Dictionary<string, ShippedParcel>? Extras = null);

public sealed record Folder(string Name, List<Folder>? Children = null);

/// <summary>Optional members of every kind, with defaults: what a client that sends null for "no value" leaves out.</summary>
public sealed record Delivery(string Address, int Attempts = 3, Carrier Carrier = Carrier.ExpressCourier, string Window = "any", bool Signature = false, List<Delivery>? Then = null);

/// <summary>Types that are their own collection or dictionary: building their validation plan must end.</summary>
public sealed class Outline : List<Outline>
{
    [StringLength(10)]
    public string? Title { get; set; }
}

public sealed class Taxonomy : Dictionary<string, Taxonomy>;

public sealed class ShipmentTools(InvocationLog log)
{
    [Description("Ships parcels.")]
    public string Ship(Shipment shipment)
    {
        log.Record("ship");
        return $"{shipment.Carrier}: {shipment.Parcels.Count} parcel(s)";
    }

    [Description("Picks a carrier.")]
    public string PickCarrier(Carrier carrier, Carrier[]? fallbacks = null)
    {
        log.Record("pick_carrier");
        return carrier.ToString();
    }

    [Description("Labels a parcel.")]
    public string Label(Handling handling)
    {
        log.Record("label");
        return handling.ToString();
    }

    [Description("Schedules a delivery.")]
    public string Deliver(Delivery delivery)
    {
        log.Record("deliver");
        var then = delivery.Then is { Count: > 0 } next ? $" then {next[0].Address} {next[0].Attempts} {next[0].Window}" : string.Empty;
        return $"{delivery.Address} {delivery.Attempts} {delivery.Carrier} {delivery.Window} {delivery.Signature}{then}";
    }

    [Description("Counts per warehouse.")]
    public string Count(Dictionary<string, int> counts)
    {
        log.Record("count");
        return counts.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Description("Files a folder tree.")]
    public string File(Folder root)
    {
        log.Record("file");
        return root.Name;
    }

    [Description("Files an outline and a taxonomy.")]
    public string Classify(Outline outline, Taxonomy taxonomy)
    {
        log.Record("classify");
        return $"{outline.Count} {taxonomy.Count}";
    }

    [Description("Marks a bin.")]
    public string MarkBin(char bin)
    {
        log.Record("mark_bin");
        return bin.ToString();
    }
}
