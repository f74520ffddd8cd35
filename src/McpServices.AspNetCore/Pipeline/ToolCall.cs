using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>The state of one <c>tools/call</c> as it passes the pipeline; read by the audit trail and telemetry when it completes.</summary>
internal sealed class ToolCall
{
    private readonly long _startTimestamp;

    public ToolCall(RequestContext<CallToolRequestParams> request, HttpContext? httpContext)
    {
        Request = request;
        HttpContext = httpContext;
        ToolName = request.Params?.Name ?? string.Empty;
        Id = Guid.CreateVersion7().ToString("N");
        StartedAt = DateTimeOffset.UtcNow;
        _startTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>A unique, time-ordered id; the audit record's id and the reference returned to callers on unexpected failures.</summary>
    public string Id { get; }

    public RequestContext<CallToolRequestParams> Request { get; }

    public HttpContext? HttpContext { get; }

    public string ToolName { get; }

    public ToolDescriptor? Tool { get; set; }

    public IDictionary<string, JsonElement>? RawArguments => Request.Params?.Arguments;

    public IReadOnlyDictionary<string, object?>? BoundArguments { get; set; }

    public DateTimeOffset StartedAt { get; }

    public TimeSpan Duration { get; private set; }

    public ToolCallOutcome Outcome { get; private set; } = ToolCallOutcome.Succeeded;

    /// <summary>A stable error code (for example <c>insufficient_scope</c>, <c>invalid_arguments</c>, or a <see cref="ToolException.ErrorCode"/>).</summary>
    public string? ErrorCode { get; private set; }

    /// <summary>The error message the caller received.</summary>
    public string? ErrorMessage { get; private set; }

    public CallToolResult? Result { get; set; }

    public Exception? Exception { get; set; }

    public void SetOutcome(ToolCallOutcome outcome, string? errorCode = null, string? errorMessage = null)
    {
        Outcome = outcome;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
    }

    public void Complete() => Duration = Stopwatch.GetElapsedTime(_startTimestamp);
}
