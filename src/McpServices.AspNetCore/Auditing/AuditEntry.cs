using System.Text.Json;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore;

/// <summary>
/// What the audit trail keeps of a completed call: captured on the request thread (cheap reference copies), turned into JSON,
/// hashed and chained by the background writer. It never holds the <c>HttpContext</c>.
/// </summary>
internal sealed class AuditEntry
{
    public required string Id { get; init; }

    public required DateTimeOffset Time { get; init; }

    public required CallerIdentity Caller { get; init; }

    public string? UserAgent { get; init; }

    public string? JsonRpcId { get; init; }

    public string? ProtocolVersion { get; init; }

    public string? TraceId { get; init; }

    public string? SpanId { get; init; }

    public required string Tool { get; init; }

    public string? ToolVersion { get; init; }

    public ToolDescriptor? Descriptor { get; init; }

    public IDictionary<string, JsonElement>? Arguments { get; init; }

    public required ToolCallOutcome Outcome { get; init; }

    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    public IReadOnlyList<ArgumentError>? ArgumentErrors { get; init; }

    public bool ArgumentErrorsRaisedByTool { get; init; }

    public required double DurationMs { get; init; }

    public CallToolResult? Result { get; init; }

    public static AuditEntry From(ToolCall call, string serviceVersion)
    {
        var http = call.HttpContext;
        var activity = call.Activity;
        return new AuditEntry
        {
            Id = call.Id,
            Time = call.StartedAt,
            Caller = call.Caller,
            UserAgent = http?.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null,
            JsonRpcId = call.JsonRpcId,
            ProtocolVersion = http?.Request.Headers[McpHeaders.ProtocolVersion].ToString() is { Length: > 0 } v ? v : null,
            TraceId = activity?.TraceId.ToHexString(),
            SpanId = activity?.SpanId.ToHexString(),
            Tool = call.ToolName,
            ToolVersion = call.Tool is null ? null : serviceVersion,
            Descriptor = call.Tool,
            Arguments = call.RawArguments,
            Outcome = call.Outcome,
            ErrorCode = call.Outcome == ToolCallOutcome.Succeeded ? null : call.ErrorCode,
            ErrorMessage = call.Outcome == ToolCallOutcome.Succeeded ? null : call.ErrorMessage,
            ArgumentErrors = call.Outcome == ToolCallOutcome.Invalid ? call.ArgumentErrors : null,
            ArgumentErrorsRaisedByTool = call.ArgumentErrorsRaisedByTool,
            DurationMs = call.Duration.TotalMilliseconds,
            Result = call.Result,
        };
    }
}
