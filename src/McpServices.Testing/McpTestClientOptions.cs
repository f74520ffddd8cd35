using ModelContextProtocol.Client;

namespace McpServices.Testing;

/// <summary>How a test connects its MCP client to a service under test.</summary>
public sealed class McpTestClientOptions
{
    /// <summary>Gets or sets a bearer token sent as <c>Authorization: Bearer …</c>.</summary>
    /// <value>The default value is <see langword="null"/>: no <c>Authorization</c> header.</value>
    public string? AccessToken { get; set; }

    /// <summary>Gets or sets the protocol version the client insists on, for example <c>2025-11-25</c> or <c>2026-07-28</c>.</summary>
    /// <value>The default value is <see langword="null"/>: the SDK client negotiates (it prefers the newest version).</value>
    public string? ProtocolVersion { get; set; }

    /// <summary>Gets extra HTTP headers sent with every request (for example an API key header).</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the client name sent in <c>clientInfo</c>.</summary>
    /// <value>The default value is <c>mcpservices-test</c>.</value>
    public string ClientName { get; set; } = "mcpservices-test";

    /// <summary>
    /// Gets or sets the client's handlers for requests from the service (elicitation, sampling, roots); the client declares the
    /// matching capabilities. On protocol 2026-07-28 they answer the service's input requests (multi round-trip requests).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the client declares no such capability.</value>
    public McpClientHandlers? Handlers { get; set; }
}
