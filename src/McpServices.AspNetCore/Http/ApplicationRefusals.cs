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
/// (the first startup filter); for other requests it only compares the path.
/// </summary>
internal sealed class ApplicationRefusals(IOptions<McpServiceOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var path = new PathString(options.Value.Path);
        var gate = app.ApplicationServices.GetRequiredService<McpRequestGate>();
        app.Use(async (context, nextMiddleware) =>
        {
            if (!HttpMethods.IsPost(context.Request.Method) || !IsMcpPath(context.Request.Path, path))
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

            if (!context.Items.ContainsKey(McpRequestGate.ReachedItemKey))
            {
                await gate.RecordAnsweredByApplicationAsync(context, failed: failure is not null).ConfigureAwait(false);
            }

            failure?.Throw();
        });
        next(app);
    };

    /// <summary>The MCP path, as routing matches it: whatever the case, with or without a trailing slash.</summary>
    private static bool IsMcpPath(PathString requestPath, PathString mcpPath) =>
        requestPath.StartsWithSegments(mcpPath, StringComparison.OrdinalIgnoreCase, out var rest) && (!rest.HasValue || rest.Value == "/");
}
