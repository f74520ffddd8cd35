using System.ComponentModel;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Conformance;

/// <summary>The prompts of the conformance suite's "everything" server.</summary>
[McpServerPromptType]
public sealed class EverythingPrompts
{
    [McpServerPrompt(Name = "test_simple_prompt"), Description("A simple prompt without arguments")]
    public static string Simple() => "This is a simple prompt for testing.";

    [McpServerPrompt(Name = "test_prompt_with_arguments"), Description("A prompt with arguments")]
    public static string WithArguments([Description("First test argument")] string arg1, [Description("Second test argument")] string arg2) =>
        $"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'";

    [McpServerPrompt(Name = "test_prompt_with_embedded_resource"), Description("A prompt that embeds a resource")]
    public static IEnumerable<PromptMessage> WithEmbeddedResource([Description("URI of the resource to embed")] string resourceUri) =>
    [
        new() { Role = Role.User, Content = new EmbeddedResourceBlock { Resource = new TextResourceContents { Uri = resourceUri, MimeType = "text/plain", Text = "Embedded resource content for testing." } } },
        new() { Role = Role.User, Content = new TextContentBlock { Text = "Please process the embedded resource above." } },
    ];

    [McpServerPrompt(Name = "test_prompt_with_image"), Description("A prompt with an image")]
    public static IEnumerable<PromptMessage> WithImage() =>
    [
        new() { Role = Role.User, Content = ImageContentBlock.FromBytes(EverythingTools.Png, "image/png") },
        new() { Role = Role.User, Content = new TextContentBlock { Text = "Please analyze the image above." } },
    ];

    [McpServerPrompt(Name = "test_input_required_result_prompt"), Description("A prompt that first asks the user for context (SEP-2322).")]
    public static string InputRequiredPrompt(RequestContext<GetPromptRequestParams> context)
    {
        var userContext = MultiRoundTripTools.Elicited(context.Params, "user_context", "context")
            ?? throw MultiRoundTripTools.InputRequired(("user_context", MultiRoundTripTools.AskFor("What context should the prompt use?", "context", "string")));
        return $"Prompt with user context: {userContext}";
    }
}
