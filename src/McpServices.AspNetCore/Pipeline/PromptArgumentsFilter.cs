using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Answers <c>prompts/get</c> without a required argument with −32602 and the names of the missing arguments, before the prompt
/// runs: the SDK would fail while binding the prompt's parameters and answer a bare −32603 "An error occurred.".
/// </summary>
internal static class PromptArgumentsFilter
{
    public static readonly McpRequestFilter<GetPromptRequestParams, GetPromptResult> Instance = next => (request, cancellationToken) =>
    {
        if (request.Params is { } parameters
            && (request.MatchedPrimitive as McpServerPrompt ?? Find(request.Server, parameters.Name)) is { ProtocolPrompt.Arguments: { Count: > 0 } declared })
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

        return next(request, cancellationToken);
    };

    private static McpServerPrompt? Find(McpServer server, string name) =>
        server.ServerOptions.PromptCollection is { } prompts && prompts.TryGetPrimitive(name, out var prompt) ? prompt : null;
}
