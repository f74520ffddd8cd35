using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// The governed tool call. Every <c>tools/call</c> passes the same ordered stages, and this class is the one place
/// that order lives:
/// <code>
/// HTTP stage (McpRequestGate): Host/Origin → content type → body limit → admission (draining: 503)
/// MCP stage (this class):      [observe] → resolve tool → validate arguments → invoke → [observe: audit + metrics, whatever the outcome]
/// </code>
/// It runs as the outermost SDK call-tool filter, so refused calls are observed as surely as successful ones; calls refused
/// at the HTTP stage are observed there.
/// </summary>
internal sealed partial class ToolCallPipeline
{
    internal const string CallItemKey = "McpServices.ToolCall";

    /// <summary>The <c>_meta</c> key that carries validation errors for tools that declare an output schema.</summary>
    internal const string ValidationErrorsMetaKey = "io.mcpservices/errors";

    private readonly ToolCatalog _catalog;
    private readonly ShutdownCoordinator _shutdown;
    private readonly IHttpContextAccessor _httpContextAccessor;
    private readonly ToolCallCompletion _completion;
    private readonly ILogger _logger;

    public ToolCallPipeline(
        ToolCatalog catalog,
        ShutdownCoordinator shutdown,
        IHttpContextAccessor httpContextAccessor,
        ToolCallCompletion completion,
        ILogger<ToolCallPipeline> logger)
    {
        _catalog = catalog;
        _shutdown = shutdown;
        _httpContextAccessor = httpContextAccessor;
        _completion = completion;
        _logger = logger;
        CallToolFilter = next => (request, cancellationToken) => InvokeAsync(request, next, cancellationToken);
        ListToolsFilter = next => (request, cancellationToken) => ListAsync(request, next, cancellationToken);
    }

    /// <summary>The filter registered first in the SDK's call-tool filters (outermost).</summary>
    public McpRequestFilter<CallToolRequestParams, CallToolResult> CallToolFilter { get; }

    /// <summary>Filters and orders <c>tools/list</c>.</summary>
    public McpRequestFilter<ListToolsRequestParams, ListToolsResult> ListToolsFilter { get; }

    private async ValueTask<CallToolResult> InvokeAsync(
        RequestContext<CallToolRequestParams> request,
        McpRequestHandler<CallToolRequestParams, CallToolResult> next,
        CancellationToken cancellationToken)
    {
        var call = ToolCall.FromRequest(request, _httpContextAccessor.HttpContext);
        request.Items[CallItemKey] = call;
        try
        {
            // 1. Resolve the tool.
            var tool = _catalog.Find(call.ToolName);
            call.Tool = tool;
            if (tool is null)
            {
                call.SetOutcome(ToolCallOutcome.Invalid, "unknown_tool", $"Unknown tool: '{call.ToolName}'.");
                throw new McpProtocolException($"Unknown tool: '{call.ToolName}'.", McpErrorCode.InvalidParams);
            }

            // 2. Validate arguments; an invalid call never reaches the tool.
            var services = request.Services ?? call.HttpContext?.RequestServices ?? throw new InvalidOperationException("The MCP request has no service provider.");
            var validation = await tool.Arguments.ValidateAsync(request.Params?.Arguments, services, cancellationToken).ConfigureAwait(false);
            call.BoundArguments = validation.Values;
            if (!validation.IsValid)
            {
                return Invalid(call, validation.Errors);
            }

            // 3. Invoke.
            return await InvokeToolAsync(call, request, next, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            call.SetOutcome(ToolCallOutcome.Cancelled, "cancelled", "The call was cancelled.");
            throw;
        }
        finally
        {
            _completion.Complete(call);
        }
    }

    private async ValueTask<CallToolResult> InvokeToolAsync(ToolCall call, RequestContext<CallToolRequestParams> request, McpRequestHandler<CallToolRequestParams, CallToolResult> next, CancellationToken cancellationToken)
    {
        CallToolResult result;

        // A call still running when the drain timeout expires is cancelled, so shutdown cannot hang on it.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.DrainExpired);
        try
        {
            result = await next(request, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            call.SetOutcome(ToolCallOutcome.Cancelled, "cancelled", "The call was cancelled.");
            throw;
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            var cancelled = Failed(call, "shutdown", "The call was cancelled because the service is shutting down; retry it.");
            call.SetOutcome(ToolCallOutcome.Cancelled, "shutdown", "The call was cancelled because the service is shutting down; retry it.");
            return cancelled;
        }
        catch (McpProtocolException ex)
        {
            call.Exception = ex;
            call.SetOutcome(ToolCallOutcome.Failed, "protocol_error", ex.Message);
            throw;
        }
        catch (InputRequiredException)
        {
            // Multi round-trip request (2026-07-28): the SDK answers with an input request; the call is not finished.
            throw;
        }
        catch (ToolException ex)
        {
            call.Exception = ex;
            return Failed(call, ex.ErrorCode, ex.Message);
        }
        catch (FluentValidation.ValidationException ex)
        {
            call.Exception = ex;
            return Invalid(call, ex.Errors.Select(e => new ArgumentError(string.IsNullOrEmpty(e.PropertyName) ? call.ToolName : e.PropertyName, e.ErrorMessage)).ToArray());
        }
        catch (System.ComponentModel.DataAnnotations.ValidationException ex)
        {
            call.Exception = ex;
            var members = ex.ValidationResult.MemberNames.DefaultIfEmpty(call.ToolName);
            return Invalid(call, members.Select(m => new ArgumentError(m, ex.ValidationResult.ErrorMessage ?? ex.Message)).ToArray());
        }
        catch (McpException ex)
        {
            // The SDK's convention: an McpException's message is meant for the caller.
            call.Exception = ex;
            return Failed(call, ToolException.DefaultErrorCode, ex.Message);
        }
        catch (Exception ex)
        {
            call.Exception = ex;
            LogToolFailed(_logger, ex, call.ToolName, call.Id);
            return Failed(call, "internal_error", $"The tool '{call.ToolName}' failed unexpectedly. Reference: {call.Id}.");
        }

        call.Result = result;
        if (result.IsError == true)
        {
            call.SetOutcome(ToolCallOutcome.Failed, ToolException.DefaultErrorCode, FirstText(result));
        }

        return result;
    }

    private ValueTask<ListToolsResult> ListAsync(
        RequestContext<ListToolsRequestParams> request,
        McpRequestHandler<ListToolsRequestParams, ListToolsResult> next,
        CancellationToken cancellationToken)
    {
        var pending = next(request, cancellationToken);
        return pending.IsCompletedSuccessfully ? new ValueTask<ListToolsResult>(Order(pending.Result)) : Await(pending);

        static async ValueTask<ListToolsResult> Await(ValueTask<ListToolsResult> pending) => Order(await pending.ConfigureAwait(false));

        static ListToolsResult Order(ListToolsResult result)
        {
            if (result.Tools is List<Tool> list && list.Count > 1)
            {
                list.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            }

            return result;
        }
    }

    private static CallToolResult Failed(ToolCall call, string errorCode, string message)
    {
        call.SetOutcome(ToolCallOutcome.Failed, errorCode, message);
        var result = new CallToolResult
        {
            IsError = true,
            Content = [new TextContentBlock { Text = message }],
        };
        call.Result = result;
        return result;
    }

    private static CallToolResult Invalid(ToolCall call, IReadOnlyList<ArgumentError> errors)
    {
        var text = new StringBuilder("Invalid arguments for tool '").Append(call.ToolName).Append("':");
        var array = new JsonArray();
        foreach (var error in errors)
        {
            text.Append("\n- ").Append(error.Field).Append(": ").Append(error.Message);
            array.Add(new JsonObject { ["field"] = error.Field, ["message"] = error.Message });
        }

        var message = text.ToString();
        call.SetOutcome(ToolCallOutcome.Invalid, "invalid_arguments", message);
        var result = new CallToolResult
        {
            IsError = true,
            Content = [new TextContentBlock { Text = message }],
        };

        // structuredContent must conform to a declared output schema (clients validate it even on errors), so a tool with an
        // output schema carries the same errors in _meta instead.
        if (call.Tool?.ProtocolTool.OutputSchema is null)
        {
            result.StructuredContent = JsonSerializer.SerializeToElement(new JsonObject { ["errors"] = array }, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonObject)));
        }
        else
        {
            result.Meta = new JsonObject { [ValidationErrorsMetaKey] = array };
        }
        call.Result = result;
        return result;
    }

    private static string? FirstText(CallToolResult result) =>
        result.Content.OfType<TextContentBlock>().FirstOrDefault()?.Text;

    [LoggerMessage(20, LogLevel.Error, "Tool '{Tool}' failed (reference {Reference}); the caller received a generic error.")]
    private static partial void LogToolFailed(ILogger logger, Exception exception, string tool, string reference);
}
