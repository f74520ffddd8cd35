using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Inventory.Domain;
using McpServices.AspNetCore;
using Microsoft.AspNetCore.Authorization;
using ModelContextProtocol.Server;

namespace Inventory.Tools;

/// <summary>
/// The inventory tools agents call. Created per call with constructor injection. Reading needs the <c>inventory:read</c> scope;
/// adjusting needs <c>inventory:write</c> and is limited to the caller's own warehouses.
/// </summary>
[McpServerToolType]
[RequireScopes("inventory:read")]
public sealed class InventoryTools(IInventoryStore store, ILogger<InventoryTools> logger)
{
    [McpServerTool(Name = "search_products", Title = "Search products", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Searches the product catalog by name, SKU or category and returns matching products with the units available.")]
    public ProductSearchResult SearchProducts(
        [Description("Text to look for in product names and SKUs, for example 'drill'.")][Required][StringLength(100, MinimumLength = 2)] string query,
        [Description("Only products of this category, for example 'power-tools'.")] string? category = null,
        [Description("The most products to return.")][Range(1, 50)] int limit = 10)
    {
        var matches = store.Products
            .Where(p => category is null || string.Equals(p.Category, category, StringComparison.OrdinalIgnoreCase))
            .Where(p => p.Name.Contains(query, StringComparison.OrdinalIgnoreCase) || p.Sku.Contains(query, StringComparison.OrdinalIgnoreCase) || p.Category.Contains(query, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(p => p.Name.StartsWith(query, StringComparison.OrdinalIgnoreCase))
            .ThenBy(p => p.Sku, StringComparer.Ordinal)
            .ToList();

        var products = matches
            .Take(limit)
            .Select(p => new ProductSummary(p.Sku, p.Name, p.Category, p.UnitPrice, store.GetStock(p.Sku).Sum(s => s.Available)))
            .ToList();
        return new ProductSearchResult(products, matches.Count);
    }

    [McpServerTool(Name = "get_stock", Title = "Get stock level", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Returns the units on hand, reserved and available for one product, per warehouse.")]
    public StockReport GetStock(
        [Description("The product SKU, for example 'HAM-0001'.")][Required][RegularExpression(SkuFormat.Pattern, ErrorMessage = "The sku must look like HAM-0001.")] string sku,
        [Description("Only this warehouse, for example 'ams-1'.")] string? warehouse = null)
    {
        var product = store.FindProduct(sku) ?? throw new ToolException($"No product has the SKU '{sku}'.", "unknown_sku");
        var stock = store.GetStock(sku).Where(s => warehouse is null || s.Warehouse == warehouse).ToList();
        if (warehouse is not null && stock.Count == 0)
        {
            throw new ToolException($"Unknown warehouse '{warehouse}'. Known warehouses: {string.Join(", ", store.Warehouses)}.", "unknown_warehouse");
        }

        return new StockReport(product.Sku, product.Name, stock, stock.Sum(s => s.Available));
    }

    [McpServerTool(Name = "adjust_stock", Title = "Adjust stock", Destructive = true, Idempotent = false, OpenWorld = false)]
    [RequireScopes("inventory:write")]
    [Authorize(Policy = OwnWarehouseRequirement.PolicyName)]
    [Description("Adds or removes units of a product in one warehouse (goods received, shrinkage, count corrections) and returns the new stock level. Stock cannot fall below the reserved units.")]
    public StockAdjustmentResult AdjustStock([Description("The adjustment to apply.")] StockAdjustment adjustment)
    {
        var change = store.TryAdjust(adjustment.Sku, adjustment.Warehouse, adjustment.Delta)
            ?? throw new ToolException(
                $"Removing {-adjustment.Delta} units of {adjustment.Sku} would leave {adjustment.Warehouse} with less stock than is reserved.",
                "insufficient_stock");

        logger.LogInformation("Adjusted {Sku} in {Warehouse} by {Delta} ({Reason})", adjustment.Sku, adjustment.Warehouse, adjustment.Delta, adjustment.Reason);
        return new StockAdjustmentResult(adjustment.Sku, adjustment.Warehouse, change.Before.OnHand, change.After.OnHand, change.After.Available);
    }
}
