namespace McpServices.AspNetCore;

/// <summary>
/// Time limits for tool calls (<c>McpService:Timeouts</c>). When a call's limit expires, the tool's
/// <see cref="CancellationToken"/> is cancelled and the caller gets <c>isError: true</c> saying so; the call is audited as
/// <c>cancelled</c> / <c>timeout</c>. Cancellation is cooperative, as everywhere in .NET: a tool that never looks at its token
/// runs to the end, and its result is returned.
/// </summary>
public sealed class McpServiceTimeoutOptions
{
    /// <summary>Gets or sets the limit for tools without their own entry in <see cref="Tools"/>.</summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    public TimeSpan? Default { get; set; }

    /// <summary>
    /// Gets the limits by tool name (in any case, as configuration keys are: <c>MCPSERVICE__TIMEOUTS__TOOLS__ADJUST_STOCK</c>);
    /// <see cref="TimeSpan.Zero"/> exempts a tool from <see cref="Default"/>.
    /// </summary>
    public IDictionary<string, TimeSpan> Tools { get; } = new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The limit for <paramref name="tool"/>, or <see langword="null"/> when it has none.</summary>
    internal TimeSpan? For(string tool) =>
        (Tools.TryGetValue(tool, out var limit) ? limit : Default) is { } value && value > TimeSpan.Zero ? value : null;
}
