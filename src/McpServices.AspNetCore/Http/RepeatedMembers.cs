using System.Text;
using System.Text.Json;

namespace McpServices.AspNetCore;

/// <summary>
/// Finds a member given twice in one object of a JSON value (a tool's or a prompt's arguments), reading it forward once.
/// </summary>
/// <remarks>
/// JSON leaves duplicate names to the parser: System.Text.Json, and so the SDK, the argument binding and the policies that read
/// typed arguments, keep the last copy; other parsers keep the first or fail. A gateway in front of the service that inspects
/// arguments, or whoever reads the audit record (which keeps the arguments as sent), could then see one value while the tool
/// runs with another — <c>{"warehouse":"ams-1","warehouse":"ber-1"}</c>. I-JSON (RFC 7493) forbids such objects, so the HTTP
/// stage refuses them, as it refuses the envelope's own members given twice. Names compare after unescaping
/// (<c>"w\u0061rehouse"</c> is <c>warehouse</c>), exactly (case matters: <c>Warehouse</c> is another member in JSON).
/// Allocation-free for what clients send: names are compared in place in the body, and only escaped names become strings;
/// objects with many members switch from pairwise comparison to a set.
/// </remarks>
internal static class RepeatedMembers
{
    /// <summary>Beyond this many members, an object's names go into a set instead of being compared with each other.</summary>
    private const int LinearLimit = 32;

    /// <summary>The longest name a message shows; a caller's name may be a megabyte long.</summary>
    private const int MaxNameShown = 64;

    [ThreadStatic]
    private static List<Name>? t_names;

    /// <summary>
    /// Reads the value the reader is on (its first token) to its last token, and returns the message for the first member
    /// given twice in one of its objects (<see cref="Describe"/>), or <see langword="null"/>. <paramref name="body"/> is the span
    /// the reader reads; <paramref name="valuePath"/> names the value in the message.
    /// </summary>
    public static string? Find(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, string valuePath) =>
        Find(ref reader, body) is { } repeated ? Describe(valuePath, repeated) : null;

    /// <summary>
    /// Reads the value the reader is on (its first token) to its last token; returns where a member is given twice — the path
    /// of its object below the value (<c>""</c> for the value itself, <c>.adjustment</c>, <c>[2].line</c>) and the name — or
    /// <see langword="null"/>. <paramref name="body"/> is the span the reader reads.
    /// </summary>
    public static (string Path, string Name)? Find(ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        var names = t_names ??= [];
        names.Clear();
        try
        {
            return Walk(ref reader, body, names);
        }
        finally
        {
            names.Clear();
            if (names.Capacity > 1024)
            {
                t_names = null; // one large object does not keep its buffer on the thread
            }
        }
    }

    /// <summary>The message for the caller: where the member is, and what to do.</summary>
    public static string Describe(string valuePath, (string Path, string Name) repeated)
    {
        var name = repeated.Name.Length > MaxNameShown ? string.Concat(repeated.Name.AsSpan(0, MaxNameShown), "…") : repeated.Name;
        return $"{valuePath}{repeated.Path} has more than one \"{name}\" member; JSON parsers disagree on which one counts, so send each member once.";
    }

    private static (string Path, string Name)? Walk(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, List<Name> names)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            (string, string)? found = null;
            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (Walk(ref reader, body, names) is { } inner && found is null)
                {
                    found = ($"[{index}]{inner.Path}", inner.Name);
                }

                index++;
            }

            return found;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        var frame = names.Count;
        HashSet<string>? set = null;
        (string Path, string Name)? repeated = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = new Name((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length, reader.ValueIsEscaped ? Unescape(ref reader) : null);
            if (repeated is null)
            {
                if (names.Count - frame == LinearLimit && set is null)
                {
                    set = new HashSet<string>(StringComparer.Ordinal);
                    for (var i = frame; i < names.Count; i++)
                    {
                        set.Add(names[i].Text(body));
                    }
                }

                if (set is not null ? !set.Add(name.Text(body)) : IsAmong(name, names, frame, body))
                {
                    repeated = (string.Empty, name.Text(body));
                }
            }

            names.Add(name);
            reader.Read();
            if (Walk(ref reader, body, names) is { } inner && repeated is null)
            {
                repeated = ($".{name.Text(body)}{inner.Path}", inner.Name);
            }
        }

        names.RemoveRange(frame, names.Count - frame);
        return repeated;
    }

    /// <summary>
    /// The name's text; <see langword="null"/> (compare its bytes as they are) when it is not Unicode — invalid UTF-8 or an
    /// unpaired surrogate escape —, for which the envelope reports a parse error once it has read the body.
    /// </summary>
    private static string? Unescape(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static bool IsAmong(Name name, List<Name> names, int frame, ReadOnlySpan<byte> body)
    {
        for (var i = frame; i < names.Count; i++)
        {
            if (names[i].SameAs(name, body))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A member name: where its bytes are in the body, or, when it has escapes, its text.</summary>
    private readonly record struct Name(int Start, int Length, string? Unescaped)
    {
        public string Text(ReadOnlySpan<byte> body) => Unescaped ?? Encoding.UTF8.GetString(body.Slice(Start, Length));

        public bool SameAs(Name other, ReadOnlySpan<byte> body) =>
            Unescaped is null && other.Unescaped is null
                ? body.Slice(Start, Length).SequenceEqual(body.Slice(other.Start, other.Length))
                : string.Equals(Text(body), other.Text(body), StringComparison.Ordinal);
    }
}
