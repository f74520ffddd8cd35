using ModelContextProtocol.AspNetCore;

namespace McpServices.AspNetCore;

/// <summary>The MCP protocol versions the endpoint serves (ModelContextProtocol.AspNetCore 2.4.0), by session mode.</summary>
internal static class McpProtocolVersions
{
    /// <summary>The version of multi round-trip requests and <c>server/discover</c>, served only without sessions.</summary>
    public const string Mrtr = "2026-07-28";

    private static readonly string[] Initialize = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
    private static readonly string[] All = [.. Initialize, Mrtr];

    /// <summary>The versions served in <paramref name="mode"/>: a fully stateful service refuses 2026-07-28, which has no sessions.</summary>
    public static IReadOnlyList<string> Served(HttpServerSessionMode mode) => mode == HttpServerSessionMode.Stateful ? Initialize : All;
}
