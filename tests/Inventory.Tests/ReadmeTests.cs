using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>The README's promises, checked: its quick start compiles (it is samples/QuickStart) and CI runs its test command.</summary>
public sealed class ReadmeTests
{
    private static string Readme => File.ReadAllText(RepoPaths.Combine("README.md"));

    [Fact]
    public void QuickStart_IsTheCompiledQuickStartSample()
    {
        var program = File.ReadAllText(RepoPaths.Combine("samples", "QuickStart", "Program.cs"));

        Assert.Contains("```csharp\n" + program + "```", Readme);
    }

    [Fact]
    public void CiEntryPoint_RunsTheReadmeTestCommand()
    {
        Assert.Contains("./eng/test.sh", Readme);
        Assert.Contains("./eng/test.sh", File.ReadAllText(RepoPaths.Combine(".ci", "run")));
    }
}
