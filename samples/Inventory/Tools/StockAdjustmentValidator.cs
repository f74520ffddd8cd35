using FluentValidation;
using Inventory.Domain;

namespace Inventory.Tools;

/// <summary>Rules that need the store or span fields: checked before adjust_stock runs.</summary>
public sealed class StockAdjustmentValidator : AbstractValidator<StockAdjustment>
{
    public StockAdjustmentValidator(IInventoryStore store)
    {
        RuleFor(a => a.Delta).NotEqual(0).WithMessage("delta must not be zero: an adjustment adds or removes at least one unit.");
        RuleFor(a => a.Warehouse)
            .Must(w => store.Warehouses.Contains(w))
            .When(a => !string.IsNullOrEmpty(a.Warehouse))
            .WithMessage(a => $"Unknown warehouse '{a.Warehouse}'. Known warehouses: {string.Join(", ", store.Warehouses)}.");
        RuleFor(a => a.Sku)
            .Must(sku => store.FindProduct(sku) is not null)
            .When(a => !string.IsNullOrEmpty(a.Sku))
            .WithMessage(a => $"No product has the SKU '{a.Sku}'.");
    }
}
