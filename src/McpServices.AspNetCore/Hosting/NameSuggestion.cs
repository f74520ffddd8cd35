namespace McpServices.AspNetCore;

/// <summary>
/// "Did you mean": the declared name closest to a misspelled one — a configuration key, an API key entry's member, a tool's
/// argument or an argument's member.
/// </summary>
internal static class NameSuggestion
{
    /// <summary>The longest name whose table of edit distances is kept on the stack (two rows of this many entries and one).</summary>
    public const int MaxStackLength = 256;

    /// <summary>
    /// The longest tool or prompt name an error message quotes whole: the longest MCP allows (128 characters). A caller's name may
    /// be a megabyte long, and the answer should not echo it.
    /// </summary>
    public const int MaxNameQuoted = 128;

    /// <summary>
    /// <paramref name="name"/> as an error message quotes it: whole up to <paramref name="max"/> characters, else cut there with
    /// how many were left out (<c>…[N more characters]</c>, as audit records cut long values).
    /// </summary>
    public static string? Quoted(string? name, int max = MaxNameQuoted)
    {
        if (name is null || name.Length <= max)
        {
            return name;
        }

        var cut = char.IsHighSurrogate(name[max - 1]) ? max - 1 : max;
        return string.Concat(name.AsSpan(0, cut), $"…[{name.Length - cut} more characters]");
    }

    /// <summary>The known name closest to <paramref name="name"/>, at most two edits away ignoring case; <see langword="null"/> when none is.</summary>
    /// <remarks>Costs the product of the two names' lengths per candidate: callers bound the length of a name a caller sent.</remarks>
    public static string? Closest(string name, IEnumerable<string> known)
    {
        string? closest = null;
        var best = 3;
        foreach (var candidate in known)
        {
            if (Math.Abs(candidate.Length - name.Length) >= best)
            {
                continue; // at least that many edits apart: not closer than the best so far
            }

            var distance = Distance(candidate, name, best);
            if (distance < best)
            {
                (closest, best) = (candidate, distance);
            }
        }

        return closest;
    }

    /// <summary>
    /// Edit distance between two names, ignoring case, when it is below <paramref name="limit"/>; otherwise at least
    /// <paramref name="limit"/>. Two rows of the table, on the stack for names of up to <see cref="MaxStackLength"/> characters, and it stops as soon as
    /// every entry of a row has reached the limit (later rows only grow).
    /// </summary>
    private static int Distance(string a, string b, int limit)
    {
        Span<int> previous = b.Length <= MaxStackLength ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        Span<int> current = b.Length <= MaxStackLength ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            var rowMinimum = i;
            var ai = char.ToUpperInvariant(a[i - 1]);
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (ai == char.ToUpperInvariant(b[j - 1]) ? 0 : 1);
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), substitution);
                rowMinimum = Math.Min(rowMinimum, current[j]);
            }

            if (rowMinimum >= limit)
            {
                return limit;
            }

            var swap = previous;
            previous = current;
            current = swap;
        }

        return previous[b.Length];
    }
}
