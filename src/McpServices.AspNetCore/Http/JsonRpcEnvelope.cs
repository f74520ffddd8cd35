using System.Text.Json;

namespace McpServices.AspNetCore;

/// <summary>
/// The few fields of a JSON-RPC message the HTTP stage needs before the MCP handler runs: the method, the id and, for
/// <c>tools/call</c>, the tool name and where the arguments are. Read with a forward-only reader; nothing is materialized.
/// </summary>
internal sealed class JsonRpcEnvelope
{
    public const string ToolsCall = "tools/call";

    private JsonRpcEnvelope()
    {
    }

    public string? Method { get; private set; }

    /// <summary>The JSON-RPC id as raw JSON (a string with quotes, or a number), or <see langword="null"/> for notifications.</summary>
    public string? Id { get; private set; }

    public string? ToolName { get; private set; }

    public bool IsToolCall => Method == ToolsCall;

    /// <summary>The request's <c>MCP-Protocol-Version</c> header, when present.</summary>
    public string? ProtocolVersion { get; set; }

    private int ArgumentsStart { get; set; } = -1;

    private int ArgumentsLength { get; set; }

    /// <summary>Reads the envelope; returns <see langword="null"/> when the body is not a single JSON object (the MCP handler reports that).</summary>
    public static JsonRpcEnvelope? TryRead(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var envelope = new JsonRpcEnvelope();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    envelope.Method = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    envelope.Id = reader.TokenType switch
                    {
                        JsonTokenType.String => JsonSerializer.Serialize(reader.GetString()),
                        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
                        _ => null,
                    };
                }
                else if (reader.ValueTextEquals("params"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadParams(ref reader, envelope);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return envelope;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses the <c>params.arguments</c> object out of <paramref name="body"/>; only used for refused calls, which are rare.</summary>
    public IDictionary<string, JsonElement>? ReadArguments(ReadOnlySpan<byte> body)
    {
        if (ArgumentsStart < 0 || ArgumentsStart + ArgumentsLength > body.Length)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(body.Slice(ArgumentsStart, ArgumentsLength));
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void ReadParams(ref Utf8JsonReader reader, JsonRpcEnvelope envelope)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                envelope.ToolName = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                envelope.ArgumentsStart = start;
                envelope.ArgumentsLength = (int)reader.BytesConsumed - start;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }
}
