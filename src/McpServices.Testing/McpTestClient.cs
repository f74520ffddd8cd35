using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpServices.Testing;

/// <summary>Connects the MCP SDK's real client to a service endpoint over Streamable HTTP.</summary>
public static class McpTestClient
{
    /// <summary>Connects an <see cref="McpClient"/> to <paramref name="endpoint"/>; dispose the client to disconnect.</summary>
    /// <param name="endpoint">The absolute MCP endpoint URL, for example <c>http://127.0.0.1:5123/mcp</c>.</param>
    /// <param name="options">Token, pinned protocol version and headers; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>A connected client.</returns>
    public static Task<McpClient> ConnectAsync(Uri endpoint, McpTestClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= new McpTestClientOptions();
        var headers = new Dictionary<string, string>(options.Headers, StringComparer.OrdinalIgnoreCase);
        if (options.AccessToken is { } token)
        {
            headers["Authorization"] = $"Bearer {token}";
        }

        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = endpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        });

        var clientOptions = new McpClientOptions
        {
            ProtocolVersion = options.ProtocolVersion,
            ClientInfo = new Implementation { Name = options.ClientName, Version = "1.0.0" },
        };
        if (options.Handlers is { } handlers)
        {
            clientOptions.Handlers = handlers;
        }

        return McpClient.CreateAsync(transport, clientOptions, cancellationToken: cancellationToken);
    }
}
