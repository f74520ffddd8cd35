using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;

namespace McpServices.AspNetCore;

/// <summary>
/// Gives the MCP SDK's spans the session id clients know. The SDK (2.4.0) tags them <c>mcp.session.id</c> with an id of its own
/// making: a new one for every request of a stateless service, which has no sessions, and for a session one that is not its
/// <c>Mcp-Session-Id</c>, so a session's spans could not be found by the id the client and the server's responses carry. When a
/// span ends, the attribute becomes the request's <c>Mcp-Session-Id</c> (the SDK sets it on the response of every request in a
/// session, the first included), or is removed when the request has none.
/// </summary>
internal sealed class SessionIdSpanProcessor(IHttpContextAccessor httpContextAccessor) : BaseProcessor<Activity>
{
    private const string SessionIdTag = "mcp.session.id";
    private const string SessionIdHeader = "Mcp-Session-Id";

    public override void OnEnd(Activity data)
    {
        if (data.Source.Name != McpServiceTelemetry.McpSdkSource || data.GetTagItem(SessionIdTag) is null)
        {
            return;
        }

        var sessionId = httpContextAccessor.HttpContext?.Response.Headers[SessionIdHeader].ToString();
        data.SetTag(SessionIdTag, string.IsNullOrEmpty(sessionId) ? null : sessionId);
    }
}
