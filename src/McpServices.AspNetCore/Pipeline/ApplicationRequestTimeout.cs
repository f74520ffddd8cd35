using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// The time limit an application's request timeouts (<c>UseRequestTimeouts()</c>) put on a tool call. At that limit the
/// middleware cancels <c>RequestAborted</c>, which ends the SDK's response without an answer (an empty 200: the event stream's
/// headers are already sent, or the SDK completes the response itself). The pipeline takes the limit over instead: the
/// middleware's timer is disabled, and the call is cancelled at the same time and answered like one that outlives
/// <c>McpService:Timeouts</c>.
/// </summary>
internal static class ApplicationRequestTimeout
{
    /// <summary>
    /// Returns the limit the middleware applies to this request, having disabled its timer; null when it applies none. The
    /// limit is chosen as the middleware chooses it (ASP.NET Core 10): the endpoint's policy, its <c>[RequestTimeout]</c>
    /// (a time or a named policy), or the default policy.
    /// </summary>
    public static TimeSpan? TakeOver(HttpContext context)
    {
        // The middleware sets the feature only on requests it puts a timer on.
        if (context.Features.Get<IHttpRequestTimeoutFeature>() is not { } feature
            || context.RequestServices.GetService<IOptionsMonitor<RequestTimeoutOptions>>()?.CurrentValue is not { } options)
        {
            return null;
        }

        var metadata = context.GetEndpoint()?.Metadata;
        var limit = metadata?.GetMetadata<RequestTimeoutPolicy>() is { } policy
            ? policy.Timeout
            : metadata?.GetMetadata<RequestTimeoutAttribute>() is { } attribute
                ? attribute.Timeout ?? (options.Policies.TryGetValue(attribute.PolicyName!, out var named) ? named.Timeout : null)
                : options.DefaultPolicy?.Timeout;
        if (limit is not { } value || value == Timeout.InfiniteTimeSpan)
        {
            return null; // not a limit this code knows how the middleware found: leave the middleware's timer alone
        }

        feature.DisableTimeout();
        return value;
    }
}
