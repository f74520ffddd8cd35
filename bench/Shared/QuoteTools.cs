using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using ModelContextProtocol.Server;

namespace Bench;

/// <summary>The tool every benchmarked server exposes: a small, CPU-cheap tool, so that the measurements show the server's cost.</summary>
[McpServerToolType]
public sealed class QuoteTools
{
    /// <summary>Returns a price quote.</summary>
    /// <param name="sku">A product SKU.</param>
    /// <param name="quantity">The number of units.</param>
    /// <returns>The quote.</returns>
    [McpServerTool(Name = "get_quote", ReadOnly = true), Description("Returns a price quote for a quantity of a product.")]
    public static string GetQuote(
        [Description("Product SKU, e.g. HAM-0001."), RegularExpression("^[A-Z]{3}-[0-9]{4}$")] string sku,
        [Description("Units, 1 to 1000."), Range(1, 1000)] int quantity) =>
        string.Create(CultureInfo.InvariantCulture, $"{quantity} x {sku} = {quantity * 12.5m:0.00} EUR");
}
