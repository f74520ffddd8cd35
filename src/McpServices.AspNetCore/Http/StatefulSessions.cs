using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// The stateful sessions this instance serves, by id: a session is added when the SDK starts running it and removed when it
/// ends (ended by its client, timed out as idle, or at shutdown). The HTTP stage needs it because the SDK answers a DELETE of a
/// session it does not have with 200, where the Streamable HTTP transport requires 404 for a session that has ended.
/// </summary>
internal sealed class StatefulSessions
{
    private readonly ConcurrentDictionary<string, byte> _live = new(StringComparer.Ordinal);

    public bool Contains(string sessionId) => _live.ContainsKey(sessionId);

    /// <summary>Runs a session through the application's handler, or the SDK's default, while it counts as live.</summary>
    public Func<HttpContext, McpServer, CancellationToken, Task> Track(Func<HttpContext, McpServer, CancellationToken, Task>? inner) =>
        (context, server, cancellationToken) =>
        {
            var run = inner is null ? server.RunAsync(cancellationToken) : inner(context, server, cancellationToken);
            return server.SessionId is { } id ? RunTrackedAsync(id, run) : run; // a stateless request (a session-free protocol) has no id
        };

    private async Task RunTrackedAsync(string id, Task run)
    {
        _live.TryAdd(id, 0);
        try
        {
            await run.ConfigureAwait(false);
        }
        finally
        {
            _live.TryRemove(id, out _);
        }
    }

    /// <summary>Wraps the SDK's session handler in stateful mode only: a stateless request is not a session to track.</summary>
    internal sealed class Setup(StatefulSessions sessions) : IPostConfigureOptions<HttpServerTransportOptions>
    {
        public void PostConfigure(string? name, HttpServerTransportOptions options)
        {
            if (options.SessionMode != HttpServerSessionMode.Stateless)
            {
                // An evaluation API of the SDK (MCPEXP002), and the only public hook that sees a session start and end.
#pragma warning disable MCPEXP002
                options.RunSessionHandler = sessions.Track(options.RunSessionHandler);
#pragma warning restore MCPEXP002
            }
        }
    }
}
