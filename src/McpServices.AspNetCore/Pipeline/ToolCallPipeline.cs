using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
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
/// HTTP stage (McpRequestGate): Host/Origin → content type → body limit → authentication (401) → draining (503) → scopes (403)
/// MCP stage (this class):      [observe] → resolve tool → authorize (disabled, roles, policies with typed arguments)
///                              → rate limit → validate arguments → invoke → [observe: audit + metrics, whatever the outcome]
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
    private readonly ToolAuthorizer _authorizer;
    private readonly ToolRateLimiter _rateLimiter;
    private readonly ShutdownCoordinator _shutdown;
    private readonly IHttpContextAccessor _httpContextAccessor;
    private readonly ToolCallCompletion _completion;
    private readonly McpServiceSettings _settings;
    private readonly ILogger _logger;

    public ToolCallPipeline(
        ToolCatalog catalog,
        ToolAuthorizer authorizer,
        ToolRateLimiter rateLimiter,
        ShutdownCoordinator shutdown,
        IHttpContextAccessor httpContextAccessor,
        ToolCallCompletion completion,
        McpServiceSettings settings,
        ILogger<ToolCallPipeline> logger)
    {
        _settings = settings;
        _catalog = catalog;
        _authorizer = authorizer;
        _rateLimiter = rateLimiter;
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
        AnonymousCaller.Ensure(request);
        _shutdown.Track(call);
        try
        {
            // 1. Resolve the tool.
            var tool = _catalog.Find(call.ToolName);
            call.Tool = tool;
            if (tool is null)
            {
                var httpContext = call.HttpContext;
                var suggestion = await _authorizer.SuggestToolAsync(call.ToolName, CallerOf(request, httpContext), request.User, request.Services ?? httpContext?.RequestServices).ConfigureAwait(false);
                var message = ToolCatalog.UnknownToolMessage(call.ToolName, suggestion);
                call.SetOutcome(ToolCallOutcome.Invalid, "unknown_tool", message);
                throw new McpProtocolException(message, McpErrorCode.InvalidParams);
            }

            var services = request.Services ?? call.HttpContext?.RequestServices ?? throw new InvalidOperationException("The MCP request has no service provider.");

            // 2. Authorize: configuration may disable the tool; roles and policies see the typed arguments.
            //    (Authentication and scopes were checked at the HTTP stage, where they can be answered with 401/403.)
            var access = _authorizer.GetAccess(tool);
            if (access.Disabled)
            {
                throw Refuse(call, ToolCallOutcome.Denied, "tool_disabled", McpServiceErrorCodes.Forbidden, $"The tool '{tool.Name}' is disabled on this service.");
            }

            if (access.Policy is not null && !access.AllowAnonymous && _authorizer.AuthenticationEnabled)
            {
                // A policy that judges the typed arguments cannot judge arguments that are missing or of the wrong type: those
                // are answered as invalid first (the input schema, which tools/list shows, decides them; no validator runs yet).
                var binding = tool.Arguments.Bind(request.Params?.Arguments);
                if (binding.Errors.Count > 0)
                {
                    return Invalid(call, binding.Errors);
                }

                UseNormalizedArguments(request, binding.NormalizedArguments);

                AuthorizationResult authorization;
                try
                {
                    authorization = await _authorizer.AuthorizeAsync(request.User!, access, McpToolInvocationFactory.ForCall(tool, request.Params?.Arguments, services)).ConfigureAwait(false);
                }
                catch (McpToolArgumentException ex)
                {
                    return Invalid(call, [new ArgumentError(ex.ArgumentName, $"The value of {ex.ArgumentName} has the wrong type.")]);
                }

                if (!authorization.Succeeded)
                {
                    throw Refuse(call, ToolCallOutcome.Denied, "forbidden", McpServiceErrorCodes.Forbidden, ToolAuthorizer.RefusalMessage($"call the tool '{tool.Name}'", authorization));
                }
            }

            // 3. Rate limit per caller and tool.
            if (_rateLimiter.TryAcquire(tool.Name, call.Caller) is { } retryAfter)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                var refusal = Refuse(call, ToolCallOutcome.RateLimited, "rate_limited", McpServiceErrorCodes.RateLimited, $"Rate limit exceeded for the tool '{tool.Name}'; retry after {seconds} second(s).");
                refusal.Data["retryAfterSeconds"] = seconds;
                throw refusal;
            }

            // 4. Validate arguments; an invalid call never reaches the tool.
            var validation = await tool.Arguments.ValidateAsync(request.Params?.Arguments, services, cancellationToken).ConfigureAwait(false);
            call.BoundArguments = validation.Values;
            if (!validation.IsValid)
            {
                return Invalid(call, validation.Errors);
            }

            UseNormalizedArguments(request, validation.NormalizedArguments);

            // 5. Invoke.
            return await InvokeToolAsync(call, request, next, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            call.SetOutcome(ToolCallOutcome.Cancelled, "cancelled", "The call was cancelled.");
            throw;
        }
        catch (Exception ex) when (call.Outcome == ToolCallOutcome.Succeeded)
        {
            // A stage before the tool failed unexpectedly: an authorization handler, a validator or a service they depend on
            // threw. Every deliberate refusal has set its outcome already; this one must not be recorded as a success, and the
            // caller gets the same safe answer as for a failing tool, not the SDK's message.
            call.Exception = ex;
            LogCallFailed(_logger, ex, call.ToolName, call.Id);
            return Failed(call, "internal_error", $"The call to the tool '{call.ToolName}' failed unexpectedly. Reference: {call.Id}.");
        }
        finally
        {
            _shutdown.Untrack(call);
            _completion.Complete(call);
        }
    }

    /// <summary>The SDK's answer (ModelContextProtocol 2.4.0) to an input-required result it can neither return nor resolve.</summary>
    private const string InputRequiredUnsupported =
        "A tool handler returned an incomplete result, but the server is stateless and the client does not support MRTR. MRTR-native tools require either an MRTR-capable client or a stateful server for backward-compatible resolution.";

    private async ValueTask<CallToolResult> InvokeToolAsync(ToolCall call, RequestContext<CallToolRequestParams> request, McpRequestHandler<CallToolRequestParams, CallToolResult> next, CancellationToken cancellationToken)
    {
        CallToolResult result;

        // A call still running when the drain timeout expires is cancelled, so shutdown cannot hang on it; so is one that
        // outlives its time limit: McpService:Timeouts, or the application's request timeout when that is shorter (counted, as
        // the middleware counts it, from the start of the request).
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.DrainExpired);
        var timeout = _settings.Current.Timeouts.For(call.ToolName);
        var remaining = timeout;
        if (call.HttpContext is { } context && ApplicationRequestTimeout.TakeOver(context) is { } application && (timeout is null || application < timeout))
        {
            timeout = application;
            remaining = application - call.Elapsed;
        }

        if (remaining is { } limit)
        {
            linked.CancelAfter(limit > TimeSpan.Zero ? limit : TimeSpan.Zero);
        }

        try
        {
            result = await next(request, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            call.SetOutcome(ToolCallOutcome.Cancelled, "cancelled", "The call was cancelled.");
            throw;
        }
        catch (OperationCanceledException) when (_shutdown.DrainExpired.IsCancellationRequested)
        {
            return Cancelled(call, "shutdown", "The call was cancelled because the service is shutting down; retry it.");
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            return Cancelled(call, "timeout", $"The tool '{call.ToolName}' did not finish within its time limit ({timeout:c}) and was cancelled.");
        }
        catch (McpProtocolException ex) when (ex.ErrorCode == McpErrorCode.InvalidParams)
        {
            // The tool refused what the client sent (for example an altered requestState): the client's error, not the tool's.
            call.Exception = ex;
            call.SetOutcome(ToolCallOutcome.Invalid, "invalid_params", ex.Message);
            throw;
        }
        catch (McpProtocolException ex)
        {
            call.Exception = ex;
            call.SetOutcome(ToolCallOutcome.Failed, "protocol_error", ex.Message);
            throw;
        }
        catch (InputRequiredException ex)
        {
            // Multi round-trip request (2026-07-28): the SDK answers with the input requests; the client retries the call.
            var keys = ex.Result.InputRequests is { Count: > 0 } requests ? string.Join(", ", requests.Keys) : "(state only)";
            if (!request.Server.IsMrtrSupported)
            {
                // A client before 2026-07-28 on a stateless service: the SDK can neither return the input requests nor ask the
                // client for them, and answers the call with an error (−32603). The record says what the client received.
                call.SetOutcome(ToolCallOutcome.Failed, "input_required_unsupported", InputRequiredUnsupported);
                throw;
            }

            call.SetOutcome(ToolCallOutcome.InputRequired, "input_required", $"Input requested: {keys}.");
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
            return Invalid(call, ex.Errors.Select(e => new ArgumentError(string.IsNullOrEmpty(e.PropertyName) ? call.ToolName : e.PropertyName, e.ErrorMessage)).ToArray(), raisedByTool: true);
        }
        catch (System.ComponentModel.DataAnnotations.ValidationException ex)
        {
            call.Exception = ex;
            var members = ex.ValidationResult.MemberNames.DefaultIfEmpty(call.ToolName);
            return Invalid(call, members.Select(m => new ArgumentError(m, ex.ValidationResult.ErrorMessage ?? ex.Message)).ToArray(), raisedByTool: true);
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

    /// <summary>
    /// <c>tools/list</c> shows each caller only the tools it may call, ordered by name. A tool in the SDK's collection that the
    /// service did not register (one added to the options while it runs) is not shown either: McpServices has not described it
    /// (its arguments, scopes, audit redaction), so its calls are refused as unknown.
    /// </summary>
    private async ValueTask<ListToolsResult> ListAsync(
        RequestContext<ListToolsRequestParams> request,
        McpRequestHandler<ListToolsRequestParams, ListToolsResult> next,
        CancellationToken cancellationToken)
    {
        var result = await next(request, cancellationToken).ConfigureAwait(false);
        var tools = result.Tools;
        var httpContext = _httpContextAccessor.HttpContext;
        var caller = CallerOf(request, httpContext);
        var user = request.User ?? new ClaimsPrincipal(new ClaimsIdentity());
        for (var i = tools.Count - 1; i >= 0; i--)
        {
            if (_catalog.Find(tools[i].Name) is not { } tool || !await _authorizer.IsVisibleAsync(tool, caller, user, request.Services ?? httpContext?.RequestServices).ConfigureAwait(false))
            {
                tools.RemoveAt(i);
            }
        }

        if (tools is List<Tool> list && list.Count > 1)
        {
            list.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        }

        return result;
    }

    /// <summary>The caller of an MCP request: from its HTTP request when there is one, else from the SDK's user.</summary>
    private static CallerIdentity CallerOf<TParams>(RequestContext<TParams> request, HttpContext? httpContext) =>
        httpContext is not null ? CallerIdentity.Of(httpContext) : CallerIdentity.Create(request.User, null);

    private static McpProtocolException Refuse(ToolCall call, ToolCallOutcome outcome, string errorCode, int rpcCode, string message)
    {
        call.SetOutcome(outcome, errorCode, message);
        return new McpProtocolException(message, (McpErrorCode)rpcCode);
    }

    /// <summary>The service cancelled the running tool: an error result for the caller, recorded as cancelled.</summary>
    private static CallToolResult Cancelled(ToolCall call, string errorCode, string message)
    {
        var result = Failed(call, errorCode, message);
        call.SetOutcome(ToolCallOutcome.Cancelled, errorCode, message);
        return result;
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

    /// <summary>
    /// Gives the tool (and the policies after binding) the arguments as they were read, when one had to be rewritten (<c>3.0</c> for an
    /// integer as <c>3</c>); the call's record keeps the arguments as the caller sent them.
    /// </summary>
    private static void UseNormalizedArguments(RequestContext<CallToolRequestParams> request, IDictionary<string, JsonElement>? normalized)
    {
        if (normalized is not null && request.Params is { } parameters)
        {
            parameters.Arguments = normalized;
        }
    }

    private static CallToolResult Invalid(ToolCall call, IReadOnlyList<ArgumentError> errors, bool raisedByTool = false)
    {
        var array = new JsonArray();
        foreach (var error in errors)
        {
            array.Add(new JsonObject { ["field"] = error.Field, ["message"] = error.Message });
        }

        var message = ArgumentError.Describe(call.ToolName, errors);
        call.SetOutcome(ToolCallOutcome.Invalid, "invalid_arguments", message);
        call.ArgumentErrors = errors;
        call.ArgumentErrorsRaisedByTool = raisedByTool;
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

    [LoggerMessage(21, LogLevel.Error, "A call to tool '{Tool}' failed before the tool ran (reference {Reference}): an authorization handler, validator or service they use threw; the caller received a generic error.")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, string tool, string reference);
}
