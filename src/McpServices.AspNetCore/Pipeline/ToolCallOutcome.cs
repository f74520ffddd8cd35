namespace McpServices.AspNetCore;

/// <summary>How a <c>tools/call</c> ended. Every call has exactly one outcome, recorded in the audit trail and telemetry.</summary>
internal enum ToolCallOutcome
{
    /// <summary>The tool ran and returned a result.</summary>
    Succeeded,

    /// <summary>The tool ran and failed (an exception, or a result with <c>isError: true</c>).</summary>
    Failed,

    /// <summary>The caller was not authenticated or not authorized; the tool did not run.</summary>
    Denied,

    /// <summary>The caller exceeded a rate limit; the tool did not run.</summary>
    RateLimited,

    /// <summary>The arguments (or the tool name) were invalid; the tool did not run.</summary>
    Invalid,

    /// <summary>The call was cancelled by the client or by shutdown.</summary>
    Cancelled,

    /// <summary>The tool asked the client for input (a multi round-trip request); the client retries the call with the answers.</summary>
    InputRequired,

    /// <summary>The service could not accept the call (shutting down, or audit unavailable); the tool did not run.</summary>
    Unavailable,
}

internal static class ToolCallOutcomeNames
{
    public static string ToWire(this ToolCallOutcome outcome) => outcome switch
    {
        ToolCallOutcome.Succeeded => "succeeded",
        ToolCallOutcome.Failed => "failed",
        ToolCallOutcome.Denied => "denied",
        ToolCallOutcome.RateLimited => "rate_limited",
        ToolCallOutcome.Invalid => "invalid",
        ToolCallOutcome.Cancelled => "cancelled",
        ToolCallOutcome.Unavailable => "unavailable",
        ToolCallOutcome.InputRequired => "input_required",
        _ => "unknown",
    };
}
