namespace McpServices.AspNetCore;

/// <summary>The Streamable HTTP transport's headers that McpServices reads (the SDK's own constants are internal).</summary>
internal static class McpHeaders
{
    public const string ProtocolVersion = "MCP-Protocol-Version";
    public const string SessionId = "Mcp-Session-Id";

    /// <summary>The method of a 2026-07-28 request, which must match its body's.</summary>
    public const string Method = "Mcp-Method";

    /// <summary>The tool or prompt name (or resource URI) of a 2026-07-28 request, base64-encoded when it is not plain ASCII.</summary>
    public const string Name = "Mcp-Name";
}
