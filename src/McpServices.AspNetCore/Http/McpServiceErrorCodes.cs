namespace McpServices.AspNetCore;

/// <summary>
/// JSON-RPC error codes McpServices returns, in the range the JSON-RPC specification reserves for implementations
/// (-32000 to -32099). Every code is listed with its meaning and HTTP status in <c>docs/errors.md</c>.
/// </summary>
public static class McpServiceErrorCodes
{
    /// <summary>The caller is not authenticated; sent with HTTP 401 and a <c>WWW-Authenticate</c> challenge.</summary>
    public const int Unauthenticated = -32040;

    /// <summary>The caller is authenticated but may not call this tool (role, policy or a disabled tool), or use this prompt or resource (role or policy).</summary>
    public const int Forbidden = -32041;

    /// <summary>
    /// The caller's token lacks scopes the tool, prompt or resource needs; sent with HTTP 403 and an <c>insufficient_scope</c>
    /// challenge. (Not −32042, which MCP 2025-11-25 gave to <see cref="ModelContextProtocol.McpErrorCode.UrlElicitationRequired"/>:
    /// clients would read the refusal as a request to open a URL.)
    /// </summary>
    public const int InsufficientScope = -32046;

    /// <summary>The caller exceeded a rate limit; <c>error.data.retryAfterSeconds</c> says when to retry.</summary>
    public const int RateLimited = -32043;

    /// <summary>The service cannot take new tool calls right now (shutting down, or the audit trail is unavailable); sent with HTTP 503.</summary>
    public const int Unavailable = -32044;

    /// <summary>The HTTP request was refused before reaching MCP: bad <c>Origin</c> or <c>Host</c>, body too large, or wrong content type.</summary>
    public const int RequestRejected = -32045;

    /// <summary>JSON-RPC parse error (-32700): the request body is not valid JSON; sent with HTTP 400 and the reader's message.</summary>
    public const int ParseError = -32700;

    /// <summary>JSON-RPC internal error (-32603): an unexpected server failure; the response never carries details.</summary>
    public const int InternalError = -32603;
}
