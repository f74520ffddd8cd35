using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace McpServices.AspNetCore;

/// <summary>
/// The resource that ASP.NET Core authorization policies see when McpServices authorizes a tool call: the tool and its typed
/// arguments. Write resource-based handlers against it, for example <c>AuthorizationHandler&lt;OwnWarehouseRequirement, McpToolInvocation&gt;</c>.
/// </summary>
/// <remarks>
/// Policies are evaluated for <c>tools/call</c> (with the call's arguments) and for <c>tools/list</c>, where <see cref="IsListing"/>
/// is <see langword="true"/> and there are no arguments: a handler should then succeed when the caller could call the tool with
/// some arguments, so <c>tools/list</c> shows each caller exactly the tools it may call.
/// </remarks>
public sealed class McpToolInvocation
{
    private readonly IDictionary<string, JsonElement>? _arguments;
    private readonly JsonSerializerOptions _serializerOptions;

    internal McpToolInvocation(string toolName, IDictionary<string, JsonElement>? arguments, JsonSerializerOptions serializerOptions, IServiceProvider services, bool isListing)
    {
        ToolName = toolName;
        _arguments = arguments;
        _serializerOptions = serializerOptions;
        Services = services;
        IsListing = isListing;
    }

    /// <summary>Gets the name of the tool being authorized.</summary>
    public string ToolName { get; }

    /// <summary>Gets a value indicating whether this is a <c>tools/list</c> evaluation (no arguments) rather than a call.</summary>
    public bool IsListing { get; }

    /// <summary>Gets the request's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Gets the names of the arguments the caller sent.</summary>
    public IReadOnlyCollection<string> ArgumentNames => _arguments is null ? [] : [.. _arguments.Keys];

    /// <summary>Reads an argument as <typeparamref name="T"/>, for example <c>GetArgument&lt;StockAdjustment&gt;("adjustment")</c>.</summary>
    /// <typeparam name="T">The argument's type, usually the tool parameter's type.</typeparam>
    /// <param name="name">The argument name as in the tool's input schema.</param>
    /// <returns>The value, or <see langword="default"/> when the caller did not send it.</returns>
    /// <exception cref="McpToolArgumentException">The value cannot be read as <typeparamref name="T"/>; the call is answered as invalid.</exception>
    public T? GetArgument<T>(string name) => TryGetArgument<T>(name, out var value) ? value : default;

    /// <summary>Reads an argument as <typeparamref name="T"/> if the caller sent it.</summary>
    /// <typeparam name="T">The argument's type.</typeparam>
    /// <param name="name">The argument name as in the tool's input schema.</param>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> when the argument was sent.</returns>
    /// <exception cref="McpToolArgumentException">The value cannot be read as <typeparamref name="T"/>.</exception>
    public bool TryGetArgument<T>(string name, [MaybeNullWhen(false)] out T value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_arguments is null || !_arguments.TryGetValue(name, out var element) || element.ValueKind == JsonValueKind.Undefined)
        {
            value = default;
            return false;
        }

        try
        {
            value = element.Deserialize<T>(_serializerOptions)!;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new McpToolArgumentException(name, ex);
        }
    }
}

/// <summary>Thrown when a policy reads an argument that cannot be converted to the type it asks for; the call is answered as invalid.</summary>
public sealed class McpToolArgumentException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="argumentName">The argument that could not be read.</param>
    /// <param name="innerException">The serializer's error (logged, never returned to the caller).</param>
    public McpToolArgumentException(string argumentName, Exception? innerException)
        : base($"The argument '{argumentName}' has the wrong type.", innerException)
    {
        ArgumentName = argumentName;
    }

    /// <summary>Gets the argument that could not be read.</summary>
    public string ArgumentName { get; }
}
