using System.ComponentModel;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>Prompts for the prompt error tests.</summary>
[McpServerPromptType]
public sealed class GreetingPrompts
{
    [McpServerPrompt(Name = "greet"), Description("Greets someone.")]
    public static string Greet([Description("Who to greet.")] string name, [Description("How.")] string? tone = null) => $"Greet {name} {tone}".Trim();
}
