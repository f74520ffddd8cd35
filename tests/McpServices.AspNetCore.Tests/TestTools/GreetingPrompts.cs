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

/// <summary>Prompts whose arguments are not all strings, and one that fails on its own.</summary>
[McpServerPromptType]
public sealed class ArgumentPrompts
{
    [McpServerPrompt(Name = "repeat"), Description("Repeats a text.")]
    public static string Repeat([Description("The text.")] string text, [Description("How often.")] int times = 1) => string.Join(' ', Enumerable.Repeat(text, times));

    [McpServerPrompt(Name = "summarize_json"), Description("Summarizes a JSON document.")]
    public static string SummarizeJson([Description("The document.")] string json) => $"Summarize {System.Text.Json.JsonDocument.Parse(json).RootElement.ValueKind}";
}
