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
    /// <summary>The <c>HttpContext.Items</c> key of a call's reserved place in the audit buffer (<see cref="AuditTrail.TryAdmit"/>).</summary>
    internal const string AuditTicketKey = "McpServices.AuditTicket";

    private readonly long _startTimestamp;
    private int _completed;

    private ToolCall(HttpContext? httpContext, string toolName, string? jsonRpcId, IDictionary<string, JsonElement>? arguments, RequestContext<CallToolRequestParams>? request)
    {
        HttpContext = httpContext;
        Caller = httpContext is not null ? CallerIdentity.Of(httpContext) : CallerIdentity.Create(request?.User, remoteAddress: null);
        ToolName = toolName;
        JsonRpcId = jsonRpcId;
        RawArguments = arguments;
        Request = request;
        Activity = Activity.Current;
        HoldsAuditTicket = httpContext?.Items.Remove(AuditTicketKey) == true;
        StartedAt = DateTimeOffset.UtcNow;
        Id = CallIds.Next(StartedAt);
        _startTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>A copy of a call that is still running, completed as <see cref="ToolCallOutcome.Failed"/> without its result.</summary>
    private ToolCall(ToolCall running, string errorCode, string errorMessage)
    {
        HttpContext = running.HttpContext;
        Caller = running.Caller;
        ToolName = running.ToolName;
        JsonRpcId = running.JsonRpcId;
        RawArguments = running.RawArguments;
        Request = running.Request;
        Activity = running.Activity;
        HoldsAuditTicket = running.HoldsAuditTicket;
        StartedAt = running.StartedAt;
        Id = running.Id;
        Tool = running.Tool;
        _startTimestamp = running._startTimestamp;
        IsUnfinished = true;
        SetOutcome(ToolCallOutcome.Failed, errorCode, errorMessage);
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

    /// <summary>The span the call runs in (the SDK's <c>tools/call</c> span, or the HTTP request's span at the HTTP stage).</summary>
    public Activity? Activity { get; }

    /// <summary>Whether the call took the place in the audit buffer that the HTTP stage reserved for it.</summary>
    public bool HoldsAuditTicket { get; }

    /// <summary>Whether this is the record of a call that was still running when the service stopped (<see cref="Unfinished"/>).</summary>
    public bool IsUnfinished { get; }

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

    /// <summary>
    /// Claims the call's completion: <see langword="true"/> once, for whoever completes it first — the pipeline when the call
    /// returns, or shutdown when the call is still running after its cancellation (<see cref="Unfinished"/>).
    /// </summary>
    public bool TryClaimCompletion() => Interlocked.Exchange(ref _completed, 1) == 0;

    public void Complete() => Duration = Stopwatch.GetElapsedTime(_startTimestamp);

    /// <summary>The time since the call arrived (the HTTP stage).</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTimestamp);

    /// <summary>
    /// What is known of a call that is still running when the service stops: what was asked and by whom, and that it did not
    /// finish. A copy, so that nothing the call's own thread still writes (its outcome, its result) reaches the record.
    /// </summary>
    public ToolCall Unfinished(string errorCode, string errorMessage)
    {
        var copy = new ToolCall(this, errorCode, errorMessage);
        copy.Complete();
        return copy;
    }
}
