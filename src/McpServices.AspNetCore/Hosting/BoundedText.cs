namespace McpServices.AspNetCore;

/// <summary>
/// Text a caller sent, as the service repeats it — in an error message or an audit record: whole up to a length, else cut there
/// with how much was left out (<c>…[N more characters]</c>). A caller's name or header may be a megabyte long.
/// </summary>
internal static class BoundedText
{
    /// <summary>The longest tool or prompt name an error message quotes whole: the longest tool name MCP allows (128 characters).</summary>
    public const int MaxNameLength = 128;

    /// <summary><paramref name="value"/> whole up to <paramref name="max"/> characters, else cut there (never inside a surrogate pair).</summary>
    public static string? Cut(string? value, int max)
    {
        if (value is null || value.Length <= max)
        {
            return value;
        }

        var cut = char.IsHighSurrogate(value[max - 1]) ? max - 1 : max;
        return string.Concat(value.AsSpan(0, cut), $"…[{value.Length - cut} more characters]");
    }
}
