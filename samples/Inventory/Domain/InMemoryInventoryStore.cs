namespace Inventory.Domain;

/// <summary>A seeded, thread-safe in-memory inventory, so the sample runs with no external dependency.</summary>
public sealed class InMemoryInventoryStore : IInventoryStore
{
    private static readonly string[] WarehouseCodes = ["ams-1", "ber-1", "nyc-1"];

    private readonly Dictionary<string, Product> _products;
    private readonly Dictionary<(string Sku, string Warehouse), WarehouseStock> _stock = [];
    private readonly Lock _lock = new();

    public InMemoryInventoryStore()
    {
        Product[] products =
        [
            new("HAM-0001", "Claw hammer 16 oz", "tools", 18.90m),
            new("HAM-0002", "Sledgehammer 4 kg", "tools", 42.50m),
            new("SCR-0001", "Screwdriver set, 12 pieces", "tools", 24.00m),
            new("DRL-0001", "Cordless drill 18 V", "power-tools", 129.00m),
            new("DRL-0002", "Hammer drill 800 W", "power-tools", 89.90m),
            new("SAW-0001", "Circular saw 1400 W", "power-tools", 149.00m),
            new("GLV-0001", "Work gloves, size L", "safety", 7.50m),
            new("GLS-0001", "Safety glasses", "safety", 9.90m),
            new("NAI-0001", "Wire nails 50 mm, 1 kg", "fasteners", 6.20m),
            new("SCW-0001", "Wood screws 4x40, 200 pieces", "fasteners", 8.40m),
        ];
        _products = products.ToDictionary(p => p.Sku, StringComparer.Ordinal);

        var seed = 7;
        foreach (var product in products)
        {
            foreach (var warehouse in WarehouseCodes)
            {
                seed = (seed * 31 + 11) % 97;
                _stock[(product.Sku, warehouse)] = new WarehouseStock(warehouse, OnHand: 20 + seed, Reserved: seed % 9);
            }
        }
    }

    public IReadOnlyCollection<string> Warehouses => WarehouseCodes;

    public IEnumerable<Product> Products => _products.Values;

    public Product? FindProduct(string sku) => _products.GetValueOrDefault(sku);

    public IReadOnlyList<WarehouseStock> GetStock(string sku)
    {
        lock (_lock)
        {
            return WarehouseCodes.Where(w => _stock.ContainsKey((sku, w))).Select(w => _stock[(sku, w)]).ToArray();
        }
    }

    public (WarehouseStock Before, WarehouseStock After)? TryAdjust(string sku, string warehouse, int delta)
    {
        lock (_lock)
        {
            if (!_stock.TryGetValue((sku, warehouse), out var before))
            {
                return null;
            }

            var after = before with { OnHand = before.OnHand + delta };
            if (after.OnHand < after.Reserved)
            {
                return null;
            }

            _stock[(sku, warehouse)] = after;
            return (before, after);
        }
    }
}
