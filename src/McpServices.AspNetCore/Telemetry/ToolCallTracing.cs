using System.Diagnostics;

namespace McpServices.AspNetCore;

/// <summary>
/// Enriches the call's span (<see cref="ToolCall.Activity"/>: the SDK's <c>tools/call &lt;tool&gt;</c> span, or the HTTP request
/// span for calls refused at the HTTP stage) with the caller's identity, the tool version and the outcome.
/// </summary>
internal sealed class ToolCallTracing(ServiceIdentity identity) : IToolCallObserver
{
    public const string ActivitySourceName = "McpServices";

    public void OnCompleted(ToolCall call)
    {
        // An unfinished call is recorded by shutdown, on another thread, while its span is still open on the call's own.
        var activity = call.IsUnfinished ? null : call.Activity;
        if (activity is null || !activity.IsAllDataRequested)
        {
            return;
        }

        var caller = call.Caller;
        activity.SetTag("mcpservices.outcome", call.Outcome.ToWire());
        activity.SetTag("mcpservices.auth.method", caller.AuthenticationMethod);
        if (caller.Subject is not null)
        {
            activity.SetTag("enduser.id", caller.Subject);
        }

        if (caller.ClientId is not null)
        {
            activity.SetTag("mcpservices.client.id", caller.ClientId);
        }

        if (caller.ApiKeyId is not null)
        {
            activity.SetTag("mcpservices.api_key.id", caller.ApiKeyId);
        }

        if (call.Tool is not null)
        {
            // The SDK's span gets gen_ai.tool.name from the SDK, appended when the span ends: set here too, the key would be
            // there twice.
            if (activity.Source.Name != McpServiceTelemetry.McpSdkSource)
            {
                activity.SetTag("gen_ai.tool.name", call.Tool.Name);
            }

            activity.SetTag("mcpservices.tool.version", identity.Version);
        }

        activity.SetTag("mcpservices.audit.id", call.Id);
        if (call.Outcome != ToolCallOutcome.Succeeded)
        {
            activity.SetTag("mcpservices.error.code", call.ErrorCode);
            if (call.Outcome is ToolCallOutcome.Failed)
            {
                activity.SetStatus(ActivityStatusCode.Error, call.ErrorCode);
            }
        }
    }
}
