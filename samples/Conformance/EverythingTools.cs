using System.ComponentModel;
using System.Text;
using System.Text.Json;
using McpServices.AspNetCore;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Conformance;

/// <summary>The tools of the conformance suite's "everything" server.</summary>
[McpServerToolType]
public sealed class EverythingTools
{
    /// <summary>A 1×1 red PNG.</summary>
    internal static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");

    /// <summary>A minimal WAV file.</summary>
    private static readonly byte[] Wav = Convert.FromBase64String("UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=");

    [McpServerTool(Name = "test_simple_text"), Description("Returns simple text content.")]
    public static string SimpleText() => "This is a simple text response for testing.";

    [McpServerTool(Name = "test_image_content"), Description("Returns image content.")]
    public static ImageContentBlock ImageContent() => ImageContentBlock.FromBytes(Png, "image/png");

    [McpServerTool(Name = "test_audio_content"), Description("Returns audio content.")]
    public static AudioContentBlock AudioContent() => AudioContentBlock.FromBytes(Wav, "audio/wav");

    [McpServerTool(Name = "test_embedded_resource"), Description("Returns an embedded resource.")]
    public static EmbeddedResourceBlock EmbeddedResource() => new()
    {
        Resource = new TextResourceContents { Uri = "test://embedded-resource", MimeType = "text/plain", Text = "This is an embedded resource content." },
    };

    [McpServerTool(Name = "test_multiple_content_types"), Description("Returns text, image and resource content together.")]
    public static ContentBlock[] MultipleContentTypes() =>
    [
        new TextContentBlock { Text = "Multiple content types test:" },
        ImageContentBlock.FromBytes(Png, "image/png"),
        new EmbeddedResourceBlock
        {
            Resource = new TextResourceContents { Uri = "test://mixed-content-resource", MimeType = "application/json", Text = """{"test":"data","value":123}""" },
        },
    ];

    [McpServerTool(Name = "test_tool_with_logging"), Description("Sends three log notifications while it runs.")]
    public static async Task<string> ToolWithLogging(McpServer server, CancellationToken cancellationToken)
    {
        var logger = server.AsClientLoggerProvider().CreateLogger("conformance");
        logger.LogInformation("Tool execution started");
        await Task.Delay(50, cancellationToken);
        logger.LogInformation("Tool processing data");
        await Task.Delay(50, cancellationToken);
        logger.LogInformation("Tool execution completed");
        return "Tool with logging executed successfully";
    }

    [McpServerTool(Name = "test_tool_with_progress"), Description("Reports progress 0/100, 50/100, 100/100.")]
    public static async Task<string> ToolWithProgress(McpServer server, RequestContext<CallToolRequestParams> context, CancellationToken cancellationToken)
    {
        var token = context.Params?.ProgressToken;
        foreach (var progress in new[] { 0, 50, 100 })
        {
            if (token is { } t)
            {
                await server.NotifyProgressAsync(t, new ProgressNotificationValue { Progress = progress, Total = 100 }, cancellationToken: cancellationToken);
            }

            if (progress < 100)
            {
                await Task.Delay(50, cancellationToken);
            }
        }

        return token?.ToString() ?? "No progress token provided";
    }

    [McpServerTool(Name = "test_error_handling"), Description("Always fails, with a message for the caller.")]
    public static string ErrorHandling() => throw new ToolException("This tool intentionally returns an error for testing", "intentional_error");

    [McpServerTool(Name = "test_custom_headers"), Description("Echoes a region that clients also send as the Mcp-Param-Region header (SEP-2243).")]
    public static string CustomHeaders([McpHeader("Region"), Description("The region to route to")] string region) => $"Region: {region}";

    [McpServerTool(Name = "test_sampling"), Description("Asks the client's model to complete a prompt.")]
    public static async Task<string> Sampling(McpServer server, [Description("The prompt to send to the LLM")] string prompt, CancellationToken cancellationToken)
    {
        var result = await server.SampleAsync(new CreateMessageRequestParams
        {
            Messages = [new SamplingMessage { Role = Role.User, Content = [new TextContentBlock { Text = prompt }] }],
            MaxTokens = 100,
        }, cancellationToken);
        return $"LLM response: {result.Content.OfType<TextContentBlock>().FirstOrDefault()?.Text}";
    }

    [McpServerTool(Name = "test_elicitation"), Description("Asks the user for a username and an e-mail address.")]
    public static async Task<string> Elicitation(McpServer server, [Description("The message to show the user")] string message, CancellationToken cancellationToken)
    {
        var result = await server.ElicitAsync(new ElicitRequestParams
        {
            Message = message,
            RequestedSchema = new ElicitRequestParams.RequestSchema
            {
                Properties =
                {
                    ["username"] = new ElicitRequestParams.StringSchema { Description = "User's response" },
                    ["email"] = new ElicitRequestParams.StringSchema { Description = "User's email address" },
                },
                Required = ["username", "email"],
            },
        }, cancellationToken);
        return $"User response: action={result.Action}, content={Format(result.Content)}";
    }

    [McpServerTool(Name = "test_elicitation_sep1034_defaults"), Description("Elicitation with default values for every primitive type (SEP-1034).")]
    public static async Task<string> ElicitationDefaults(McpServer server, CancellationToken cancellationToken)
    {
        var result = await server.ElicitAsync(new ElicitRequestParams
        {
            Message = "Test elicitation with default values for primitive types",
            RequestedSchema = new ElicitRequestParams.RequestSchema
            {
                Properties =
                {
                    ["name"] = new ElicitRequestParams.StringSchema { Description = "User name", Default = "John Doe" },
                    ["age"] = new ElicitRequestParams.NumberSchema { Type = "integer", Description = "User age", Default = 30 },
                    ["score"] = new ElicitRequestParams.NumberSchema { Description = "User score", Default = 95.5 },
                    ["status"] = new ElicitRequestParams.UntitledSingleSelectEnumSchema { Description = "User status", Enum = ["active", "inactive", "pending"], Default = "active" },
                    ["verified"] = new ElicitRequestParams.BooleanSchema { Description = "Verification status", Default = true },
                },
            },
        }, cancellationToken);
        return $"Elicitation completed: action={result.Action}, content={Format(result.Content)}";
    }

    [McpServerTool(Name = "test_elicitation_sep1330_enums"), Description("Elicitation with every enum schema variant (SEP-1330).")]
    public static async Task<string> ElicitationEnums(McpServer server, CancellationToken cancellationToken)
    {
        var result = await server.ElicitAsync(new ElicitRequestParams
        {
            Message = "Test elicitation with enum schema variants",
            RequestedSchema = new ElicitRequestParams.RequestSchema
            {
                Properties =
                {
                    ["untitledSingle"] = new ElicitRequestParams.UntitledSingleSelectEnumSchema { Description = "Untitled single-select", Enum = ["option1", "option2", "option3"] },
                    ["titledSingle"] = new ElicitRequestParams.TitledSingleSelectEnumSchema
                    {
                        Description = "Titled single-select",
                        OneOf = [new() { Const = "value1", Title = "First Option" }, new() { Const = "value2", Title = "Second Option" }, new() { Const = "value3", Title = "Third Option" }],
                    },
                    ["legacyEnum"] = new ElicitRequestParams.LegacyTitledEnumSchema { Description = "Legacy titled enum", Enum = ["opt1", "opt2", "opt3"], EnumNames = ["Option One", "Option Two", "Option Three"] },
                    ["untitledMulti"] = new ElicitRequestParams.UntitledMultiSelectEnumSchema
                    {
                        Description = "Untitled multi-select",
                        Items = new() { Enum = ["option1", "option2", "option3"] },
                    },
                    ["titledMulti"] = new ElicitRequestParams.TitledMultiSelectEnumSchema
                    {
                        Description = "Titled multi-select",
                        Items = new() { AnyOf = [new() { Const = "value1", Title = "First Choice" }, new() { Const = "value2", Title = "Second Choice" }, new() { Const = "value3", Title = "Third Choice" }] },
                    },
                },
            },
        }, cancellationToken);
        return $"Elicitation completed: action={result.Action}, content={Format(result.Content)}";
    }

    private static string Format(IDictionary<string, JsonElement>? content)
    {
        if (content is null)
        {
            return "{}";
        }

        var text = new StringBuilder("{");
        foreach (var (key, value) in content)
        {
            text.Append(text.Length > 1 ? "," : string.Empty).Append('"').Append(key).Append("\":").Append(value.GetRawText());
        }

        return text.Append('}').ToString();
    }
}

/// <summary>
/// A tool whose input schema uses JSON Schema 2020-12 keywords (<c>$schema</c>, <c>$defs</c>, <c>$anchor</c>, <c>$ref</c>,
/// <c>allOf</c>/<c>anyOf</c>, <c>if</c>/<c>then</c>/<c>else</c>), declared verbatim.
/// </summary>
internal sealed class JsonSchema202012Tool : McpServerTool
{
    private static readonly Tool Definition = new()
    {
        Name = "json_schema_2020_12_tool",
        Description = "Tool with JSON Schema 2020-12 features",
        InputSchema = JsonElement.Parse("""
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "$defs": {
                "address": {
                  "$anchor": "addressDef",
                  "type": "object",
                  "properties": { "street": { "type": "string" }, "city": { "type": "string" } }
                }
              },
              "properties": {
                "name": { "type": "string" },
                "address": { "$ref": "#/$defs/address" },
                "contactMethod": { "type": "string", "enum": ["phone", "email"] },
                "phone": { "type": "string" },
                "email": { "type": "string" }
              },
              "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
              "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
              "then": { "required": ["phone"] },
              "else": { "required": ["email"] },
              "additionalProperties": false
            }
            """),
    };

    public override Tool ProtocolTool => Definition;

    public override IReadOnlyList<object> Metadata { get; } = [];

    public override ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new CallToolResult { Content = [new TextContentBlock { Text = $"Received: {JsonSerializer.Serialize(request.Params?.Arguments)}" }] });
}
