using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;

namespace McpServices.AspNetCore;

/// <summary>
/// Gives the MCP SDK's spans the session id clients know. The SDK (2.4.0) tags them <c>mcp.session.id</c> with an id of its own
/// making: a new one for every request of a stateless service, which has no sessions, and for a session one that is not its
/// <c>Mcp-Session-Id</c>, so a session's spans could not be found by the id the client and the server's responses carry. When the
/// span ends the attribute becomes the request's <c>Mcp-Session-Id</c> (the SDK sets it on the response of every request in a
/// session, the first included), or is removed when the request has none. The request is read when the span starts if it can
/// be — a session's span may end after its response has been sent — and else when it ends (a stateless request is handled
/// where the span's start does not see it, and is still in progress when the span ends).
/// </summary>
internal sealed class SessionIdSpanProcessor(IHttpContextAccessor httpContextAccessor) : BaseProcessor<Activity>
{
    private const string SessionIdTag = "mcp.session.id";
    private const string TransportSessionId = "McpServices.TransportSessionId";

    public override void OnStart(Activity data)
    {
        if (data.Source.Name == McpServiceTelemetry.McpSdkSource && httpContextAccessor.HttpContext is { } context)
        {
            data.SetCustomProperty(TransportSessionId, context.Response.Headers[McpHeaders.SessionId].ToString());
        }
    }

    public override void OnEnd(Activity data)
    {
        if (data.Source.Name != McpServiceTelemetry.McpSdkSource || data.GetTagItem(SessionIdTag) is null)
        {
            return;
        }

        var sessionId = data.GetCustomProperty(TransportSessionId) as string ?? httpContextAccessor.HttpContext?.Response.Headers[McpHeaders.SessionId].ToString();
        data.SetTag(SessionIdTag, string.IsNullOrEmpty(sessionId) ? null : sessionId);
    }
}
