using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace McpServices.AspNetCore;

/// <summary>
/// The few fields of a JSON-RPC message the HTTP stage needs before the MCP handler runs: the method, the id, the name in
/// <c>params</c> (a tool's or a prompt's) and, for <c>tools/call</c>, where the arguments are; and what is wrong with the message, when something is (not JSON,
/// a member given twice, an id or params MCP does not allow). Read with a forward-only reader; nothing is materialized.
/// </summary>
internal sealed class JsonRpcEnvelope
{
    public const string ToolsCall = "tools/call";

    public const string Initialize = "initialize";

    public const string PromptsGet = "prompts/get";

    public const string ResourcesRead = "resources/read";
    private const string Complete = "completion/complete";

    private const string UnpairedSurrogate = "a string has a \\u escape of an unpaired UTF-16 surrogate (\\ud800-\\udfff without its pair); JSON strings must be valid Unicode.";

    private JsonRpcEnvelope()
    {
    }

    public string? Method { get; private set; }

    /// <summary>The JSON-RPC id as raw JSON (a string with quotes, or a number), or <see langword="null"/> for notifications.</summary>
    public string? Id { get; private set; }

    /// <summary><c>params.name</c> when it is a string: the tool a <c>tools/call</c> calls, the prompt a <c>prompts/get</c> gets.</summary>
    public string? Name { get; private set; }

    /// <summary><c>params.uri</c> when it is a string: the resource a <c>resources/read</c> reads.</summary>
    public string? Uri { get; private set; }

    public bool IsToolCall => Method == ToolsCall;

    /// <summary>
    /// Whether the message is one an anonymous client needs in order to find and call anonymous tools: the handshake, discovery,
    /// <c>ping</c>, <c>tools/list</c>, <c>logging/setLevel</c>, notifications, and answers to the server's own requests (no method).
    /// </summary>
    public bool IsNeededForAnonymousTools => Method is null or Initialize or "ping" or "tools/list" or "server/discover" or "logging/setLevel"
        || Method.StartsWith("notifications/", StringComparison.Ordinal);

    /// <summary>Whether the message has no <c>id</c> member at all (a notification; <c>"id": null</c> is an invalid request instead).</summary>
    public bool IsNotification => (Seen & Member.Id) == 0;

    /// <summary>The request's <c>MCP-Protocol-Version</c> header, when present.</summary>
    public string? ProtocolVersion { get; set; }

    /// <summary>
    /// What makes the message an invalid request, as a sentence for the caller, or <see langword="null"/>: a member that routing,
    /// authorization or audit read (<c>jsonrpc</c>, <c>method</c>, <c>id</c>, <c>params</c>, and in <c>params</c> <c>name</c>,
    /// <c>arguments</c>, <c>_meta</c>, <c>uri</c>) given twice — parsers disagree on which copy counts, so the HTTP stage refuses the message
    /// rather than authorize one tool and let the SDK run another — or a request id that is neither a string nor a 64-bit integer;
    /// or a body that is valid JSON but not one message (an array: a batch, which MCP no longer has; a string or number).
    /// </summary>
    public string? InvalidRequest => NotAnObject ?? Ambiguity ?? JsonRpcProblem ?? (Method is not null ? IdProblem : null);

    /// <summary>
    /// What is wrong with the <c>jsonrpc</c> member: every JSON-RPC 2.0 message has <c>"jsonrpc": "2.0"</c>. (The SDK refused
    /// such messages too, but without their id and, for some values, with its internal type names in the message.)
    /// </summary>
    private string? JsonRpcProblem =>
        !Seen.HasFlag(Member.JsonRpc) ? "the message has no \"jsonrpc\" member; JSON-RPC 2.0 messages carry \"jsonrpc\": \"2.0\"."
        : !JsonRpcIs20 ? "\"jsonrpc\" must be the string \"2.0\", the JSON-RPC version MCP uses."
        : null;

    /// <summary>Whether the <c>jsonrpc</c> member is the string <c>2.0</c>.</summary>
    private bool JsonRpcIs20 { get; set; }

    /// <summary>
    /// Why the body is not valid JSON (the reader's message, with the position), or <see langword="null"/>. Set when the body
    /// starts as a JSON object but breaks off, nests deeper than 64 levels or carries data after the object: such a body can
    /// still be recognized as a <c>tools/call</c>, which is audited like any other refused call.
    /// </summary>
    public string? ParseError { get; private set; }

    /// <summary>
    /// What makes the request's <c>params</c> unusable, as a sentence for the caller, or <see langword="null"/>. MCP sends
    /// <c>params</c> as an object, its <c>_meta</c> as an object, and a <c>tools/call</c> names its tool with a string and passes
    /// its arguments as an object. The SDK answers these mistakes with a bare internal error; the HTTP stage answers them with
    /// −32602 and this text instead. (<see cref="FindRepeatedArgument"/> is the last check of params.)
    /// </summary>
    public string? InvalidParams => ParamsProblem ?? MethodParamsProblem;

    /// <summary>
    /// A member given twice in an object of the arguments of a <c>tools/call</c> or <c>prompts/get</c>
    /// (<see cref="RepeatedMembers"/>), as a sentence for the caller, or <see langword="null"/>. Read from the body again, after
    /// authentication: the envelope is read for every request, also from callers who have not authenticated, and only skips
    /// the arguments, so that nobody can make it compare the names of a megabyte of arguments without a credential.
    /// </summary>
    public string? FindRepeatedArgument(ReadOnlySpan<byte> body)
    {
        if (Method is not (ToolsCall or PromptsGet) || ArgumentsStart < 0 || !ArgumentsAreObject || ArgumentsStart + ArgumentsLength > body.Length)
        {
            return null;
        }

        var arguments = body.Slice(ArgumentsStart, ArgumentsLength);
        var reader = new Utf8JsonReader(arguments, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        try
        {
            return reader.Read() ? RepeatedMembers.Find(ref reader, arguments, "params.arguments") : null;
        }
        catch (JsonException)
        {
            return null; // not reached for a message without a parse error, which is refused before this
        }
    }

    /// <summary>What is wrong with the params of this method in particular.</summary>
    private string? MethodParamsProblem
    {
        get
        {
            return Method switch
            {
                ToolsCall when !HasParams => "tools/call needs params: an object with the name of the tool to call and its arguments.",
                ToolsCall when !HasName => "params.name must be a string: the name of the tool to call.",
                ToolsCall when ArgumentsStart >= 0 && !ArgumentsAreObject => "params.arguments must be a JSON object of the tool's arguments.",
                // Also removed in 2026-07-28 (404 / −32601 from the SDK).
                Initialize when BeforeStatelessProtocol && !HasParams => "initialize needs params: an object with protocolVersion, capabilities and clientInfo.",
                Initialize when BeforeStatelessProtocol && !Init.HasFlag(InitializeMembers.ProtocolVersion) => "params.protocolVersion must be a string: the protocol version the client wants, for example '2025-11-25'.",
                Initialize when BeforeStatelessProtocol && !Init.HasFlag(InitializeMembers.Capabilities) => "params.capabilities must be a JSON object: the client's capabilities ({} for none).",
                Initialize when BeforeStatelessProtocol && !Init.HasFlag(InitializeMembers.ClientInfo) => "params.clientInfo must be a JSON object with string name and version members.",
                "resources/read" when !UriIsString => "params.uri must be a string: the URI of the resource.",
                // Removed in 2026-07-28 (SEP-2575), where the SDK answers them with 404 / −32601 as that revision requires.
                "resources/subscribe" or "resources/unsubscribe" when !UriIsString && BeforeStatelessProtocol => "params.uri must be a string: the URI of the resource.",
                "tools/list" or "prompts/list" or "resources/list" or "resources/templates/list" when CursorNotString => "params.cursor must be a string: the nextCursor of the previous page.",
                PromptsGet when !HasName => "params.name must be a string: the name of the prompt to get.",
                PromptsGet when (ArgumentsStart >= 0 && !ArgumentsAreObject) || ArgumentValueNotString => "params.arguments must be a JSON object of strings: MCP passes prompt arguments as strings.",
                Complete when !HasParams => "completion/complete needs params: an object with ref and argument.",
                Complete when Completion.HasFlag(CompletionMembers.Checked) && !Completion.HasFlag(CompletionMembers.Ref) =>
                    "params.ref must be a JSON object of strings: {\"type\":\"ref/prompt\",\"name\":\"<prompt>\"} or {\"type\":\"ref/resource\",\"uri\":\"<URI template>\"}.",
                Complete when Completion.HasFlag(CompletionMembers.Checked) && !Completion.HasFlag(CompletionMembers.Argument) =>
                    "params.argument must be a JSON object with string name and value: the argument to complete and what has been typed so far.",
                Complete when Completion.HasFlag(CompletionMembers.ContextInvalid) => "params.context must be a JSON object whose arguments are strings.",
                // Removed in 2026-07-28, where the SDK answers it with 404 / −32601 as that revision requires.
                "logging/setLevel" when !LevelIsKnown && BeforeStatelessProtocol => "params.level must be one of debug, info, notice, warning, error, critical, alert, emergency.",
                _ => null,
            };
        }
    }

    /// <summary>Whether the request is on a protocol before 2026-07-28, which removed <c>initialize</c> and <c>logging/setLevel</c>.</summary>
    private bool BeforeStatelessProtocol => string.CompareOrdinal(ProtocolVersion, McpProtocolVersions.Mrtr) < 0;

    /// <summary>Which members of <c>initialize</c> params are present with the type MCP requires.</summary>
    private InitializeMembers Init { get; set; }

    /// <summary>Whether <c>params.uri</c> is a string (resources/read).</summary>
    private bool UriIsString { get; set; }

    /// <summary>Whether <c>params.cursor</c> is present and not a string (the list methods).</summary>
    private bool CursorNotString { get; set; }

    /// <summary>Whether <c>params.cursor</c> is a string: the request asks for a page after the first (the list methods).</summary>
    public bool HasCursor { get; private set; }

    /// <summary>Whether <c>params.level</c> is one of the syslog levels MCP logging uses (logging/setLevel).</summary>
    private bool LevelIsKnown { get; set; }

    /// <summary>Which members of <c>completion/complete</c> params have the shape MCP requires (checked when the method comes before params).</summary>
    private CompletionMembers Completion { get; set; }

    /// <summary>Whether a prompt argument is not a string (prompts/get; checked when the method comes before params, as clients send it).</summary>
    private bool ArgumentValueNotString { get; set; }

    /// <summary>The first member given twice, as a sentence for the caller.</summary>
    private string? Ambiguity { get; set; }

    private string? NotAnObject { get; set; }

    /// <summary>What is wrong with the <c>id</c> member: MCP requests carry a string or an integer.</summary>
    private string? IdProblem { get; set; }

    /// <summary>The members read so far, to find one given twice.</summary>
    private Member Seen { get; set; }

    private bool HasParams { get; set; }

    private bool HasName { get; set; }

    private int ArgumentsStart { get; set; } = -1;

    private int ArgumentsLength { get; set; }

    private bool ArgumentsAreObject { get; set; }

    /// <summary>What is wrong with <c>params</c> whatever the method (set while reading).</summary>
    private string? ParamsProblem { get; set; }

    /// <summary>Whether a string of the body is not Unicode (its arguments are then not recorded: no JSON writer can write them).</summary>
    private bool NotUnicode { get; set; }

    /// <summary>Where the body stops being UTF-8, when it does; -1 when it is valid.</summary>
    private int InvalidUtf8At { get; init; } = -1;

    /// <summary>
    /// Reads the envelope; returns <see langword="null"/> when the body is valid JSON but not an object (the MCP handler reports
    /// that). A body that is not valid JSON gives an envelope with <see cref="ParseError"/> and whatever was read before the error.
    /// </summary>
    public static JsonRpcEnvelope? TryRead(ReadOnlySpan<byte> body)
    {
        // The JSON reader does not check that strings are UTF-8; the SDK fails on those that are not with a bare internal error
        // (or a response cut off after it started). Checked up front, vectorized; the message is read on regardless, for the record.
        var invalidUtf8At = Utf8.IsValid(body) ? -1 : InvalidUtf8Index(body);
        var envelope = new JsonRpcEnvelope { InvalidUtf8At = invalidUtf8At, NotUnicode = invalidUtf8At >= 0 };
        try
        {
            // The SDK reads messages with the same limits: no comments, no trailing data, at most 64 levels.
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
            if (!reader.Read())
            {
                return null;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                // Valid JSON first (a parse error wins, as for an object), then: not something MCP sends.
                var batch = reader.TokenType == JsonTokenType.StartArray;
                reader.Skip();
                reader.Read();
                envelope.NotAnObject = batch
                    ? "the body is a JSON array (a JSON-RPC batch); MCP does not use batches since protocol 2025-06-18. Send one JSON-RPC message, a JSON object, per request."
                    : "the body must be one JSON-RPC message: a JSON object.";
                return envelope;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("method"u8))
                {
                    envelope.See(Member.Method, "method");
                    reader.Read();
                    envelope.Method = reader.TokenType == JsonTokenType.String ? envelope.ReadString(ref reader) : null;
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    envelope.See(Member.Id, "id");
                    reader.Read();
                    envelope.Id = envelope.ReadId(ref reader);
                    if (envelope.Id is null)
                    {
                        // The SDK accepts what MCP allows: a string, or an integer that fits in 64 bits.
                        envelope.IdProblem = reader.TokenType == JsonTokenType.Null
                            ? "the JSON-RPC id must not be null; a request carries a string or an integer id, and a notification has no id member."
                            : "the JSON-RPC id must be a string or an integer (64-bit).";
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("params"u8))
                {
                    envelope.See(Member.Params, "params");
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        envelope.HasParams = true;
                        ReadParams(ref reader, envelope);
                    }
                    else
                    {
                        envelope.ParamsProblem = reader.TokenType == JsonTokenType.Null ? null : "params must be a JSON object.";
                        reader.Skip();
                    }
                }
                else
                {
                    var jsonRpc = reader.ValueTextEquals("jsonrpc"u8);
                    if (jsonRpc)
                    {
                        envelope.See(Member.JsonRpc, "jsonrpc");
                    }

                    reader.Read();
                    if (jsonRpc)
                    {
                        envelope.JsonRpcIs20 = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("2.0"u8);
                    }

                    reader.Skip();
                }
            }

            // Past the object's end: only whitespace may follow (the reader throws on anything else).
            reader.Read();
            if (envelope.ParseError is null && envelope.InvalidUtf8At >= 0)
            {
                envelope.ParseError = envelope.InvalidUtf8;
            }

            if (envelope.ParseError is null && FindUnpairedSurrogate(body) is { } notUnicode)
            {
                envelope.ParseError = notUnicode;
                envelope.NotUnicode = true;
            }

            return envelope;
        }
        catch (JsonException ex)
        {
            envelope.ParseError = ex.Message;
            return envelope;
        }
        catch (InvalidOperationException) when (FindUnpairedSurrogate(body) is { } notUnicode)
        {
            // Comparing a property name or value whose \u escapes are an unpaired surrogate throws (the reader cannot unescape
            // it): such a body is not Unicode, a parse error like the one found after reading — with what was read before it.
            envelope.ParseError ??= envelope.InvalidUtf8At >= 0 ? envelope.InvalidUtf8 : notUnicode;
            envelope.NotUnicode = true;
            return envelope;
        }
    }

    /// <summary>Reads a method, id or tool name; one whose <c>\u</c> escapes are not valid UTF-16 is a parse error, and reading goes on.</summary>
    private string? ReadString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            ParseError ??= InvalidUtf8At >= 0 ? InvalidUtf8 : UnpairedSurrogate;
            NotUnicode = true;
            return null;
        }
    }

    private string InvalidUtf8 => $"the body is not valid UTF-8 (an invalid byte sequence at byte {InvalidUtf8At}); MCP messages are UTF-8.";

    private static int InvalidUtf8Index(ReadOnlySpan<byte> body)
    {
        var index = 0;
        while (index < body.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(body[index..], out _, out var consumed) != OperationStatus.Done)
            {
                return index;
            }

            index += consumed;
        }

        return -1;
    }

    /// <summary>The id as raw JSON when it is one MCP allows (a string, or an integer that fits in 64 bits, as the SDK reads it), else <see langword="null"/>.</summary>
    private string? ReadId(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => ReadString(ref reader) is { } id ? JsonSerializer.Serialize(id) : null,
        JsonTokenType.Number when reader.TryGetInt64(out _) => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        _ => null,
    };

    /// <summary>
    /// Finds a string whose <c>\u</c> escapes decode to an unpaired UTF-16 surrogate. Such JSON is well-formed, but its strings
    /// are not Unicode: the SDK fails on them with a bare internal error and no JSON writer can write them back. Only bodies that
    /// contain a surrogate escape at all are read a second time.
    /// </summary>
    private static string? FindUnpairedSurrogate(ReadOnlySpan<byte> body)
    {
        if (body.IndexOf("\\ud"u8) < 0 && body.IndexOf("\\uD"u8) < 0)
        {
            return null;
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        char[]? rented = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped)
                {
                    continue;
                }

                var length = reader.ValueSpan.Length;
                if (rented is null || rented.Length < length)
                {
                    if (rented is not null)
                    {
                        ArrayPool<char>.Shared.Return(rented);
                    }

                    rented = ArrayPool<char>.Shared.Rent(length);
                }

                try
                {
                    reader.CopyString(rented);
                }
                catch (InvalidOperationException)
                {
                    return $"{UnpairedSurrogate[..^1]} (the string at byte {reader.TokenStartIndex}).";
                }
            }

            return null;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The <c>tools/call</c> a request's headers declare (<c>Mcp-Method</c> and <c>Mcp-Name</c>, base64-encoded as the SDK
    /// encodes names that are not plain ASCII), for the record of a call refused before its body was received; otherwise
    /// <see langword="null"/>.
    /// </summary>
    public static JsonRpcEnvelope? DeclaredToolCall(string method, string name) =>
        method.Trim() == ToolsCall ? new JsonRpcEnvelope { Method = ToolsCall, Name = ModelContextProtocol.Protocol.McpHeaderEncoder.DecodeValue(name.Trim()) } : null;

    /// <summary>
    /// Reads the method, id and tool name from the start of a body that is refused unread (too large): a forward-only pass that
    /// stops where the data or the JSON ends. Returns <see langword="null"/> when the prefix does not start a JSON object.
    /// </summary>
    public static JsonRpcEnvelope? ReadPrefix(ReadOnlySpan<byte> prefix)
    {
        var reader = new Utf8JsonReader(prefix, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 }));
        var envelope = new JsonRpcEnvelope();
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            ReadPrefixMembers(ref reader, envelope, inParams: false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // What was read before the JSON broke is all there is.
        }

        return envelope;
    }

    /// <summary>Reads members until the object or the data ends: <c>method</c>, <c>id</c>, <c>params</c> at the top, <c>name</c> in params.</summary>
    private static bool ReadPrefixMembers(ref Utf8JsonReader reader, JsonRpcEnvelope envelope, bool inParams)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = inParams
                ? (reader.ValueTextEquals("name"u8) ? Member.Name : 0)
                : reader.ValueTextEquals("method"u8) ? Member.Method : reader.ValueTextEquals("id"u8) ? Member.Id : reader.ValueTextEquals("params"u8) ? Member.Params : 0;
            if (!reader.Read())
            {
                return false;
            }

            switch (member)
            {
                case Member.Method when reader.TokenType == JsonTokenType.String:
                    envelope.Method = envelope.ReadString(ref reader);
                    break;
                case Member.Name when reader.TokenType == JsonTokenType.String:
                    envelope.Name = envelope.ReadString(ref reader);
                    break;
                case Member.Id:
                    envelope.Id = envelope.ReadId(ref reader);
                    if (!reader.TrySkip())
                    {
                        return false;
                    }

                    break;
                case Member.Params when reader.TokenType == JsonTokenType.StartObject:
                    if (!ReadPrefixMembers(ref reader, envelope, inParams: true))
                    {
                        return false;
                    }

                    break;
                default:
                    if (!reader.TrySkip())
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    private void See(Member member, string name)
    {
        if ((Seen & member) != 0)
        {
            Ambiguity ??= $"the JSON-RPC message has more than one \"{name}\" member; send each member once.";
        }

        Seen |= member;
    }

    /// <summary>Parses the <c>params.arguments</c> object out of <paramref name="body"/>; only used for refused calls, which are rare.</summary>
    public IDictionary<string, JsonElement>? ReadArguments(ReadOnlySpan<byte> body)
    {
        if (ArgumentsStart < 0 || ArgumentsStart + ArgumentsLength > body.Length || NotUnicode)
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

            // A name given twice keeps its last value, as the SDK's own parsing of the arguments does.
            var arguments = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                arguments[property.Name] = property.Value.Clone();
            }

            return arguments;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // not JSON, or a string that is not Unicode: nothing a record can hold
        }
    }

    private static void ReadParams(ref Utf8JsonReader reader, JsonRpcEnvelope envelope)
    {
        var completion = envelope.Method == Complete;
        if (completion)
        {
            envelope.Completion |= CompletionMembers.Checked;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (completion && (reader.ValueTextEquals("ref"u8) || reader.ValueTextEquals("argument"u8) || reader.ValueTextEquals("context"u8)))
            {
                ReadCompletionMember(ref reader, envelope);
                continue;
            }

            if (reader.ValueTextEquals("name"u8))
            {
                envelope.See(Member.Name, "params.name");
                reader.Read();
                envelope.HasName = reader.TokenType == JsonTokenType.String;
                envelope.Name = envelope.HasName ? envelope.ReadString(ref reader) : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                envelope.See(Member.Arguments, "params.arguments");
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                envelope.ArgumentsAreObject = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.Null;
                if (envelope.Method == PromptsGet && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        reader.Read();
                        envelope.ArgumentValueNotString |= reader.TokenType != JsonTokenType.String;
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Skip();
                }

                envelope.ArgumentsStart = start;
                envelope.ArgumentsLength = (int)reader.BytesConsumed - start;
            }
            else if (reader.ValueTextEquals("uri"u8))
            {
                // Given twice, the stage could authorize one resource and the SDK read another.
                envelope.See(Member.Uri, "params.uri");
                reader.Read();
                envelope.UriIsString = reader.TokenType == JsonTokenType.String;
                envelope.Uri = envelope.UriIsString ? envelope.ReadString(ref reader) : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("cursor"u8))
            {
                reader.Read();
                envelope.CursorNotString = reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null);
                envelope.HasCursor = reader.TokenType == JsonTokenType.String;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("level"u8))
            {
                reader.Read();
                envelope.LevelIsKnown = reader.TokenType == JsonTokenType.String && IsLoggingLevel(ref reader);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("protocolVersion"u8))
            {
                reader.Read();
                envelope.Note(InitializeMembers.ProtocolVersion, reader.TokenType == JsonTokenType.String);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("capabilities"u8))
            {
                reader.Read();
                envelope.Note(InitializeMembers.Capabilities, reader.TokenType == JsonTokenType.StartObject);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("clientInfo"u8))
            {
                reader.Read();
                envelope.Note(InitializeMembers.ClientInfo, reader.TokenType == JsonTokenType.StartObject && HasNameAndVersion(ref reader));
                reader.Skip();
            }
            else if (reader.ValueTextEquals("requestState"u8) || reader.ValueTextEquals("inputResponses"u8))
            {
                // The answer to an input-required result (2026-07-28, SEP-2322): the state as the server sent it, the answers by key.
                var state = reader.ValueTextEquals("requestState"u8);
                reader.Read();
                if (reader.TokenType != JsonTokenType.Null && reader.TokenType != (state ? JsonTokenType.String : JsonTokenType.StartObject))
                {
                    envelope.ParamsProblem ??= state
                        ? "params.requestState must be a string: the requestState of the server's input-required result, unchanged."
                        : "params.inputResponses must be a JSON object: the answers to the server's input requests, by their keys.";
                }

                reader.Skip();
            }
            else if (reader.ValueTextEquals("_meta"u8))
            {
                envelope.See(Member.Meta, "params._meta");
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.Null))
                {
                    envelope.ParamsProblem = "params._meta must be a JSON object.";
                    reader.Skip();
                }
                else if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadMeta(ref reader, envelope);
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>
    /// Reads <c>params._meta</c> (the reader is on its start) to its end. A <c>progressToken</c> must be a string or a number
    /// (MCP's <c>ProgressToken</c>): the SDK takes any JSON value and puts it in the progress notifications it sends, where a
    /// client cannot match it to its request.
    /// </summary>
    private static void ReadMeta(ref Utf8JsonReader reader, JsonRpcEnvelope envelope)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var progressToken = reader.ValueTextEquals("progressToken"u8);
            reader.Read();
            if (progressToken && reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number or JsonTokenType.Null))
            {
                envelope.ParamsProblem ??= "params._meta.progressToken must be a string or a number: the token the progress notifications of the request carry.";
            }

            reader.Skip();
        }
    }

    /// <summary>Reads <c>ref</c>, <c>argument</c> or <c>context</c> of <c>completion/complete</c> params (the reader is on the member's name).</summary>
    private static void ReadCompletionMember(ref Utf8JsonReader reader, JsonRpcEnvelope envelope)
    {
        var member = reader.ValueTextEquals("ref"u8) ? CompletionMembers.Ref : reader.ValueTextEquals("argument"u8) ? CompletionMembers.Argument : CompletionMembers.ContextInvalid;
        reader.Read();
        if (member == CompletionMembers.ContextInvalid)
        {
            if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.Null) || (reader.TokenType == JsonTokenType.StartObject && !ContextArgumentsAreStrings(ref reader)))
            {
                envelope.Completion |= CompletionMembers.ContextInvalid;
            }

            reader.Skip();
            return;
        }

        string? type = null;
        bool name = false, value = false, uri = false, notString = false;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.ValueTextEquals("type"u8) ? 1 : reader.ValueTextEquals("name"u8) ? 2 : reader.ValueTextEquals("value"u8) ? 3 : reader.ValueTextEquals("uri"u8) ? 4 : reader.ValueTextEquals("title"u8) ? 5 : 0;
                reader.Read();
                var isString = reader.TokenType == JsonTokenType.String;
                switch (key)
                {
                    case 1 when isString: type = reader.ValueTextEquals("ref/prompt"u8) ? "prompt" : reader.ValueTextEquals("ref/resource"u8) ? "resource" : "other"; break;
                    case 2: name = isString; break;
                    case 3: value = isString; break;
                    case 4: uri = isString; break;
                }

                // The SDK reads every member of a reference it knows as a string, whichever kind of reference it is: a number
                // in the uri of a prompt reference failed there with −32603.
                notString |= key is 1 or 2 or 4 or 5 && !isString && reader.TokenType != JsonTokenType.Null;
                reader.Skip();
            }
        }
        else
        {
            reader.Skip();
        }

        var valid = member == CompletionMembers.Ref
            ? !notString && ((type == "prompt" && name) || (type == "resource" && uri))
            : name && value;
        envelope.Completion = valid ? envelope.Completion | member : envelope.Completion & ~member;
    }

    /// <summary>Reads a completion context object (the reader is on its start): are its <c>arguments</c>, if any, an object of strings?</summary>
    private static bool ContextArgumentsAreStrings(ref Utf8JsonReader reader)
    {
        var valid = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isArguments = reader.ValueTextEquals("arguments"u8);
            reader.Read();
            if (isArguments && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    reader.Read();
                    valid &= reader.TokenType == JsonTokenType.String;
                    reader.Skip();
                }
            }
            else
            {
                valid &= !isArguments || reader.TokenType == JsonTokenType.Null;
                reader.Skip();
            }
        }

        return valid;
    }

    /// <summary>Reads an object (the reader is on its start) and says whether it has string <c>name</c> and <c>version</c> members.</summary>
    private static bool HasNameAndVersion(ref Utf8JsonReader reader)
    {
        bool name = false, version = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("name"u8);
            var isVersion = reader.ValueTextEquals("version"u8);
            reader.Read();
            name |= isName && reader.TokenType == JsonTokenType.String;
            version |= isVersion && reader.TokenType == JsonTokenType.String;
            reader.Skip();
        }

        return name && version;
    }

    private void Note(InitializeMembers member, bool valid) => Init = valid ? Init | member : Init & ~member;

    private static bool IsLoggingLevel(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("debug"u8) || reader.ValueTextEquals("info"u8) || reader.ValueTextEquals("notice"u8) || reader.ValueTextEquals("warning"u8)
        || reader.ValueTextEquals("error"u8) || reader.ValueTextEquals("critical"u8) || reader.ValueTextEquals("alert"u8) || reader.ValueTextEquals("emergency"u8);

    [Flags]
    private enum CompletionMembers
    {
        Checked = 1,
        Ref = 2,
        Argument = 4,
        ContextInvalid = 8,
    }

    [Flags]
    private enum InitializeMembers
    {
        ProtocolVersion = 1,
        Capabilities = 2,
        ClientInfo = 4,
    }

    [Flags]
    private enum Member
    {
        JsonRpc = 1,
        Method = 2,
        Id = 4,
        Params = 8,
        Name = 16,
        Arguments = 32,
        Meta = 64,
        Uri = 128,
    }
}
