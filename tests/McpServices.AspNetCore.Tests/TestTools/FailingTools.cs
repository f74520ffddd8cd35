using FluentValidation;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.TestTools;

public sealed class FailingTools
{
    public string Crash() => throw new InvalidOperationException("Server=db.internal;Password=hunter2 at Secret.Method()");

    public string OutOfStock(string sku) => throw new ToolException($"Only 3 units of {sku} are left.", "insufficient_stock");

    public CallToolResult SoftError() => new() { IsError = true, Content = [new TextContentBlock { Text = "soft failure" }] };
}

public sealed class Parcel
{
    public string? Label { get; set; }
}

/// <summary>A validator with a bug: it throws instead of reporting a failure.</summary>
public sealed class BrokenParcelValidator : AbstractValidator<Parcel>
{
    public BrokenParcelValidator() => RuleFor(p => p.Label).Must(_ => throw new InvalidOperationException("validator bug near Password=hunter2"));
}

public sealed class ShippingTools(InvocationLog log)
{
    [System.ComponentModel.Description("Ships a parcel.")]
    public string Ship(Parcel parcel)
    {
        log.Record("ship");
        return $"shipped {parcel.Label}";
    }
}
