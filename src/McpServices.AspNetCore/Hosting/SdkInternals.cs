using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// The few internals of the MCP SDK (ModelContextProtocol 2.4.0) that McpServices reads, in one place to check when the SDK is
/// upgraded. Each returns <see langword="null"/> (or <see langword="false"/>) when the internal is not there, and every caller
/// then keeps the SDK's own behaviour: a check is skipped, an error stays the SDK's −32603. Tests fail if one disappears
/// (prompt and resource argument errors, the handler checks of classes created per call).
/// </summary>
internal static class SdkInternals
{
    /// <summary>
    /// The request item with which the SDK's authorization filter (ModelContextProtocol.AspNetCore, <c>AuthorizationFilterSetup</c>)
    /// says it ran: the SDK's guards fail a request on a prompt or resource with authorization metadata unless it is set, and
    /// <see cref="PrimitiveAuthorizer"/>, which authorizes them instead, sets it. Should a release rename it, those requests fail
    /// closed (−32603), and the tests say so.
    /// </summary>
    public const string AuthorizationFilterInvokedKey = "ModelContextProtocol.AspNetCore.AuthorizationFilter.Invoked";

    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly MethodInfo? UriVariableConverterFactory =
        typeof(McpServerResource).Assembly.GetType("ModelContextProtocol.Server.AIFunctionMcpServerResource")
            ?.GetMethod("GetConverter", BindingFlags.Static | BindingFlags.NonPublic, [typeof(Type)]);

    /// <summary>The function a tool, prompt or resource built from a method was created from (the internal <c>AIFunction</c> property).</summary>
    public static AIFunction? FunctionOf(object? primitive) =>
        primitive?.GetType().GetProperty("AIFunction", Instance)?.GetValue(primitive) as AIFunction;

    /// <summary>
    /// Whether the function creates an instance of its method's class for each call (<c>WithTools&lt;T&gt;()</c>,
    /// <c>WithPrompts&lt;T&gt;()</c>), rather than calling a target it was given.
    /// </summary>
    public static bool CreatesInstancePerCall(AIFunction function) =>
        function.GetType().GetProperty("CreateInstanceFunc", Instance)?.GetValue(function) is not null;

    /// <summary>The expression a resource template matches requested URIs with; its groups are the template's variables.</summary>
    public static Regex? UriParserOf(McpServerResource resource) =>
        resource.GetType().GetField("_uriParser", Instance)?.GetValue(resource) as Regex;

    /// <summary>How the SDK converts a URI variable to a parameter of <paramref name="type"/>, or <see langword="null"/>.</summary>
    public static Func<string, object?>? UriVariableConverter(Type type) =>
        UriVariableConverterFactory?.Invoke(null, [type]) as Func<string, object?>;
}
