using System.Buffers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace McpServices.AspNetCore;

/// <summary>Creates the built-in sinks named in <see cref="McpServiceAuditOptions.Sinks"/>.</summary>
internal sealed class AuditSinkFactory(IHostEnvironment environment, ServiceIdentity identity, ILoggerFactory loggerFactory)
{
    public IReadOnlyList<IAuditSink> Create(McpServiceAuditOptions options)
    {
        var sinks = new List<IAuditSink>();
        foreach (var name in options.EffectiveSinks)
        {
            sinks.Add(name switch
            {
                "stdout" => new StdoutAuditSink(),
                "file" => new FileAuditSink(Path.GetFullPath(options.FilePath, environment.ContentRootPath), options.FileMaxBytes, options.FileMaxFiles, loggerFactory.CreateLogger<FileAuditSink>()),
                "otlp" => new OtlpAuditSink(options.OtlpEndpoint, identity),
                _ => throw new McpServiceConfigurationException($"McpService:Audit:Sinks names an unknown sink '{name}'. The built-in sinks are 'stdout', 'file' and 'otlp'; register others with WithAuditSink<T>()."),
            });
        }

        return sinks;
    }
}

/// <summary>
/// JSON Lines on standard output — the Kubernetes way: the container runtime collects it. Logs go to stderr. Writes are
/// synchronous, on the audit writer's own thread, and a write nobody can read any more fails: a pipe is written as file
/// descriptor 1 itself, because the stream <see cref="Console.OpenStandardOutput()"/> returns on Linux and macOS ignores a broken
/// pipe (<c>EPIPE</c>: the log collector reading the container's output has gone) and would drop the records while the calls
/// went on. A failing write makes the sink a failing sink, and the trail's failure policy applies.
/// </summary>
internal sealed class StdoutAuditSink : IAuditSink, IDisposable
{
    private static readonly Lock ClaimLock = new();
    private static int s_claims;
    private static TextWriter? s_console;

    /// <summary>PIPE_BUF: a write of at most this many bytes to a pipe is atomic — all of it, or (a full non-blocking pipe) none.</summary>
    private static readonly int AtomicPipeWrite = OperatingSystem.IsLinux() ? 4096 : 512;

    /// <summary>The errno of a write to a full non-blocking pipe (EAGAIN), which .NET reports as the exception's HResult.</summary>
    private static readonly int WouldBlock = OperatingSystem.IsLinux() ? 11 : 35;

    private readonly Stream _stdout = OpenStandardOutput();

    public ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (records.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var buffer = new ArrayBufferWriter<byte>(records.Count * 1024);
        foreach (var record in records)
        {
            buffer.Write(record.Json.Span);
            buffer.Write("\n"u8);
        }

        Write(buffer.WrittenSpan, cancellationToken);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> whole. A file takes them in one write. A pipe (or terminal) may have been made non-blocking
    /// by whoever shares it, and then refuses a write while it is full: it is written in atomic pieces, and a refused piece is
    /// written again once the reader has made room — nothing is lost or written twice.
    /// </summary>
    private void Write(ReadOnlySpan<byte> bytes, CancellationToken cancellationToken)
    {
        if (_stdout is not FileStream)
        {
            _stdout.Write(bytes);
            return;
        }

        var wait = 1;
        while (!bytes.IsEmpty)
        {
            var piece = bytes[..Math.Min(bytes.Length, AtomicPipeWrite)];
            try
            {
                _stdout.Write(piece);
                bytes = bytes[piece.Length..];
                wait = 1;
            }
            catch (IOException ex) when (ex.HResult == WouldBlock)
            {
                if (cancellationToken.WaitHandle.WaitOne(wait))
                {
                    throw new OperationCanceledException(cancellationToken);
                }

                wait = Math.Min(wait * 2, 50);
            }
        }
    }

    public void Dispose() => _stdout.Dispose();

    /// <summary>
    /// Checks when the service starts that standard output is open for writing, so that a process started without one
    /// (<c>&gt;&amp;-</c>, a supervisor that closes it) stops with the fix instead of reporting ready and refusing every call once
    /// its first record fails. A closed descriptor 1 does not stay closed: the runtime's first own file or pipe takes the number,
    /// open for reading — on Linux its access mode is read from <c>/proc/self/fdinfo/1</c>.
    /// </summary>
    internal static void CheckAtStart()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string? problem = null;
        try
        {
            if (OperatingSystem.IsLinux() && Directory.Exists("/proc/self/fdinfo"))
            {
                problem = File.Exists("/proc/self/fdinfo/1") ? ReadOnlyProblem(File.ReadAllLines("/proc/self/fdinfo/1")) : "descriptor 1 does not exist";
            }
            else
            {
                _ = File.GetUnixFileMode(new SafeFileHandle(1, ownsHandle: false)); // throws for a closed descriptor
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = ex.Message;
        }

        if (problem is not null)
        {
            throw new McpServiceConfigurationException(
                $"McpService:Audit:Sinks: the 'stdout' audit sink cannot write: standard output is closed ({problem}). Start the " +
                "service with a standard output (a container runtime always gives it one), or choose the file or otlp sink.");
        }

        // The flags are octal; their two lowest bits are the access mode, 0 for O_RDONLY. A line this check cannot read is no reason
        // to stop a service.
        static string? ReadOnlyProblem(string[] fdinfo) =>
            fdinfo.FirstOrDefault(l => l.StartsWith("flags:", StringComparison.Ordinal)) is { } flags
            && flags["flags:".Length..].Trim() is { Length: > 0 } octal && octal.All(c => c is >= '0' and <= '7') && (octal[^1] - '0' & 3) == 0
                ? "descriptor 1 is open for reading only: it was closed when the process started, and the runtime reused the number"
                : null;
    }

    /// <summary>
    /// Standard output as a stream that writes where everyone else sharing it writes. A pipe or terminal: file descriptor 1
    /// itself (see above). A regular file (<c>dotnet Service.dll &gt; service.log 2&gt;&amp;1</c>): the console's own stream,
    /// which writes at the file offset standard output shares with standard error, like the logs — a <see cref="FileStream"/>
    /// on a seekable descriptor writes at a position of its own (<c>pwrite</c>), and records and log lines would overwrite
    /// each other. A broken pipe, which the console stream ignores, cannot happen on a file.
    /// </summary>
    private static Stream OpenStandardOutput()
    {
        if (OperatingSystem.IsWindows())
        {
            return Console.OpenStandardOutput();
        }

        var descriptor = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (!descriptor.CanSeek)
        {
            return descriptor;
        }

        descriptor.Dispose();
        return Console.OpenStandardOutput();
    }

    /// <summary>
    /// Makes standard output the audit trail's alone while the sink runs: <see cref="Console.Out"/> writes to standard error.
    /// Anything else written to standard output — a tool's or a library's <c>Console.WriteLine</c> — would land between the
    /// records, or inside one (the sink writes a pipe in pieces, and a console line longer than its buffer is written in
    /// pieces too), and a log pipeline that reads the stream as JSON Lines would lose the record. Returns whether it claimed
    /// it (balance with <see cref="ReleaseStandardOutput"/>); nested claims (several services in one process) share one.
    /// </summary>
    public static bool ClaimStandardOutput()
    {
        lock (ClaimLock)
        {
            if (s_claims++ == 0)
            {
                s_console = Console.Out;
                Console.SetOut(Console.Error);
                return true;
            }

            return false;
        }
    }

    /// <summary>Gives <see cref="Console.Out"/> back when the last running stdout sink stops.</summary>
    public static void ReleaseStandardOutput()
    {
        lock (ClaimLock)
        {
            if (s_claims > 0 && --s_claims == 0 && s_console is { } console)
            {
                Console.SetOut(console);
                s_console = null;
            }
        }
    }
}

/// <summary>
/// JSON Lines in a file, flushed to disk after every batch and rotated by size: <c>audit.jsonl</c> becomes <c>audit.jsonl.1</c>,
/// <c>.1</c> becomes <c>.2</c>, and so on; the oldest is deleted. Verify a rotated set oldest first.
/// </summary>
internal sealed partial class FileAuditSink(string path, long maxBytes, int maxFiles, ILogger logger) : IAuditSink, IDisposable
{
    private FileStream? _stream;
    private FileStream? _lock;
    private string? _lastWritten;
    private bool _terminatedCutOffRecord;

    /// <summary>Gets the full path of the current file.</summary>
    public string FilePath => path;

    /// <summary>Writes synchronously: the audit writer has a thread of its own, and on Linux asynchronous file writes only move
    /// the same blocking call to a thread-pool thread.</summary>
    public ValueTask WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_stream is not null)
        {
            var file = new FileInfo(path); // one stat: whether the file is still there, and its size
            if (!file.Exists)
            {
                // Deleted or moved away (by hand, or by a log rotator that moves files): the open handle would go on writing
                // where nobody can read, so the records that follow go to a new file at the configured path.
                LogFileGone(logger, path);
                _stream.Dispose();
                _stream = null;
            }
            else if (file.Length < _stream.Position)
            {
                // Truncated under the open handle (a log rotator's copytruncate): writing on at the old position would leave a
                // run of NUL bytes before the next record and glue that record to it, unreadable. Continue at the new end.
                LogFileTruncated(logger, path, _stream.Position, file.Length);
                _stream.Dispose();
                _stream = null;
            }
        }

        var stream = Open();

        // A retried batch starts after the last record already written, so a failure half-way never duplicates records.
        var start = AuditRecord.After(records, _lastWritten);

        for (var i = start; i < records.Count; i++)
        {
            var record = records[i];
            // Position, not Length: in append mode it is the file's size, kept by the stream (Length asks the kernel every time).
            if (stream.Position > 0 && stream.Position + record.Json.Length + 1 > maxBytes)
            {
                stream.Flush(flushToDisk: true);
                Rotate();
                stream = Open();
            }

            stream.Write(record.Json.Span);
            stream.WriteByte((byte)'\n');
            _lastWritten = record.Hash;
        }

        stream.Flush(flushToDisk: true);
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _lock?.Dispose();
    }

    /// <summary>
    /// The lock file next to the audit file (<c>.audit.jsonl.lock</c>: hidden, so that <c>audit.jsonl*</c> does not match it),
    /// held exclusively while this sink writes. Two writers of one file — replicas sharing a volume, two processes or hosts given
    /// the same path — would interleave and cut each other's records; the second one is refused instead.
    /// </summary>
    internal string LockPath => Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.lock");

    /// <summary>
    /// Opens the file when the service starts, so that a path it cannot write to stops the service with the setting to fix,
    /// instead of the service reporting ready, running calls whose records can never be written and only then refusing.
    /// </summary>
    /// <returns><see langword="true"/> when the existing file ended in the middle of a record and a line break was added.</returns>
    internal bool OpenAtStart()
    {
        if (Directory.Exists(path))
        {
            // The audit volume's mount path, given instead of a file in it: .NET would call that "access denied", after creating
            // the lock file next to the directory.
            throw new McpServiceConfigurationException(
                $"McpService:Audit:FilePath: '{path}' is a directory, not a file. Give the path of a file in it, for example '{Path.Combine(path, "audit.jsonl")}'.");
        }

        try
        {
            Open();
            return _terminatedCutOffRecord;
        }
        catch (IOException ex) when (_lock is null && IsHeldByAnother(ex))
        {
            // Opening the lock file exclusively failed because another writer holds it.
            throw new McpServiceConfigurationException(
                $"McpService:Audit:FilePath: the audit file '{path}' is being written by another process, or by another service in " +
                $"this process (it holds '{LockPath}'). Two writers of one file would interleave and cut each other's records. Give " +
                "each instance its own file — with replicas sharing a volume, a path that includes the pod's name, for example the " +
                "container environment variable McpService__Audit__FilePath=/var/audit/$(POD_NAME).jsonl (Kubernetes expands " +
                "$(POD_NAME) in the pod's env, not in a ConfigMap) — or use the stdout or otlp sink.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new McpServiceConfigurationException(
                $"McpService:Audit:FilePath: the audit file '{path}' cannot be opened for writing ({ex.Message}). Give a path in a " +
                "writable directory (in Kubernetes, a mounted volume; the generated manifests mount one), or choose another sink " +
                "with McpService:Audit:Sinks.");
        }
    }

    /// <summary>
    /// Whether opening the lock file failed because another writer holds its lock — and not for another reason the file system
    /// gives (a volume remounted read-only after errors, a lock path that is not a regular file), which must not send the
    /// operator looking for a second writer. .NET reports a held lock as the <c>flock</c> error <c>EWOULDBLOCK</c> on Unix (its
    /// errno as the exception's <see cref="Exception.HResult"/>: 11 on Linux, 35 on macOS and the BSDs) and as a sharing or lock
    /// violation on Windows.
    /// </summary>
    private static bool IsHeldByAnother(IOException ex) => ex.HResult switch
    {
        11 => OperatingSystem.IsLinux(),
        35 => OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD(),
        unchecked((int)0x80070020) or unchecked((int)0x80070021) => OperatingSystem.IsWindows(),
        _ => false,
    };

    private FileStream Open()
    {
        if (_stream is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // FileShare.None is an exclusive advisory lock (flock) on Unix, released by the kernel when the process ends.
            _lock ??= new FileStream(LockPath, Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0));
            _stream = new FileStream(path, Options(FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024));

            // A process that stopped while writing a record (killed, or out of disk space) left half a line. The next record must
            // not be glued to it: it would be unreadable too, and the verifier could not tell the cut from tampering.
            if (_stream.Position > 0 && EndsInTheMiddleOfALine())
            {
                _stream.WriteByte((byte)'\n');
                _stream.Flush(flushToDisk: true);
                _terminatedCutOffRecord = true;
            }
        }

        return _stream;
    }

    /// <summary>
    /// Audit records name callers and carry their arguments: files the sink creates are readable by their owner and group only
    /// (0640, so that a log shipper in the service's group can read them), not by every user of the host as the umask would
    /// usually allow. An existing file keeps its mode.
    /// </summary>
    internal const UnixFileMode CreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    private static FileStreamOptions Options(FileMode mode, FileAccess access, FileShare share, int bufferSize)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = CreateMode;
        }

        return options;
    }

    private bool EndsInTheMiddleOfALine()
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> last = stackalloc byte[1];
        return RandomAccess.Read(handle, last, RandomAccess.GetLength(handle) - 1) == 1 && last[0] != (byte)'\n';
    }

    [LoggerMessage(64, LogLevel.Warning, "The audit file '{Path}' was truncated from {Written} to {Length} bytes while the service was writing it (a log rotator's copytruncate?); the following records continue at its new end. Rotate by moving the file instead, or ship the records from stdout.")]
    private static partial void LogFileTruncated(ILogger logger, string path, long written, long length);

    [LoggerMessage(62, LogLevel.Warning, "The audit file '{Path}' was deleted or moved while the service was writing it; the following records go to a new file at that path. The records written before are in the moved file, or gone if it was deleted.")]
    private static partial void LogFileGone(ILogger logger, string path);

    private void Rotate()
    {
        _stream?.Dispose();
        _stream = null;
        File.Delete($"{path}.{maxFiles}");
        for (var i = maxFiles - 1; i >= 1; i--)
        {
            if (File.Exists($"{path}.{i}"))
            {
                File.Move($"{path}.{i}", $"{path}.{i + 1}");
            }
        }

        File.Move(path, $"{path}.1");
    }
}
