using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Inventory.Domain;

public static class SkuFormat
{
    /// <summary>Three upper-case letters, a dash, four digits: <c>HAM-0001</c>.</summary>
    public const string Pattern = "^[A-Z]{3}-[0-9]{4}$";
}

public sealed record Product(string Sku, string Name, string Category, decimal UnitPrice);

public sealed record WarehouseStock(string Warehouse, int OnHand, int Reserved)
{
    public int Available => OnHand - Reserved;
}

public sealed record ProductSummary(
    [property: Description("The product SKU.")] string Sku,
    [property: Description("The product name.")] string Name,
    [property: Description("The product category.")] string Category,
    [property: Description("Price per unit in EUR.")] decimal UnitPrice,
    [property: Description("Units available across all warehouses.")] int Available);

public sealed record ProductSearchResult(
    [property: Description("Matching products, best match first.")] IReadOnlyList<ProductSummary> Products,
    [property: Description("How many products matched before the limit was applied.")] int TotalMatches);

public sealed record StockReport(
    [property: Description("The product SKU.")] string Sku,
    [property: Description("The product name.")] string Name,
    [property: Description("Stock per warehouse.")] IReadOnlyList<WarehouseStock> Warehouses,
    [property: Description("Units available across the listed warehouses.")] int TotalAvailable);

/// <summary>A change to the stock of one product in one warehouse.</summary>
public sealed class StockAdjustment
{
    [Description("The product SKU, for example HAM-0001.")]
    [Required]
    [RegularExpression(SkuFormat.Pattern, ErrorMessage = "The sku must look like HAM-0001.")]
    public string Sku { get; set; } = string.Empty;

    [Description("The warehouse code, for example ams-1.")]
    [Required]
    public string Warehouse { get; set; } = string.Empty;

    [Description("Units to add (positive) or remove (negative).")]
    [Range(-10_000, 10_000)]
    public int Delta { get; set; }

    [Description("Why the stock changes, for example 'cycle count correction'.")]
    [Required]
    [StringLength(200, MinimumLength = 3)]
    public string Reason { get; set; } = string.Empty;

    [Description("An external reference such as a receipt or ticket number.")]
    [StringLength(64)]
    public string? Reference { get; set; }
}

public sealed record StockAdjustmentResult(
    [property: Description("The product SKU.")] string Sku,
    [property: Description("The warehouse code.")] string Warehouse,
    [property: Description("Units on hand before the adjustment.")] int PreviousOnHand,
    [property: Description("Units on hand after the adjustment.")] int OnHand,
    [property: Description("Units available after the adjustment.")] int Available);
