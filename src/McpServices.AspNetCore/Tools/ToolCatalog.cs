using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// The service's tools, built once at startup from every <see cref="McpServerTool"/> registered in DI,
/// with their validation plans. Fails fast on duplicate names instead of dropping a tool silently as the SDK would.
/// </summary>
internal sealed class ToolCatalog
{
    private readonly FrozenDictionary<string, ToolDescriptor> _byName;
    private readonly FrozenDictionary<string, ToolDescriptor> _byConfiguredName;

    public ToolCatalog(IEnumerable<McpServerTool> tools, IServiceProvider services)
    {
        var isService = services.GetService<IServiceProviderIsService>();
        var allowUnknownArguments = services.GetService<IOptions<McpServiceOptions>>()?.Value.AllowUnknownArguments ?? false;
        var validators = new Dictionary<JsonSerializerOptions, ObjectValidator>();
        var descriptors = new Dictionary<string, ToolDescriptor>(StringComparer.Ordinal);
        foreach (var tool in tools)
        {
            var source = tool.Metadata.OfType<ToolSource>().FirstOrDefault();
            var serializerOptions = source?.SerializerOptions ?? McpJsonUtilities.DefaultOptions;
            if (!validators.TryGetValue(serializerOptions, out var objectValidator))
            {
                validators[serializerOptions] = objectValidator = new ObjectValidator(serializerOptions);
            }

            var method = source?.Method ?? tool.Metadata.OfType<MethodInfo>().FirstOrDefault();
            if (method is not null && !allowUnknownArguments && !TakesAllArguments(method))
            {
                DeclareNoOtherArguments(tool.ProtocolTool);
            }

            var plan = ArgumentPlan.Create(method, tool.ProtocolTool.InputSchema, serializerOptions, objectValidator, isService);
            var descriptor = new ToolDescriptor(tool, source, plan);
            if (descriptors.TryGetValue(descriptor.Name, out var existing))
            {
                throw new InvalidOperationException(
                    $"The tool name '{descriptor.Name}' is declared twice, by {existing.DisplaySource} and by {descriptor.DisplaySource}. " +
                    "Tool names must be unique: rename one with [McpServerTool(Name = \"...\")] or rename the method.");
            }

            descriptors.Add(descriptor.Name, descriptor);
        }

        // Configuration keys are case-insensitive: two tools whose names differ only in case would share their settings under
        // McpService:Authorization:Tools, :RateLimits:Tools and :Timeouts:Tools, and could not be configured apart.
        if (descriptors.Values.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } clash)
        {
            var pair = clash.OrderBy(d => d.Name, StringComparer.Ordinal).Take(2).ToArray();
            throw new InvalidOperationException(
                $"The tool names '{pair[0].Name}' and '{pair[1].Name}' differ only in case (declared by {pair[0].DisplaySource} and {pair[1].DisplaySource}). " +
                "Configuration keys are case-insensitive, so McpService:Authorization:Tools, McpService:RateLimits:Tools and McpService:Timeouts:Tools " +
                "could not tell them apart: rename one with [McpServerTool(Name = \"...\")] or rename the method.");
        }

        // A validation attribute that cannot validate its member's type throws on every value: every call would fail.
        var misplaced = descriptors.Values.SelectMany(d => d.Arguments.AttributeProblems().Select(problem => $"The tool '{d.Name}' ({d.Method?.DeclaringType?.Name}.{d.Method?.Name}), {problem}"))
            .Concat(validators.Values.SelectMany(v => v.AttributeProblems).Distinct().Select(problem => $"The argument type member {problem}"))
            .ToArray();
        if (misplaced.Length > 0)
        {
            throw new InvalidOperationException(
                string.Join("; ", misplaced) + ". Every call would fail with an internal error: put each attribute on a member of a type it validates " +
                "([StringLength], [MinLength] and [MaxLength] on strings and collections; [Range] with bounds of the member's type), and give [RegularExpression] a valid pattern.");
        }

        _byName = descriptors.ToFrozenDictionary(StringComparer.Ordinal);
        _byConfiguredName = descriptors.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        Tools = descriptors.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// Adds <c>"additionalProperties": false</c> to the input schema the SDK generated from a tool method's parameters, unless the
    /// schema already says whether other arguments are allowed: the SDK ignores an argument the method does not have, and
    /// <see cref="ArgumentPlan"/> refuses one where the schema says there are no others — so the published schema says what is
    /// enforced. The top level only: <see cref="ToolFactory"/> closes the objects of the schemas it has the SDK generate.
    /// </summary>
    private static void DeclareNoOtherArguments(Tool tool)
    {
        var schema = tool.InputSchema;
        if (schema.ValueKind != JsonValueKind.Object || schema.TryGetProperty("additionalProperties", out _))
        {
            return;
        }

        var node = JsonNode.Parse(schema.GetRawText())!.AsObject();
        node["additionalProperties"] = false;
        tool.InputSchema = JsonSerializer.SerializeToElement(node, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonNode)));
    }

    /// <summary>Whether the method takes the call's arguments whole (an <see cref="AIFunctionArguments"/> parameter): then any are its own.</summary>
    internal static bool TakesAllArguments(MethodInfo method) =>
        method.GetParameters().Any(p => typeof(AIFunctionArguments).IsAssignableFrom(p.ParameterType));

    /// <summary>
    /// What a call to a tool the service does not have is told (the SDK's own words, JSON-RPC −32602), with the tool it most
    /// likely meant when there is one the caller may see (<see cref="ToolAuthorizer.SuggestToolAsync"/>). A name longer than
    /// MCP allows is quoted cut (<see cref="BoundedText"/>).
    /// </summary>
    public static string UnknownToolMessage(string? name, string? suggestion = null) =>
        suggestion is null
            ? $"Unknown tool: '{BoundedText.Cut(name, BoundedText.MaxNameLength)}'."
            : $"Unknown tool: '{BoundedText.Cut(name, BoundedText.MaxNameLength)}'; did you mean '{suggestion}'?";

    /// <summary>Gets the tools, ordered by name (ordinal).</summary>
    public IReadOnlyList<ToolDescriptor> Tools { get; }

    public ToolDescriptor? Find(string? name) =>
        name is not null && _byName.TryGetValue(name, out var descriptor) ? descriptor : null;

    /// <summary>
    /// The tool a configuration key names: in any case, as .NET configuration keys are (environment variables are usually
    /// written in capitals). Unambiguous, because tool names that differ only in case stop startup. A call names its tool
    /// exactly (<see cref="Find"/>).
    /// </summary>
    public ToolDescriptor? FindConfigured(string? name) =>
        name is not null && _byConfiguredName.TryGetValue(name, out var descriptor) ? descriptor : null;
}
