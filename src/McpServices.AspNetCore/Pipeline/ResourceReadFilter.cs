using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// <c>resources/read</c> errors about the requested resource carry its URI in <c>error.data.uri</c>, as the specification asks
/// (SEP-2164), so that a client can tell which of its reads failed. An anonymous caller gets an anonymous principal
/// (<see cref="AnonymousCaller"/>).
/// </summary>
internal static class ResourceReadFilter
{
    public static readonly McpRequestFilter<ReadResourceRequestParams, ReadResourceResult> Instance = next => async (request, cancellationToken) =>
    {
        AnonymousCaller.Ensure(request);
        try
        {
            return await next(request, cancellationToken).ConfigureAwait(false);
        }
        catch (McpProtocolException ex) when (ex.ErrorCode is McpErrorCode.ResourceNotFound or McpErrorCode.InvalidParams
            && request.Params?.Uri is { } uri && !ex.Data.Contains("uri"))
        {
            ex.Data["uri"] = uri;
            throw;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException
            && request.Params?.Uri is { } uri && UnreadableVariable(request.MatchedPrimitive as McpServerResource, uri) is { } problem)
        {
            throw new McpProtocolException($"Invalid params: {problem}", ex, McpErrorCode.InvalidParams) { Data = { ["uri"] = uri } };
        }
    };

    /// <summary>
    /// The first variable of the requested URI that the resource template's method cannot take, converted to its parameter's type
    /// the way the SDK converts it (<c>orders://abc</c> for an <c>int id</c>), or <see langword="null"/> when every variable
    /// converts — the failure was the resource's own — or the SDK's internals needed to tell are not there. The SDK alone
    /// answers such a read with −32603 "An error occurred.".
    /// </summary>
    private static string? UnreadableVariable(McpServerResource? resource, string uri)
    {
        if (resource is null || SdkInternals.UriParserOf(resource) is not { } parser
            || SdkInternals.FunctionOf(resource) is not { UnderlyingMethod: { } method } function
            || parser.Match(uri) is not { Success: true } match)
        {
            return null;
        }

        foreach (var parameter in method.GetParameters())
        {
            if (parameter.Name is null || match.Groups[parameter.Name] is not { Success: true } group
                || SdkInternals.UriVariableConverter(parameter.ParameterType) is not { } convert)
            {
                continue;
            }

            try
            {
                convert(Uri.UnescapeDataString(group.Value));
            }
            catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
            {
                return $"the variable '{parameter.Name}' of the resource template '{resource.ProtocolResourceTemplate.UriTemplate}' must be " +
                    $"{TypeShapes.Describe(parameter.ParameterType, function.JsonSerializerOptions)}.";
            }
        }

        return null;
    }
}
