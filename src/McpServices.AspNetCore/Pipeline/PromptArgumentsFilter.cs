using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Answers <c>prompts/get</c> without a required argument, with an argument the prompt does not declare (unless
/// <see cref="McpServiceOptions.AllowUnknownArguments"/>), or with an argument its parameter's type cannot take (<c>"many"</c> for an
/// <c>int</c>), with −32602 and what to fix: the SDK would ignore an undeclared argument, and fail while binding the prompt's
/// parameters with a bare −32603 "An error occurred.". Missing and undeclared arguments are found before the prompt runs; a value
/// of the wrong type when binding fails, by reading each argument as its parameter, so that a prompt's own failure is not blamed
/// on its arguments. An anonymous caller gets an anonymous principal (<see cref="AnonymousCaller"/>).
/// </summary>
internal static class PromptArgumentsFilter
{
    public static McpRequestFilter<GetPromptRequestParams, GetPromptResult> Create(bool allowUnknownArguments) => next => async (request, cancellationToken) =>
    {
        var prompt = request.Params is { } parameters ? request.MatchedPrimitive as McpServerPrompt ?? PrimitiveAuthorizer.FindPrompt(request.Server.ServerOptions, parameters.Name) : null;
        if (!allowUnknownArguments)
        {
            // First: a misnamed argument also makes the one it meant missing, and its suggestion is the fix.
            CheckDeclared(request.Params, prompt);
        }

        CheckRequired(request.Params, prompt);

        AnonymousCaller.Ensure(request);
        try
        {
            return await next(request, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException) when (UnreadableArgument(request.Params, prompt) is { } problem)
        {
            throw new McpProtocolException($"Invalid params: {problem}", McpErrorCode.InvalidParams);
        }
    };

    private static void CheckRequired(GetPromptRequestParams? parameters, McpServerPrompt? prompt)
    {
        if (parameters is not null && prompt is { ProtocolPrompt.Arguments: { Count: > 0 } declared })
        {
            var missing = declared
                .Where(a => a.Required == true && (parameters.Arguments is null || !parameters.Arguments.ContainsKey(a.Name)))
                .Select(a => $"'{a.Name}'")
                .ToArray();
            if (missing.Length > 0)
            {
                throw new McpProtocolException(
                    $"Invalid params: the prompt '{parameters.Name}' needs the argument{(missing.Length > 1 ? "s" : string.Empty)} {string.Join(", ", missing)}.",
                    McpErrorCode.InvalidParams);
            }
        }
    }

    /// <summary>
    /// Refuses arguments the prompt does not list, as <c>tools/call</c> refuses undeclared arguments: a misnamed argument would
    /// otherwise be dropped silently and the prompt rendered without it. A prompt method that takes the arguments whole (an
    /// <see cref="AIFunctionArguments"/> parameter), and a prompt not built from a method, accept any.
    /// </summary>
    private static void CheckDeclared(GetPromptRequestParams? parameters, McpServerPrompt? prompt)
    {
        if (parameters?.Arguments is not { Count: > 0 } arguments || prompt is null)
        {
            return;
        }

        var declared = prompt.ProtocolPrompt.Arguments is { } list ? list.Select(a => a.Name).ToArray() : [];
        List<string>? undeclared = null;
        foreach (var name in arguments.Keys)
        {
            if (Array.IndexOf(declared, name) < 0)
            {
                (undeclared ??= []).Add(name);
            }
        }

        // A prompt written by hand (not from a method) reads its arguments itself, and MCP gives it no way to say it takes only
        // the ones it lists: it is not judged, as a hand-written tool schema without "additionalProperties": false is not.
        if (undeclared is null || SdkInternals.FunctionOf(prompt) is not { UnderlyingMethod: { } method } || ToolCatalog.TakesAllArguments(method))
        {
            return;
        }

        List<ArgumentError>? errors = null;
        ArgumentError.AddUndeclared(ref errors, path: null, undeclared, declared, subject: $"The prompt '{parameters.Name}'");
        var problems = string.Join(" ", errors!.Select(e => e.Message));
        throw new McpProtocolException($"Invalid params: {char.ToLowerInvariant(problems[0])}{problems[1..]}", McpErrorCode.InvalidParams);
    }

    /// <summary>
    /// The first argument the prompt's method cannot take, read as its parameter's type the way the SDK binds it; <see langword="null"/>
    /// when every argument reads (the failure was the prompt's own) or the prompt is not a method.
    /// </summary>
    private static string? UnreadableArgument(GetPromptRequestParams? parameters, McpServerPrompt? prompt)
    {
        if (parameters?.Arguments is not { Count: > 0 } arguments || SdkInternals.FunctionOf(prompt) is not { UnderlyingMethod: { } method } function)
        {
            return null;
        }

        foreach (var parameter in method.GetParameters())
        {
            if (parameter.Name is null || !arguments.TryGetValue(parameter.Name, out var value) || value.ValueKind == JsonValueKind.Null
                || function.JsonSerializerOptions.TryGetTypeInfo(parameter.ParameterType) is not { } typeInfo)
            {
                continue;
            }

            try
            {
                JsonSerializer.Deserialize(value, typeInfo);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or FormatException or OverflowException)
            {
                return $"the argument '{parameter.Name}' of the prompt '{parameters.Name}' must be {TypeShapes.Describe(parameter.ParameterType, function.JsonSerializerOptions)}.";
            }
        }

        return null;
    }
}
