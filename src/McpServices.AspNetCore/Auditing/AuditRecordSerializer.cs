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

    /// <summary>Length of the fixed suffix <c>,"hash":"sha256:&lt;64 hex&gt;"}</c>.</summary>
    public const int HashSuffixLength = 82;

    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo ResultTypeInfo = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ModelContextProtocol.Protocol.CallToolResult));

    private readonly ServiceIdentity _identity;
    private readonly McpServiceAuditOptions _options;
    private readonly ConcurrentDictionary<string, Redaction> _redactions = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _buffer = new(2048);
    private readonly Utf8JsonWriter _writer;
    private readonly ArrayBufferWriter<byte> _measureBuffer = new(1024);
    private readonly Utf8JsonWriter _measureWriter;
    private string _previousHash = Genesis;

    public AuditRecordSerializer(ServiceIdentity identity, McpServiceAuditOptions options)
    {
        _identity = identity;
        _options = options;
        _writer = new Utf8JsonWriter(_buffer);
        _measureWriter = new Utf8JsonWriter(_measureBuffer);
    }

    public AuditRecord Serialize(AuditEntry entry)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        var w = _writer;
        w.WriteStartObject();
        w.WriteString("schema", Schema);
        w.WriteString("id", entry.Id);
        Span<char> time = stackalloc char[28];
        entry.Time.UtcDateTime.TryFormat(time, out var timeLength, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        w.WriteString("time", time[..timeLength]);

        w.WriteStartObject("service");
        w.WriteString("name", _identity.Name);
        w.WriteString("version", _identity.Version);
        w.WriteString("instance", _identity.InstanceId);
        w.WriteEndObject();

        var caller = entry.Caller;
        w.WriteStartObject("actor");
        WriteNullable(w, "subject", caller.Subject);
        WriteNullable(w, "clientId", caller.ClientId);
        w.WriteString("authenticationMethod", caller.AuthenticationMethod);
        w.WriteStartArray("scopes");
        foreach (var scope in caller.Scopes.Order(StringComparer.Ordinal))
        {
            w.WriteStringValue(scope);
        }

        w.WriteEndArray();
        WriteNullable(w, "apiKeyId", caller.ApiKeyId);
        w.WriteEndObject();

        w.WriteStartObject("source");
        WriteNullable(w, "remoteAddress", caller.RemoteAddress?.ToString());
        WriteNullable(w, "userAgent", entry.UserAgent);
        w.WriteEndObject();

        w.WriteStartObject("request");
        w.WritePropertyName("jsonRpcId");
        if (entry.JsonRpcId is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteRawValue(entry.JsonRpcId, skipInputValidation: false);
        }

        WriteNullable(w, "protocolVersion", entry.ProtocolVersion);
        WriteNullable(w, "traceId", entry.TraceId);
        WriteNullable(w, "spanId", entry.SpanId);
        w.WriteEndObject();

        w.WriteStartObject("target");
        w.WriteString("tool", entry.Tool);
        WriteNullable(w, "version", entry.ToolVersion);
        w.WriteEndObject();

        w.WritePropertyName("arguments");
        WriteArguments(w, entry);

        w.WriteString("outcome", entry.Outcome.ToWire());
        w.WritePropertyName("error");
        if (entry.ErrorCode is null && entry.ErrorMessage is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStartObject();
            WriteNullable(w, "code", entry.ErrorCode);
            WriteNullable(w, "message", entry.ErrorMessage);
            w.WriteEndObject();
        }

        w.WriteNumber("durationMs", Math.Round(entry.DurationMs, 3));
        w.WritePropertyName("resultBytes");
        if (entry.Result is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteNumberValue(MeasureResult(entry.Result));
        }

        w.WriteString("prevHash", _previousHash);
        w.WriteEndObject();
        w.Flush();

        var unhashed = _buffer.WrittenSpan;
        var hash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(unhashed));
        var line = new byte[unhashed.Length - 1 + HashSuffixLength];
        unhashed[..^1].CopyTo(line);
        Encoding.ASCII.GetBytes($",\"hash\":\"{hash}\"}}", line.AsSpan(unhashed.Length - 1));
        _previousHash = hash;
        return new AuditRecord(entry.Id, entry.Time, entry.Tool, entry.Outcome.ToWire(), entry.ErrorCode, hash, line);
    }

    private void WriteArguments(Utf8JsonWriter w, AuditEntry entry)
    {
        if (entry.Arguments is null)
        {
            w.WriteNullValue();
            return;
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
            return;
        }

        // Calls to unknown tools are not cached: their names come from callers.
        var redaction = entry.Descriptor is { } tool
            ? _redactions.GetOrAdd(tool.Name, static (_, state) => Redaction.For(state.tool, state.tool.Name, state.paths), (tool, paths: _options.RedactPaths))
            : Redaction.For(null, entry.Tool, _options.RedactPaths);
        redaction.WriteArguments(w, entry.Arguments);
    }

    /// <summary>The size of the result as the SDK serializes it, measured in a reused buffer.</summary>
    private long MeasureResult(ModelContextProtocol.Protocol.CallToolResult result)
    {
        _measureBuffer.ResetWrittenCount();
        _measureWriter.Reset(_measureBuffer);
        JsonSerializer.Serialize(_measureWriter, result, ResultTypeInfo);
        return _measureWriter.BytesCommitted + _measureWriter.BytesPending;
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
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
}
