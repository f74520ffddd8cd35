using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FluentValidation;

namespace McpServices.AspNetCore.Tests.TestTools;

public sealed class OrderLine
{
    [Required]
    [RegularExpression("^[A-Z]{3}-[0-9]{4}$", ErrorMessage = "The sku must look like ABC-1234.")]
    public string? Sku { get; set; }

    [Range(1, 100)]
    public int Quantity { get; set; }
}

public sealed class Order
{
    [Required]
    [EmailAddress]
    public string? CustomerEmail { get; set; }

    [MinLength(1)]
    public List<OrderLine> Lines { get; set; } = [];

    public OrderLine? Gift { get; set; }
}

/// <summary>A FluentValidation rule that DataAnnotations cannot express.</summary>
public sealed class OrderValidator : AbstractValidator<Order>
{
    public OrderValidator()
    {
        RuleFor(o => o.CustomerEmail).Must(e => e is null || !e.EndsWith("@blocked.example", StringComparison.OrdinalIgnoreCase))
            .WithMessage("Orders from blocked.example are not accepted.");
        RuleFor(o => o.Lines).Must(lines => lines.Count <= 3).WithMessage("An order has at most 3 lines.");
    }
}

public sealed class OrderTools(InvocationLog log)
{
    [Description("Places an order.")]
    public string PlaceOrder(Order order)
    {
        log.Record("place_order");
        return $"placed {order.Lines.Count} line(s)";
    }

    [Description("Reserves stock.")]
    public string Reserve(
        [Description("Stock keeping unit.")][Required][RegularExpression("^[A-Z]{3}-[0-9]{4}$")] string sku,
        [Description("Units to reserve.")][Range(1, 1000)] int quantity,
        [Description("Contact for the reservation.")][EmailAddress] string? contact = null,
        [StringLength(20, MinimumLength = 2)] string note = "none")
    {
        log.Record("reserve");
        return $"reserved {quantity} x {sku}";
    }
}
