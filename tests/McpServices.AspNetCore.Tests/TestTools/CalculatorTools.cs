using System.ComponentModel;

namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>A plain class without SDK attributes: every public instance method is a tool.</summary>
public sealed class CalculatorTools(InvocationLog log)
{
    [Description("Adds two integers.")]
    public int Add([Description("The first addend.")] int a, [Description("The second addend.")] int b = 2)
    {
        log.Record("add");
        return a + b;
    }

    [Description("Divides a by b.")]
    public async Task<double> DivideAsync(double a, double b, CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        log.Record("divide");
        return a / b;
    }

    public override string ToString() => "not a tool";
}
