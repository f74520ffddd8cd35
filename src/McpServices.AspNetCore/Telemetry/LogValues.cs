namespace McpServices.AspNetCore;

/// <summary>Values from outside the service (a caller's token, a collector's answer) as they may appear in a log line.</summary>
internal static class LogValues
{
    /// <summary><paramref name="value"/> with control characters — a line break that would forge a log line, a terminal escape — as '?'.</summary>
    public static string Printable(string value) => value.Any(char.IsControl) ? string.Concat(value.Select(c => char.IsControl(c) ? '?' : c)) : value;
}
