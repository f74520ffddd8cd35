using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// Audits the <c>tools/call</c> requests that the application's own middleware answers or fails on before they reach the MCP
/// endpoint — a global rate limiter, an authorization policy chained onto <c>MapMcpService()</c>, an HTTPS redirection, an
/// exception, ASP.NET Core's host filtering (<c>AllowedHosts</c>) —, which the HTTP stage never sees. The outermost middleware
/// (the first startup filter); for other requests it only compares the end of the path.
/// </summary>
internal sealed class ApplicationRefusals(IOptions<McpServiceOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var path = new PathString(options.Value.Path);
        var gate = app.ApplicationServices.GetRequiredService<McpRequestGate>();
        app.Use(async (context, nextMiddleware) =>
        {
            if (!HttpMethods.IsPost(context.Request.Method) || !EndsWithMcpPath(context.Request.Path, path, out var atMcpPath))
            {
                await nextMiddleware(context).ConfigureAwait(false);
                return;
            }

            ExceptionDispatchInfo? failure = null;
            try
            {
                await nextMiddleware(context).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }

            // Under a path base (app.UsePathBase, a forwarded prefix) the request's path here is the prefixed one: only a call that
            // routing matched to the MCP endpoint is this service's; one refused before routing cannot be told from another POST.
            if (!context.Items.ContainsKey(McpRequestGate.ReachedItemKey)
                && (atMcpPath || context.GetEndpoint()?.Metadata.GetMetadata<McpServiceEndpoints.McpEndpointMetadata>() is not null))
            {
                await gate.RecordAnsweredByApplicationAsync(context, failed: failure is not null).ConfigureAwait(false);
            }

            failure?.Throw();
        });
        next(app);
    };

    /// <summary>
    /// Whether the path ends with the MCP path, as routing matches it (whatever the case, with or without a trailing slash);
    /// <paramref name="exact"/> when it is the MCP path itself, not a prefixed one.
    /// </summary>
    private static bool EndsWithMcpPath(PathString requestPath, PathString mcpPath, out bool exact)
    {
        var value = requestPath.Value.AsSpan();
        if (value.Length > 1 && value[^1] == '/')
        {
            value = value[..^1];
        }

        var mcp = mcpPath.Value.AsSpan();
        exact = value.Equals(mcp, StringComparison.OrdinalIgnoreCase);
        return exact || (value.Length > mcp.Length && value.EndsWith(mcp, StringComparison.OrdinalIgnoreCase));
    }
}
