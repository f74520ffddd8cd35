namespace Inventory.Domain;

/// <summary>The inventory the tools read and change. The sample keeps it in memory; a real service would use a database.</summary>
public interface IInventoryStore
{
    IReadOnlyCollection<string> Warehouses { get; }

    IEnumerable<Product> Products { get; }

    Product? FindProduct(string sku);

    IReadOnlyList<WarehouseStock> GetStock(string sku);

    /// <summary>Applies a change atomically; returns the stock before and after, or <see langword="null"/> when it would go below the reserved units.</summary>
    (WarehouseStock Before, WarehouseStock After)? TryAdjust(string sku, string warehouse, int delta);
}
