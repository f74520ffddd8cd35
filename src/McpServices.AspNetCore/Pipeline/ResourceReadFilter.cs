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
    };
}
