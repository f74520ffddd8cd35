using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// The state of one <c>tools/call</c> as it passes the pipeline, from the HTTP stage to the tool; read by the audit trail and telemetry
/// when it completes. A call refused at the HTTP stage (401, 403, 503) has no <see cref="Request"/>.
/// </summary>
internal sealed class ToolCall
{
    private readonly long _startTimestamp;

    private ToolCall(HttpContext? httpContext, string toolName, string? jsonRpcId, IDictionary<string, JsonElement>? arguments, RequestContext<CallToolRequestParams>? request)
    {
        HttpContext = httpContext;
        Caller = httpContext is not null ? CallerIdentity.Of(httpContext) : CallerIdentity.Create(request?.User, remoteAddress: null);
        ToolName = toolName;
        JsonRpcId = jsonRpcId;
        RawArguments = arguments;
        Request = request;
        StartedAt = DateTimeOffset.UtcNow;
        Id = CallIds.Next(StartedAt);
        _startTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>A unique, time-ordered id; the audit record's id and the reference returned to callers on unexpected failures.</summary>
    public string Id { get; }

    public RequestContext<CallToolRequestParams>? Request { get; }

    public HttpContext? HttpContext { get; }

    public string ToolName { get; }

    /// <summary>Who is calling.</summary>
    public CallerIdentity Caller { get; }

    /// <summary>The JSON-RPC id as raw JSON (a quoted string or a number).</summary>
    public string? JsonRpcId { get; }

    public ToolDescriptor? Tool { get; set; }

    public IDictionary<string, JsonElement>? RawArguments { get; }

    public IReadOnlyDictionary<string, object?>? BoundArguments { get; set; }

    public DateTimeOffset StartedAt { get; }

    public TimeSpan Duration { get; private set; }

    public ToolCallOutcome Outcome { get; private set; } = ToolCallOutcome.Succeeded;

    /// <summary>A stable error code (for example <c>insufficient_scope</c>, <c>invalid_arguments</c>, or a <see cref="ToolException.ErrorCode"/>).</summary>
    public string? ErrorCode { get; private set; }

    /// <summary>The error message the caller received.</summary>
    public string? ErrorMessage { get; private set; }

    public CallToolResult? Result { get; set; }

    /// <summary>The invalid arguments, when the outcome is <see cref="ToolCallOutcome.Invalid"/> for them (the audit record hides the
    /// messages of sensitive fields).</summary>
    public IReadOnlyList<ArgumentError>? ArgumentErrors { get; set; }

    /// <summary>Whether the tool itself threw the validation exception: its fields are the validator's names, not argument paths.</summary>
    public bool ArgumentErrorsRaisedByTool { get; set; }

    public Exception? Exception { get; set; }

    public static ToolCall FromRequest(RequestContext<CallToolRequestParams> request, HttpContext? httpContext)
    {
        var id = request.JsonRpcRequest.Id.Id switch
        {
            string s => JsonSerializer.Serialize(s),
            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            null => null,
            var other => other.ToString(),
        };
        return new ToolCall(httpContext, request.Params?.Name ?? string.Empty, id, request.Params?.Arguments, request);
    }

    public static ToolCall FromEnvelope(JsonRpcEnvelope envelope, ReadOnlySpan<byte> body, HttpContext httpContext) =>
        new(httpContext, envelope.Name ?? string.Empty, envelope.Id, envelope.ReadArguments(body), request: null);

    public void SetOutcome(ToolCallOutcome outcome, string? errorCode = null, string? errorMessage = null)
    {
        Outcome = outcome;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
    }

    public void Complete() => Duration = Stopwatch.GetElapsedTime(_startTimestamp);
}
