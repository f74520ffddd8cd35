namespace McpServices.AspNetCore;

/// <summary>
/// "Did you mean": the declared name closest to a misspelled one — a configuration key, an API key entry's member, a tool's
/// argument or an argument's member.
/// </summary>
internal static class NameSuggestion
{
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

            var distance = Distance(candidate, name);
            if (distance < best)
            {
                (closest, best) = (candidate, distance);
            }
        }

        return closest;
    }

    /// <summary>Edit distance between two names, ignoring case.</summary>
    private static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
