using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// The HTTP stage in front of the MCP endpoint: Host and Origin checks (DNS-rebinding protection), content type,
/// body size limit, and a last line of defence that turns unexpected failures into a JSON-RPC error without details.
/// </summary>
internal sealed partial class McpRequestGate
{
    private readonly OriginPolicy _originPolicy;
    private readonly long _maxBodySize;
    private readonly ILogger _logger;

    public McpRequestGate(IOptions<McpServiceOptions> options, ILogger<McpRequestGate> logger)
    {
        _originPolicy = new OriginPolicy(options.Value);
        _maxBodySize = options.Value.MaxRequestBodySize;
        _logger = logger;
    }

    public RequestDelegate Wrap(RequestDelegate next) => context => InvokeAsync(context, next);

    private async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!_originPolicy.IsHostAllowed(request.Host))
        {
            LogHostRejected(_logger, request.Host.Value);
            await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status403Forbidden, McpServiceErrorCodes.RequestRejected, "Forbidden: the request's Host is not served here.").ConfigureAwait(false);
            return;
        }

        var origin = request.Headers.Origin;
        if (origin.Count > 0 && !_originPolicy.IsOriginAllowed(origin.ToString(), request.Host))
        {
            LogOriginRejected(_logger, origin.ToString());
            await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status403Forbidden, McpServiceErrorCodes.RequestRejected, "Forbidden: the request's Origin is not allowed.").ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsPost(request.Method))
        {
            if (!request.HasJsonContentType())
            {
                await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, McpServiceErrorCodes.RequestRejected, "Unsupported Media Type: the request body must be a JSON-RPC message with Content-Type application/json.").ConfigureAwait(false);
                return;
            }

            if (request.ContentLength > _maxBodySize)
            {
                await WriteTooLargeAsync(context).ConfigureAwait(false);
                return;
            }

            var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (sizeFeature is { IsReadOnly: false })
            {
                sizeFeature.MaxRequestBodySize = _maxBodySize;
            }
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            if (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await WriteTooLargeAsync(context).ConfigureAwait(false);
            }
            else
            {
                await JsonRpcErrorWriter.WriteAsync(context, ex.StatusCode, McpServiceErrorCodes.RequestRejected, "Bad Request: the request could not be read.").ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            LogUnhandled(_logger, ex);
            context.Response.Clear();
            await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status500InternalServerError, McpServiceErrorCodes.InternalError, "Internal error.").ConfigureAwait(false);
        }
    }

    private Task WriteTooLargeAsync(HttpContext context) =>
        JsonRpcErrorWriter.WriteAsync(
            context,
            StatusCodes.Status413PayloadTooLarge,
            McpServiceErrorCodes.RequestRejected,
            $"Payload Too Large: the request body exceeds the limit of {_maxBodySize} bytes.",
            w =>
            {
                w.WriteStartObject();
                w.WriteNumber("maxRequestBodySize", _maxBodySize);
                w.WriteEndObject();
            });

    [LoggerMessage(1, LogLevel.Warning, "Refused an MCP request for host '{Host}': it is not in McpService:AllowedHosts.")]
    private static partial void LogHostRejected(ILogger logger, string? host);

    [LoggerMessage(2, LogLevel.Warning, "Refused an MCP request from origin '{Origin}': it is not in McpService:AllowedOrigins (DNS-rebinding protection).")]
    private static partial void LogOriginRejected(ILogger logger, string origin);

    [LoggerMessage(3, LogLevel.Error, "Unhandled exception while serving an MCP request; the client received a JSON-RPC internal error without details.")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);
}
