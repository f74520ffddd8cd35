using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore;

/// <summary>
/// The log levels McpServices sets by default, for categories whose logs say nothing useful for a governed service or say the
/// wrong thing. Any setting of the same category in the application's configuration wins.
/// </summary>
internal static class LogLevelDefaults
{
    public static readonly IReadOnlyList<(string Category, LogLevel Level)> Categories =
    [
        // No per-request log lines on the hot path.
        ("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning),
        ("Microsoft.AspNetCore.Routing", LogLevel.Warning),
        ("ModelContextProtocol", LogLevel.Warning),

        // The SDK logs every JSON-RPC error a handler returns as an unhandled exception. McpServices returns refusals
        // (denied, rate-limited, unknown tool) as JSON-RPC errors on purpose and logs real tool failures itself.
        ("ModelContextProtocol.Server.McpServer", LogLevel.Critical),
    ];

    /// <summary>
    /// For <c>services.AddMcpService()</c>, whose configuration cannot take defaults (a generic host has built it before the
    /// services are added): filter rules added after the configuration's, for the categories it does not set.
    /// </summary>
    public static void AddAsFilterRules(IServiceCollection services) =>
        services.PostConfigure<LoggerFilterOptions>(options =>
        {
            foreach (var (category, level) in Categories)
            {
                if (!options.Rules.Any(r => string.Equals(r.CategoryName, category, StringComparison.OrdinalIgnoreCase)))
                {
                    options.Rules.Add(new LoggerFilterRule(providerName: null, category, level, filter: null));
                }
            }
        });
}
