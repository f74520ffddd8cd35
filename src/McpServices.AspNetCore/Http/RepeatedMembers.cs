using System.Buffers;
using System.Numerics;
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
/// <para>
/// The check runs after authentication (<see cref="JsonRpcEnvelope.FindRepeatedArgument"/>), but a caller's arguments may still
/// fill the 1 MiB body, so it costs time in proportion to the body and allocates nothing that grows with it: names are
/// compared as UTF-8 bytes in place in the body (an escaped name is unescaped into a reused buffer), an object's first
/// <see cref="LinearLimit"/> names with each other, and beyond that through an open-addressing table of the names' hashes
/// (rented, and keyed with the process's randomized <see cref="HashCode"/>, so that a caller cannot choose names that collide). The buffers are per thread; what a large body needs beyond them is rented and returned.
/// </para>
/// </remarks>
internal static class RepeatedMembers
{
    /// <summary>Up to this many members, an object's names are compared with each other; beyond, through a hash table.</summary>
    private const int LinearLimit = 16;

    /// <summary>The longest name a message shows; a caller's name may be a megabyte long.</summary>
    private const int MaxNameShown = 64;

    [ThreadStatic]
    private static Names? t_names;

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
        var names = t_names ??= new Names();
        try
        {
            return Walk(ref reader, body, names);
        }
        finally
        {
            names.Reset();
        }
    }

    /// <summary>The message for the caller: where the member is, and what to do.</summary>
    public static string Describe(string valuePath, (string Path, string Name) repeated)
    {
        var name = repeated.Name.Length > MaxNameShown ? string.Concat(repeated.Name.AsSpan(0, MaxNameShown), "…") : repeated.Name;
        return $"{valuePath}{repeated.Path} has more than one \"{name}\" member; JSON parsers disagree on which one counts, so send each member once.";
    }

    private static (string Path, string Name)? Walk(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Names names)
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
        var arenaFrame = names.ArenaLength;
        int[]? table = null;
        var tableSize = 0;
        (string Path, string Name)? repeated = null;
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var index = names.Add(ref reader, body);
                if (repeated is null)
                {
                    var members = index - frame + 1;
                    var given = members <= LinearLimit
                        ? names.IsAmong(index, frame, body)
                        : names.Insert(ref table, ref tableSize, index, frame, body);
                    if (given)
                    {
                        repeated = (string.Empty, names.Text(index, body));
                    }
                }

                reader.Read();
                if (Walk(ref reader, body, names) is { } inner && repeated is null)
                {
                    repeated = ($".{names.Text(index, body)}{inner.Path}", inner.Name);
                }
            }
        }
        finally
        {
            if (table is not null)
            {
                ArrayPool<int>.Shared.Return(table);
            }

            names.Pop(frame, arenaFrame);
        }

        return repeated;
    }

    /// <summary>A member name: where its UTF-8 bytes are (in the body, or unescaped in the arena), and its hash once needed.</summary>
    private struct Name
    {
        public int Start;
        public int Length;
        public bool InArena;
        public bool Hashed;
        public int Hash;
    }

    /// <summary>The names of the objects being read, innermost last; reused by the thread.</summary>
    private sealed class Names
    {
        private const int InitialNames = 64;
        private const int InitialArena = 512;

        private readonly Name[] _ownNames = new Name[InitialNames];
        private readonly byte[] _ownArena = new byte[InitialArena];
        private Name[] _names;
        private byte[] _arena;

        public Names()
        {
            _names = _ownNames;
            _arena = _ownArena;
        }

        public int Count { get; private set; }

        public int ArenaLength { get; private set; }

        /// <summary>Adds the name the reader is on; returns its index.</summary>
        public int Add(ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
        {
            if (Count == _names.Length)
            {
                _names = Grow(_names, _ownNames, Count);
            }

            var raw = reader.ValueSpan;
            ref var name = ref _names[Count];
            name = new Name { Start = (int)reader.TokenStartIndex + 1, Length = raw.Length };
            if (reader.ValueIsEscaped)
            {
                if (_arena.Length - ArenaLength < raw.Length)
                {
                    _arena = Grow(_arena, _ownArena, ArenaLength, ArenaLength + raw.Length);
                }

                try
                {
                    // Unescaped, a name is never longer than as sent.
                    var written = reader.CopyString(_arena.AsSpan(ArenaLength));
                    name = new Name { Start = ArenaLength, Length = written, InArena = true };
                    ArenaLength += written;
                }
                catch (InvalidOperationException)
                {
                    // An escape of an unpaired surrogate: not Unicode, which the envelope reports as a parse error once it has
                    // read the body. Its bytes as sent stand for it here.
                }
            }

            return Count++;
        }

        /// <summary>Whether a name of the object before <paramref name="index"/> (from <paramref name="frame"/>) is the same.</summary>
        public bool IsAmong(int index, int frame, ReadOnlySpan<byte> body)
        {
            var name = Bytes(index, body);
            for (var i = frame; i < index; i++)
            {
                if (_names[i].Length == name.Length && Bytes(i, body).SequenceEqual(name))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Adds the name at <paramref name="index"/> to the object's table of <paramref name="size"/> slots (created from its
        /// earlier names when it first needs one, doubled when half full); returns whether an earlier name of the object is the same.
        /// </summary>
        public bool Insert(ref int[]? table, ref int size, int index, int frame, ReadOnlySpan<byte> body)
        {
            var members = index - frame + 1;
            if (table is null || members * 2 > size)
            {
                if (table is not null)
                {
                    ArrayPool<int>.Shared.Return(table);
                }

                size = (int)BitOperations.RoundUpToPowerOf2((uint)members * 2);
                table = ArrayPool<int>.Shared.Rent(size);
                Array.Clear(table, 0, size);
                for (var i = frame; i < index; i++)
                {
                    Place(table, size, i, body);
                }
            }

            return Place(table, size, index, body);
        }

        public string Text(int index, ReadOnlySpan<byte> body) => Encoding.UTF8.GetString(Bytes(index, body));

        /// <summary>Forgets the names of an object that has been read.</summary>
        public void Pop(int frame, int arenaFrame)
        {
            Count = frame;
            ArenaLength = arenaFrame;
        }

        /// <summary>Empties the lists, giving back what a large body rented.</summary>
        public void Reset()
        {
            Count = 0;
            ArenaLength = 0;
            if (!ReferenceEquals(_names, _ownNames))
            {
                ArrayPool<Name>.Shared.Return(_names);
                _names = _ownNames;
            }

            if (!ReferenceEquals(_arena, _ownArena))
            {
                ArrayPool<byte>.Shared.Return(_arena);
                _arena = _ownArena;
            }
        }

        /// <summary>Puts the name in the table's first free slot from its hash; returns <see langword="true"/> instead when an equal name is there.</summary>
        private bool Place(int[] table, int size, int index, ReadOnlySpan<byte> body)
        {
            ref var name = ref _names[index];
            var bytes = Bytes(index, body);
            if (!name.Hashed)
            {
                var hash = default(HashCode);
                hash.AddBytes(bytes);
                name.Hash = hash.ToHashCode();
                name.Hashed = true;
            }

            var mask = size - 1;
            var slot = name.Hash & mask;
            while (table[slot] != 0)
            {
                var other = table[slot] - 1;
                if (_names[other].Hash == name.Hash && Bytes(other, body).SequenceEqual(bytes))
                {
                    return true;
                }

                slot = (slot + 1) & mask;
            }

            table[slot] = index + 1;
            return false;
        }

        private ReadOnlySpan<byte> Bytes(int index, ReadOnlySpan<byte> body)
        {
            var name = _names[index];
            return name.InArena ? _arena.AsSpan(name.Start, name.Length) : body.Slice(name.Start, name.Length);
        }

        private static T[] Grow<T>(T[] current, T[] own, int used, int atLeast = 0)
        {
            var grown = ArrayPool<T>.Shared.Rent(Math.Max(current.Length * 2, atLeast));
            current.AsSpan(0, used).CopyTo(grown);
            if (!ReferenceEquals(current, own))
            {
                ArrayPool<T>.Shared.Return(current);
            }

            return grown;
        }
    }
}
