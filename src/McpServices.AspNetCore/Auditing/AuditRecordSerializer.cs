using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelContextProtocol;

namespace McpServices.AspNetCore;

/// <summary>
/// Writes audit records in the <c>mcpservices.io/audit/v1</c> format and chains them: <c>hash</c> is the SHA-256 of the record
/// without its <c>hash</c> member (the exact bytes of the line up to <c>,"hash":…</c>, closed with <c>}</c>), and <c>prevHash</c> is the
/// previous record's <c>hash</c> for the same instance. Not thread-safe: the single background writer owns it.
/// </summary>
internal sealed class AuditRecordSerializer
{
    public const string Schema = "mcpservices.io/audit/v1";
    public const string Genesis = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Strings the caller chooses (tool name, JSON-RPC id, user agent, protocol version) are cut at this many characters.</summary>
    public const int MaxFieldLength = 512;

    /// <summary>Error messages are cut at this many characters (they can quote what the caller sent).</summary>
    public const int MaxMessageLength = 4096;

    /// <summary>
    /// The longest record line, in bytes: the Kubernetes container runtime splits log lines above 16 KiB (containerd's
    /// <c>max_container_log_line_size</c>, with the newline), and a record written to stdout must reach the log pipeline whole.
    /// Arguments that would take a record past it are recorded as omitted (<c>too_large</c>), as those above
    /// <see cref="McpServiceAuditOptions.MaxArgumentsBytes"/> are.
    /// </summary>
    public const int MaxRecordBytes = (16 * 1024) - 1;

    /// <summary>Length of the fixed suffix <c>,"hash":"sha256:&lt;64 hex&gt;"}</c>.</summary>
    public const int HashSuffixLength = 82;

    /// <summary>Results are measured by writing them; a buffer grown beyond this by a large result is let go afterwards.</summary>
    private const int MaxRetainedMeasureBuffer = 256 * 1024;

    private static ReadOnlySpan<byte> HashPrefix => ",\"hash\":\"sha256:"u8;

    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo ResultTypeInfo = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ModelContextProtocol.Protocol.CallToolResult));

    private readonly McpServiceAuditOptions _options;
    private readonly ConcurrentDictionary<string, Redaction> _redactions = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _buffer = new(2048);
    private readonly Utf8JsonWriter _writer;
    private readonly ArrayBufferWriter<byte> _argumentsBuffer = new(1024);
    private readonly Utf8JsonWriter _argumentsWriter;
    private ArrayBufferWriter<byte> _measureBuffer = new(1024);
    private readonly Utf8JsonWriter _measureWriter;
    private readonly List<string> _scopes = [];
    private readonly JsonEncodedText _serviceName;
    private readonly JsonEncodedText _serviceVersion;
    private readonly JsonEncodedText _instance;
    private string _previousHash = Genesis;

    public AuditRecordSerializer(ServiceIdentity identity, McpServiceAuditOptions options)
    {
        _options = options;
        _writer = new Utf8JsonWriter(_buffer);
        _measureWriter = new Utf8JsonWriter(_measureBuffer);
        _argumentsWriter = new Utf8JsonWriter(_argumentsBuffer);
        _serviceName = JsonEncodedText.Encode(identity.Name);
        _serviceVersion = JsonEncodedText.Encode(identity.Version);
        _instance = JsonEncodedText.Encode(identity.InstanceId);
    }

    /// <summary>Writes the record of <paramref name="entry"/> and chains it.</summary>
    /// <param name="entry">The call.</param>
    /// <param name="fallback">
    /// Whether to leave out what comes from the call's data: the arguments become <c>{"$omitted":{"reason":"unserializable"}}</c>
    /// and <c>resultBytes</c> <see langword="null"/>. The second attempt for an entry whose first failed, so that a bug in writing
    /// arguments or measuring a result cannot cost the call its record.
    /// </param>
    public AuditRecord Serialize(AuditEntry entry, bool fallback = false)
    {
        long? resultBytes = null;
        var argumentsInFull = WriteUnhashed(entry, fallback, omitArguments: false, ref resultBytes);
        if (argumentsInFull && _buffer.WrittenCount - 1 + HashSuffixLength > MaxRecordBytes)
        {
            WriteUnhashed(entry, fallback, omitArguments: true, ref resultBytes);
        }

        // The line is the record up to its closing brace, then ,"hash":"sha256:<hex>"} — the hash of the record without it.
        var unhashed = _buffer.WrittenSpan;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(unhashed, digest);
        var line = new byte[unhashed.Length - 1 + HashSuffixLength];
        unhashed[..^1].CopyTo(line);
        var suffix = line.AsSpan(unhashed.Length - 1);
        HashPrefix.CopyTo(suffix);
        Convert.TryToHexStringLower(digest, suffix[HashPrefix.Length..], out var hexLength);
        "\"}"u8.CopyTo(suffix[(HashPrefix.Length + hexLength)..]);
        var hashValue = suffix[(HashPrefix.Length - "sha256:".Length)..(HashPrefix.Length + hexLength)]; // the next record's prevHash
        var hash = Encoding.ASCII.GetString(hashValue);
        _previousHash = hash;
        return new AuditRecord(entry.Id, entry.Time, entry.Tool, entry.Outcome.ToWire(), entry.ErrorCode, hash, line);
    }

    /// <summary>
    /// Writes the record without its hash into <see cref="_buffer"/>; returns whether it holds the arguments in full.
    /// <paramref name="resultBytes"/> carries the result's size from a first attempt to a second (measuring means serializing
    /// the result).
    /// </summary>
    private bool WriteUnhashed(AuditEntry entry, bool fallback, bool omitArguments, ref long? resultBytes)
    {
        var argumentsInFull = false;
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        var w = _writer;
        w.WriteStartObject();
        w.WriteString(Names.Schema, Names.SchemaValue);
        w.WriteString(Names.Id, entry.Id);
        Span<byte> time = stackalloc byte[40];
        entry.Time.UtcDateTime.TryFormat(time, out var timeLength, "O", System.Globalization.CultureInfo.InvariantCulture);
        w.WriteString(Names.Time, time[..timeLength]);

        w.WriteStartObject(Names.Service);
        w.WriteString(Names.Name, _serviceName);
        w.WriteString(Names.Version, _serviceVersion);
        w.WriteString(Names.Instance, _instance);
        w.WriteEndObject();

        var caller = entry.Caller;
        w.WriteStartObject(Names.Actor);
        WriteNullable(w, Names.Subject, caller.Subject);
        WriteNullable(w, Names.Issuer, caller.Issuer);
        WriteNullable(w, Names.ClientId, caller.ClientId);
        w.WriteString(Names.AuthenticationMethod, caller.AuthenticationMethod);
        w.WriteStartArray(Names.Scopes);
        _scopes.Clear();
        _scopes.AddRange(caller.Scopes);
        _scopes.Sort(StringComparer.Ordinal);
        foreach (var scope in _scopes)
        {
            w.WriteStringValue(scope);
        }

        w.WriteEndArray();
        WriteNullable(w, Names.ApiKeyId, caller.ApiKeyId);
        w.WriteEndObject();

        w.WriteStartObject(Names.Source);
        // A dual-stack listener (Kubernetes: [::]:8080) sees IPv4 clients as ::ffff:a.b.c.d; record the address they have.
        WriteNullable(w, Names.RemoteAddress, caller.RemoteAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4().ToString() : caller.RemoteAddress?.ToString());
        WriteBounded(w, Names.UserAgent, entry.UserAgent, MaxFieldLength);
        w.WriteEndObject();

        w.WriteStartObject(Names.Request);
        if (entry.JsonRpcId is null)
        {
            w.WriteNull(Names.JsonRpcId);
        }
        else if (entry.JsonRpcId.Length > MaxFieldLength + 2 && entry.JsonRpcId[0] == '"')
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(entry.JsonRpcId));
            reader.Read();
            WriteBounded(w, Names.JsonRpcId, reader.GetString(), MaxFieldLength);
        }
        else
        {
            w.WritePropertyName(Names.JsonRpcId);
            w.WriteRawValue(entry.JsonRpcId, skipInputValidation: false);
        }

        WriteBounded(w, Names.ProtocolVersion, entry.ProtocolVersion, MaxFieldLength);
        WriteNullable(w, Names.TraceId, entry.TraceId);
        WriteNullable(w, Names.SpanId, entry.SpanId);
        w.WriteEndObject();

        w.WriteStartObject(Names.Target);
        WriteBounded(w, Names.Tool, entry.Tool, MaxFieldLength);
        WriteNullable(w, Names.Version, entry.ToolVersion);
        w.WriteEndObject();

        w.WritePropertyName(Names.Arguments);
        if (fallback)
        {
            WriteOmitted(w, "unserializable", bytes: null, digest: default);
        }
        else
        {
            argumentsInFull = WriteArguments(w, entry, omitArguments);
        }

        w.WriteString(Names.Outcome, entry.Outcome.ToWire());
        if (entry.ErrorCode is null && entry.ErrorMessage is null)
        {
            w.WriteNull(Names.Error);
        }
        else
        {
            w.WriteStartObject(Names.Error);
            WriteNullable(w, Names.Code, entry.ErrorCode);
            WriteBounded(w, Names.Message, AuditedErrorMessage(entry), MaxMessageLength);
            w.WriteEndObject();
        }

        w.WriteNumber(Names.DurationMs, Math.Round(entry.DurationMs, 3));
        if (entry.Result is null || fallback)
        {
            w.WriteNull(Names.ResultBytes);
        }
        else
        {
            w.WriteNumber(Names.ResultBytes, resultBytes ??= MeasureResult(entry.Result));
        }

        w.WriteString(Names.PrevHash, _previousHash);
        w.WriteEndObject();
        w.Flush();
        return argumentsInFull;
    }

    /// <param name="w">The record's writer.</param>
    /// <param name="entry">The call.</param>
    /// <param name="omit">Whether to record arguments that fit <see cref="McpServiceAuditOptions.MaxArgumentsBytes"/> as omitted too (they would take the record past <see cref="MaxRecordBytes"/>).</param>
    /// <returns>Whether the arguments were written in full (not <see langword="null"/>, a digest or omitted).</returns>
    private bool WriteArguments(Utf8JsonWriter w, AuditEntry entry, bool omit)
    {
        if (entry.Arguments is null)
        {
            w.WriteNullValue();
            return false;
        }

        if (_options.Arguments == AuditArgumentsMode.Digest)
        {
            var compact = new ArrayBufferWriter<byte>(256);
            using (var inner = new Utf8JsonWriter(compact))
            {
                Redaction.None.WriteArguments(inner, entry.Arguments);
            }

            w.WriteStartObject();
            w.WriteString("sha256", Convert.ToHexStringLower(SHA256.HashData(compact.WrittenSpan)));
            w.WriteEndObject();
            return false;
        }

        var redaction = RedactionFor(entry);
        _argumentsBuffer.ResetWrittenCount();
        _argumentsWriter.Reset(_argumentsBuffer);
        redaction.WriteArguments(_argumentsWriter, entry.Arguments);
        _argumentsWriter.Flush();
        var arguments = _argumentsBuffer.WrittenSpan;
        var known = entry.Descriptor is not null;
        if (known && arguments.Length <= _options.MaxArgumentsBytes && !omit)
        {
            w.WriteRawValue(arguments, skipInputValidation: true);
            return true;
        }

        // Too large to keep in every record, or sent to a tool this service does not have — whose [Sensitive] parameters are
        // unknown, so a misspelled or retired tool name must not put a secret in the trail in clear: the size and digest (of what
        // would have been recorded) prove what was sent.
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(arguments, digest);
        WriteOmitted(w, known ? "too_large" : "unknown_tool", arguments.Length, digest);
        return false;
    }

    // Calls to unknown tools are not cached: their names come from callers.
    private Redaction RedactionFor(AuditEntry entry) => entry.Descriptor is { } tool
        ? _redactions.GetOrAdd(tool.Name, static (_, state) => Redaction.For(state.tool, state.tool.Name, state.paths), (tool, paths: _options.RedactPaths))
        : Redaction.For(null, entry.Tool, _options.RedactPaths);

    /// <summary>
    /// The error message the caller received, except that a validation message about a sensitive field reads <c>[redacted]</c>: it
    /// may quote the value (FluentValidation's <c>{PropertyValue}</c>, a custom attribute's message). In either argument mode —
    /// digest mode records no argument in clear either. A validation exception the tool threw itself names its validator's
    /// fields, which cannot be matched to argument paths: for a tool with sensitive fields all its messages are hidden.
    /// </summary>
    private string? AuditedErrorMessage(AuditEntry entry)
    {
        if (entry.ArgumentErrors is not { Count: > 0 } errors || RedactionFor(entry) is not { IsEmpty: false } redaction)
        {
            return entry.ErrorMessage;
        }

        Func<ArgumentError, bool> hide = entry.ArgumentErrorsRaisedByTool ? static _ => true : redaction.Matches;
        return errors.Any(hide) ? ArgumentError.Describe(entry.Tool, errors, hide) : entry.ErrorMessage;
    }

    /// <summary>Writes <c>{"$omitted":{"reason":…,"bytes":…,"sha256":…}}</c> in place of the arguments. C# parameter names cannot start with <c>$</c>.</summary>
    private static void WriteOmitted(Utf8JsonWriter w, string reason, int? bytes, ReadOnlySpan<byte> digest)
    {
        w.WriteStartObject();
        w.WriteStartObject("$omitted");
        w.WriteString("reason", reason);
        if (bytes is { } size)
        {
            w.WriteNumber("bytes", size);
            w.WriteString("sha256", Convert.ToHexStringLower(digest));
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Writes a string, cut at <paramref name="max"/> characters with a note of how much was left out.</summary>
    private static void WriteBounded(Utf8JsonWriter w, JsonEncodedText name, string? value, int max) =>
        WriteNullable(w, name, BoundedText.Cut(value, max));

    /// <summary>The capacity of the buffer results are measured in (for tests).</summary>
    internal int MeasureBufferCapacity => _measureBuffer.Capacity;

    /// <summary>The size of the result as the SDK serializes it, measured in a reused buffer (let go when a large result grew it).</summary>
    private long MeasureResult(ModelContextProtocol.Protocol.CallToolResult result)
    {
        _measureBuffer.ResetWrittenCount();
        _measureWriter.Reset(_measureBuffer);
        try
        {
            JsonSerializer.Serialize(_measureWriter, result, ResultTypeInfo);
            return _measureWriter.BytesCommitted + _measureWriter.BytesPending;
        }
        finally
        {
            // One large result must not keep its size in memory for the life of the process.
            if (_measureBuffer.Capacity > MaxRetainedMeasureBuffer)
            {
                _measureBuffer = new ArrayBufferWriter<byte>(1024);
                _measureWriter.Reset(_measureBuffer);
            }
        }
    }

    private static void WriteNullable(Utf8JsonWriter w, JsonEncodedText name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>The record's property names, encoded once.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Schema = JsonEncodedText.Encode("schema");
        public static readonly JsonEncodedText SchemaValue = JsonEncodedText.Encode(AuditRecordSerializer.Schema);
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText Time = JsonEncodedText.Encode("time");
        public static readonly JsonEncodedText Service = JsonEncodedText.Encode("service");
        public static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
        public static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
        public static readonly JsonEncodedText Instance = JsonEncodedText.Encode("instance");
        public static readonly JsonEncodedText Actor = JsonEncodedText.Encode("actor");
        public static readonly JsonEncodedText Subject = JsonEncodedText.Encode("subject");
        public static readonly JsonEncodedText Issuer = JsonEncodedText.Encode("issuer");
        public static readonly JsonEncodedText ClientId = JsonEncodedText.Encode("clientId");
        public static readonly JsonEncodedText AuthenticationMethod = JsonEncodedText.Encode("authenticationMethod");
        public static readonly JsonEncodedText Scopes = JsonEncodedText.Encode("scopes");
        public static readonly JsonEncodedText ApiKeyId = JsonEncodedText.Encode("apiKeyId");
        public static readonly JsonEncodedText Source = JsonEncodedText.Encode("source");
        public static readonly JsonEncodedText RemoteAddress = JsonEncodedText.Encode("remoteAddress");
        public static readonly JsonEncodedText UserAgent = JsonEncodedText.Encode("userAgent");
        public static readonly JsonEncodedText Request = JsonEncodedText.Encode("request");
        public static readonly JsonEncodedText JsonRpcId = JsonEncodedText.Encode("jsonRpcId");
        public static readonly JsonEncodedText ProtocolVersion = JsonEncodedText.Encode("protocolVersion");
        public static readonly JsonEncodedText TraceId = JsonEncodedText.Encode("traceId");
        public static readonly JsonEncodedText SpanId = JsonEncodedText.Encode("spanId");
        public static readonly JsonEncodedText Target = JsonEncodedText.Encode("target");
        public static readonly JsonEncodedText Tool = JsonEncodedText.Encode("tool");
        public static readonly JsonEncodedText Arguments = JsonEncodedText.Encode("arguments");
        public static readonly JsonEncodedText Outcome = JsonEncodedText.Encode("outcome");
        public static readonly JsonEncodedText Error = JsonEncodedText.Encode("error");
        public static readonly JsonEncodedText Code = JsonEncodedText.Encode("code");
        public static readonly JsonEncodedText Message = JsonEncodedText.Encode("message");
        public static readonly JsonEncodedText DurationMs = JsonEncodedText.Encode("durationMs");
        public static readonly JsonEncodedText ResultBytes = JsonEncodedText.Encode("resultBytes");
        public static readonly JsonEncodedText PrevHash = JsonEncodedText.Encode("prevHash");
    }
}
