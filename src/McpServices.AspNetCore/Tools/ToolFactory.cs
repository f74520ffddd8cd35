using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>Where a tool came from: the class and method McpServices built it from.</summary>
internal sealed record ToolSource(Type ToolType, MethodInfo Method, JsonSerializerOptions SerializerOptions);

/// <summary>Creates SDK tools from a tool class: methods marked <c>[McpServerTool]</c>, or every public method of a plain class.</summary>
internal static class ToolFactory
{
    public static IReadOnlyList<MethodInfo> GetToolMethods(Type toolType)
    {
        var all = toolType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static);
        var attributed = all.Where(m => m.IsDefined(typeof(McpServerToolAttribute), inherit: false)).ToArray();
        if (attributed.Length > 0)
        {
            return attributed.OrderBy(m => m.MetadataToken).ToArray();
        }

        if (toolType.IsAbstract && toolType.IsSealed)
        {
            // A static class without attributes: its public static methods are the tools.
            return toolType.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(IsPlainToolMethod)
                .OrderBy(m => m.MetadataToken)
                .ToArray();
        }

        return toolType.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(IsPlainToolMethod)
            .OrderBy(m => m.MetadataToken)
            .ToArray();
    }

    private static bool IsPlainToolMethod(MethodInfo method)
    {
        if (method.IsSpecialName || method.IsGenericMethodDefinition || method.IsDefined(typeof(CompilerGeneratedAttribute)))
        {
            return false;
        }

        // A caller can send JSON values only: a ref, out or in parameter (bool TryFind(string key, out Item item)), a span or a
        // pointer cannot be one, and such a method is a helper, not a tool (the SDK would fail to start on it).
        if (method.ReturnType.IsByRef || method.ReturnType.IsByRefLike || method.ReturnType.IsPointer
            || method.GetParameters().Any(p => p.ParameterType.IsByRef || p.ParameterType.IsByRefLike || p.ParameterType.IsPointer))
        {
            return false;
        }

        var baseDefinition = method.GetBaseDefinition().DeclaringType;
        if (baseDefinition == typeof(object))
        {
            return false;
        }

        if ((method.Name is nameof(IDisposable.Dispose) or nameof(IAsyncDisposable.DisposeAsync)) && method.GetParameters().Length == 0)
        {
            return false;
        }

        return true;
    }

    public static McpServerTool Create(Type toolType, MethodInfo method, IServiceProvider services, JsonSerializerOptions serializerOptions)
    {
        // Authorization attributes stay out of the SDK tool's metadata: McpServices evaluates them in its own pipeline
        // (so refused calls are audited and get the spec's HTTP challenges); the SDK would otherwise evaluate them a second time.
        var metadata = new List<object> { method };
        metadata.AddRange(toolType.GetCustomAttributes(inherit: true).Where(a => !IsAuthorizationMetadata(a)));
        metadata.AddRange(method.GetCustomAttributes(inherit: true).Where(a => !IsAuthorizationMetadata(a)));
        var source = new ToolSource(toolType, method, serializerOptions);
        metadata.Add(source);

        var options = new McpServerToolCreateOptions
        {
            Services = services,
            SerializerOptions = serializerOptions,
            Metadata = metadata,
            SchemaCreateOptions = services.GetService<IOptions<McpServiceOptions>>()?.Value.AllowUnknownArguments == true ? null : DeclaredMembersOnly,
        };

        if (method.GetCustomAttribute<McpServerToolAttribute>()?.Name is { } name && !IsValidToolName(name))
        {
            throw new InvalidOperationException(
                $"The method {toolType.Name}.{method.Name} declares the tool name '{name}', which MCP does not allow: a tool name has 1 to " +
                "128 characters, each an ASCII letter or digit, '_', '-' or '.'. Change the Name in its [McpServerTool] attribute.");
        }

        try
        {
            return method.IsStatic
                ? McpServerTool.Create(method, target: null, options)
                : McpServerTool.Create(method, request => ActivatorUtilities.CreateInstance(request.Services ?? services, toolType), options);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            // The SDK's and the serializer's messages name a type (System.Int32&), not the method that uses it.
            throw new InvalidOperationException(
                $"The method {toolType.Name}.{method.Name} cannot be a tool: {ex.Message} Tool parameters and results must be " +
                "JSON-serializable values (no ref, out or in parameters, spans or pointers); make the method non-public or remove " +
                "its [McpServerTool] attribute if it is not meant to be one.",
                ex);
        }
    }

    /// <summary>
    /// The SDK's schema options (<see cref="AIJsonSchemaCreateOptions.Default"/>), plus <c>"additionalProperties": false</c> on the
    /// schema of every object type the serializer reads member by member — so that a member an argument's type does not have is
    /// refused (<see cref="SchemaCheck"/>), as a misnamed argument is (<see cref="ToolCatalog"/> closes the top level). Not for a
    /// type with <c>[JsonExtensionData]</c>, which takes any member (its schema does not show it), nor for dictionaries, whose
    /// schemas have no <c>properties</c>.
    /// </summary>
    private static readonly AIJsonSchemaCreateOptions DeclaredMembersOnly = AIJsonSchemaCreateOptions.Default with
    {
        TransformSchemaNode = (context, node) =>
        {
            if (node is JsonObject schema && schema.ContainsKey("properties") && !schema.ContainsKey("additionalProperties")
                && context.TypeInfo is { Kind: JsonTypeInfoKind.Object } type && !type.Properties.Any(p => p.IsExtensionData))
            {
                schema["additionalProperties"] = false;
            }

            return node;
        },
    };

    /// <summary>The MCP specification's tool name format (2025-11-25), which the SDK enforces when it creates the tool.</summary>
    private static bool IsValidToolName(string name) =>
        name.Length is >= 1 and <= 128 && name.AsSpan().IndexOfAnyExcept(ToolNameCharacters) < 0;

    private static readonly System.Buffers.SearchValues<char> ToolNameCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.");

    internal static bool IsAuthorizationMetadata(object attribute) =>
        attribute is IAuthorizeData or AuthorizationPolicy or IAuthorizationRequirementData;
}
