using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace McpServices.AspNetCore;

/// <summary>
/// Verifies files of audit records (JSON Lines; other lines, such as logs, are skipped): every record's <c>hash</c> must match its
/// content, and every record's <c>prevHash</c> must be the <c>hash</c> of the previous record of the same instance. Reports the
/// first record that was modified, removed (a gap in the chain) or reordered.
/// </summary>
internal static class AuditVerifier
{
    public sealed record Result(bool Intact, int Records, int Instances, string Message)
    {
        /// <summary>How many instances' records start after records that are not in the files (rotated away, or removed).</summary>
        public int Continued { get; init; }
    }

    private sealed record Line(int Number, string File, string Id, string Instance, string Hash, string PrevHash, bool HashValid, bool Unreadable = false);

    /// <summary>
    /// The files in the order to verify them: the file sink's rotated files of one path (<c>audit.jsonl.N</c> … <c>audit.jsonl.1</c>,
    /// then <c>audit.jsonl</c>) oldest first, wherever they are among the others — so that <c>--verify-audit audit.jsonl*</c>, which
    /// the shell expands in name order (<c>audit.jsonl audit.jsonl.1 audit.jsonl.10 audit.jsonl.2</c>), is not reported as
    /// reordered. Only files whose current file (<c>audit.jsonl</c>) is among them count as rotated; the rest keep their order.
    /// </summary>
    public static IReadOnlyList<string> InRotationOrder(IReadOnlyList<string> files)
    {
        var given = new HashSet<string>(files, StringComparer.Ordinal);
        static (string Base, int Index) Split(string file)
        {
            var dot = file.LastIndexOf('.');
            return dot > 0 && int.TryParse(file.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index > 0
                ? (file[..dot], index)
                : (file, 0);
        }

        string GroupOf(string file) => Split(file) is var (name, index) && index > 0 && given.Contains(name) ? name : file;

        // Each group where its first file appears: the current file last, rotated ones from the highest number (the oldest) down.
        var ordered = new List<string>(files.Count);
        foreach (var group in files.GroupBy(GroupOf, StringComparer.Ordinal))
        {
            ordered.AddRange(group.OrderBy(f => f == group.Key ? int.MaxValue : -Split(f).Index));
        }

        return ordered;
    }

    public static Result Verify(IEnumerable<(string Name, TextReader Reader)> inputs)
    {
        var lines = new List<Line>();
        var lastLineOfFile = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, reader) in inputs)
        {
            var number = 0;
            while (reader.ReadLine() is { } text)
            {
                number++;
                if (Parse(text, name, number) is { } line)
                {
                    lines.Add(line);
                }
            }

            lastLineOfFile[name] = number;
        }

        // 1. Content: the first record whose hash does not match its bytes was modified.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Unreadable)
            {
                // A writer that stopped mid-record leaves half a line; the file sink of the next process starts on a new line, so
                // the cut line is followed by the first record of another instance.
                var restarted = i + 1 < lines.Count && lines[i + 1] is { Unreadable: false } next && next.File == line.File && !seen.Contains(next.Instance);
                return Fail(lines, lastLineOfFile[line.File] == line.Number
                    ? $"{Where(line)}: CUT OFF — the file ends in the middle of an audit record (the writer stopped while writing it: a crash, or a full disk)."
                    : restarted
                    ? $"{Where(line)}: CUT OFF — the writer stopped in the middle of this audit record (a crash, or a full disk), and a new process continued the file after it."
                    : $"{Where(line)}: UNREADABLE — the line starts like an audit record but is not one (not valid JSON, or without its id, instance or hashes).");
            }

            seen.Add(line.Instance);

            if (!line.HashValid)
            {
                return Fail(lines, $"{Where(line)}: MODIFIED — record {line.Id} does not match its hash.");
            }
        }

        // 2. Chain, per instance.
        var byHash = lines.Select((l, i) => (l, i)).GroupBy(x => x.l.Hash).ToDictionary(g => g.Key, g => g.First().i);
        var last = new Dictionary<string, Line>(StringComparer.Ordinal);
        var continued = new List<Line>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (!last.TryGetValue(line.Instance, out var previous))
            {
                // The first record of an instance in these files. A process's chain starts at the genesis hash; a chain that starts
                // later continues records that are not here: in an older, rotated file — or removed from the start.
                if (line.PrevHash != AuditRecordSerializer.Genesis)
                {
                    continued.Add(line);
                }

                last[line.Instance] = line;
                continue;
            }

            if (line.PrevHash != previous.Hash)
            {
                if (byHash.TryGetValue(line.PrevHash, out var target) && target > i)
                {
                    return Fail(lines, $"{Where(line)}: REORDERED — record {line.Id} follows a record that appears later ({Where(lines[target])}).");
                }

                if (byHash.TryGetValue(line.PrevHash, out target) && target < i)
                {
                    return Fail(lines, $"{Where(line)}: REORDERED — record {line.Id} chains to {Where(lines[target])}, not to the record before it ({Where(previous)}).");
                }

                return Fail(lines, $"{Where(line)}: REMOVED — the record before {line.Id} in instance {line.Instance}'s chain is missing (after {Where(previous)}).");
            }

            last[line.Instance] = line;
        }

        var ok = $"OK: {lines.Count} audit record(s) from {last.Count} instance(s); every hash matches and every chain is complete";
        if (continued.Count == 0)
        {
            return new Result(true, lines.Count, last.Count, ok + ", from each instance's first record.");
        }

        // Intact as far as these files go, but say where a chain starts mid-way: removing the oldest records leaves no gap.
        var notes = continued.Take(5).Select(line =>
            $"{Where(line)}: CONTINUES — instance {line.Instance}'s records here start after records that are not in these files " +
            "(an older, rotated file: give it too, oldest first; or records removed from the start).");
        var more = continued.Count > 5 ? [$"… and {continued.Count - 5} more instance(s) like these."] : Array.Empty<string>();
        return new Result(true, lines.Count, last.Count, string.Join(Environment.NewLine, [ok + $"; {continued.Count} of them continue(s) earlier records:", .. notes, .. more]))
        {
            Continued = continued.Count,
        };
    }

    private static Result Fail(List<Line> lines, string message) =>
        new(false, lines.Count, lines.Select(l => l.Instance).Distinct().Count(), message);

    private static string Where(Line line) => $"{line.File}:{line.Number}";

    private static Line? Parse(string text, string file, int number)
    {
        // A byte order mark is not part of a record: standard input from a tool that writes one, files saved on Windows and joined.
        var trimmed = text.TrimEnd('\r').TrimStart('\uFEFF');
        if (!trimmed.StartsWith("{\"schema\":\"" + AuditRecordSerializer.Schema + "\"", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(trimmed);
            var root = doc.RootElement;
            var hash = root.GetProperty("hash").GetString() ?? string.Empty;
            var bytes = Encoding.UTF8.GetBytes(trimmed);
            var valid = bytes.Length > AuditRecordSerializer.HashSuffixLength
                && trimmed.EndsWith($",\"hash\":\"{hash}\"}}", StringComparison.Ordinal)
                && hash.Length == 71;
            if (valid)
            {
                var unhashed = new byte[bytes.Length - AuditRecordSerializer.HashSuffixLength + 1];
                bytes.AsSpan(0, unhashed.Length - 1).CopyTo(unhashed);
                unhashed[^1] = (byte)'}';
                valid = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(unhashed)) == hash;
            }

            return new Line(
                number,
                file,
                root.GetProperty("id").GetString() ?? "?",
                root.GetProperty("service").GetProperty("instance").GetString() ?? "?",
                hash,
                root.GetProperty("prevHash").GetString() ?? string.Empty,
                valid);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // A line that claims to be a record but is not one: cut off, or modified.
            return new Line(number, file, "?", "?", "?", "?", HashValid: false, Unreadable: true);
        }
    }
}
