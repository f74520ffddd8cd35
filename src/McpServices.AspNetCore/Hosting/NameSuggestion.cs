namespace McpServices.AspNetCore;

/// <summary>
/// "Did you mean": the declared name closest to a misspelled one — a configuration key, an API key entry's member, a tool's
/// argument or an argument's member.
/// </summary>
internal static class NameSuggestion
{
    /// <summary>The longest name whose table of edit distances is kept on the stack (two rows of this many entries and one).</summary>
    public const int MaxStackLength = 256;

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
