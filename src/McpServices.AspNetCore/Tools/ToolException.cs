using ModelContextProtocol;

namespace McpServices.AspNetCore;

/// <summary>
/// Thrown by a tool to fail a call with a message meant for the caller. The call's result is <c>isError: true</c>
/// with exactly this message; the audit record carries <see cref="ErrorCode"/>.
/// Any other exception from a tool is reported to the caller as a generic failure with a reference id, never with its message or stack trace.
/// </summary>
/// <example>
/// <code>
/// if (stock &lt; quantity) throw new ToolException($"Only {stock} units of {sku} are in stock.", "insufficient_stock");
/// </code>
/// </example>
public class ToolException : McpException
{
    /// <summary>The error code used when none is given: <c>tool_error</c>.</summary>
    public const string DefaultErrorCode = "tool_error";

    /// <summary>Initializes a new instance with a message for the caller.</summary>
    /// <param name="message">The message returned to the caller. It must not contain secrets or internal details.</param>
    public ToolException(string message)
        : this(message, DefaultErrorCode)
    {
    }

    /// <summary>Initializes a new instance with a message for the caller and a stable, machine-readable error code.</summary>
    /// <param name="message">The message returned to the caller. It must not contain secrets or internal details.</param>
    /// <param name="errorCode">A stable code such as <c>insufficient_stock</c>, recorded in the audit trail and telemetry.</param>
    public ToolException(string message, string errorCode)
        : base(message)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(errorCode);
        ErrorCode = errorCode;
    }

    /// <summary>Initializes a new instance with a message for the caller and the exception that caused it (logged, never returned).</summary>
    /// <param name="message">The message returned to the caller. It must not contain secrets or internal details.</param>
    /// <param name="errorCode">A stable code such as <c>upstream_unavailable</c>.</param>
    /// <param name="innerException">The cause, written to the service log only.</param>
    public ToolException(string message, string errorCode, Exception? innerException)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(errorCode);
        ErrorCode = errorCode;
    }

    /// <summary>Gets the stable, machine-readable error code.</summary>
    public string ErrorCode { get; }
}
