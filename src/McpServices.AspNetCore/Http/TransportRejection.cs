using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.AspNetCore;

namespace McpServices.AspNetCore;

/// <summary>
/// Names the reason the MCP SDK's transport refused a <c>tools/call</c> before the pipeline saw it, for the call's audit record.
/// The SDK writes its JSON-RPC error straight to the response, so the reason is found again from the request — only on this
/// rare path, never for calls that run. A reason the checks below do not recognize leaves the record with the HTTP status alone.
/// The HTTP stage also asks before it answers a message itself (an unknown tool, method or prompt): the transport's objections
/// come first. Its checks, in the order the SDK makes them: the protocol version header; on 2026-07-28 the <c>_meta</c> version
/// for requests, the <c>Mcp-Method</c> header for every message, the <c>Mcp-Name</c> header for the messages that name their
/// target (<c>tools/call</c> and <c>prompts/get</c> by name; <c>resources/read</c>, by URI, is never asked about), the
/// <c>_meta</c> capabilities for requests, and whether the service speaks 2026-07-28 at all (a stateful one does not); before
/// 2026-07-28, on a service that keeps sessions, the session id for every request but <c>initialize</c>, and on a stateless
/// one, no session id.
/// </summary>
internal static class TransportRejection
{
    private const string MetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
    private const string MetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
    private const int MaxQuoted = 100;
    private const string Base64Prefix = "=?base64?";
    private const string Base64Suffix = "?=";

    /// <summary>Returns what was wrong with the request, or <see langword="null"/> when none of the transport's known checks explains it.</summary>
    public static string? Describe(HttpRequest request, JsonRpcEnvelope envelope, ReadOnlySpan<byte> body, HttpServerSessionMode mode)
    {
        var version = request.Headers[McpHeaders.ProtocolVersion].ToString();
        if (version != McpProtocolVersions.Mrtr)
        {
            if (UnservedVersion(request, mode) is { } unserved)
            {
                return NotSpoken(unserved, mode);
            }

            // Before 2026-07-28, a service that keeps sessions takes every request but initialize within one, and a stateless
            // service refuses a session id (one from a stateful replica, or made up) instead of ignoring it.
            var session = request.Headers[McpHeaders.SessionId].ToString();
            if (mode == HttpServerSessionMode.Stateless)
            {
                return session.Length > 0 ? $"the service keeps no sessions, and the request carries an {McpHeaders.SessionId} header: send requests without it" : null;
            }

            return envelope.Method != JsonRpcEnvelope.Initialize && session.Length == 0
                ? $"the service keeps sessions, and the request has no {McpHeaders.SessionId} header: send initialize first, then the session id it returns with every request"
                : null;
        }

        // 2026-07-28: the version and the client's capabilities travel in a request's _meta, and the method and tool name in
        // headers too (so that gateways can route and authorize without reading the body); the transport refuses a request where
        // they are missing or disagree, and a fully stateful service refuses the version itself. The order is the SDK's, so that
        // a request with several faults is recorded with the one its client was told: the _meta version, the Mcp-Method and
        // Mcp-Name headers, the capabilities, then the version itself.
        var hasCapabilities = true;
        if (!envelope.IsNotification)
        {
            (var metaVersion, hasCapabilities) = ReadMeta(body);
            if (metaVersion is null)
            {
                return $"a {McpProtocolVersions.Mrtr} request must carry the protocol version in params._meta[\"{MetaProtocolVersion}\"]";
            }

            if (metaVersion != version)
            {
                return $"the MCP-Protocol-Version header {Quote(version)} does not match params._meta[\"{MetaProtocolVersion}\"] {Quote(metaVersion)}";
            }
        }

        if (FindMirrorFault(request, envelope, required: true) is { } mirror)
        {
            return mirror.Fault switch
            {
                MirrorFault.Missing => $"the {mirror.Header} header, required with protocol {McpProtocolVersions.Mrtr}, is missing",
                MirrorFault.NotBase64 => $"the {mirror.Header} header {Quote(mirror.Value!)} is not valid Base64 inside =?base64?…?=",
                _ => $"the {mirror.Header} header {Quote(mirror.Value!)} does not match the {mirror.What} in the body {Quote(mirror.InBody ?? string.Empty)}",
            };
        }

        if (!hasCapabilities)
        {
            return $"a {McpProtocolVersions.Mrtr} request must carry the client's capabilities as an object in params._meta[\"{MetaClientCapabilities}\"]";
        }

        return McpProtocolVersions.Served(mode).Contains(version) ? null : NotSpoken(version, mode) + " (a stateful service: use the initialize handshake)";
    }

    /// <summary>
    /// Returns the request's <c>MCP-Protocol-Version</c> header when the service does not speak that version at all (not when it
    /// is 2026-07-28 on a fully stateful service, which the transport refuses with a message of its own), or
    /// <see langword="null"/>.
    /// </summary>
    public static string? UnservedVersion(HttpRequest request, HttpServerSessionMode mode)
    {
        var version = request.Headers[McpHeaders.ProtocolVersion].ToString();
        return version.Length == 0 || version == McpProtocolVersions.Mrtr || McpProtocolVersions.Served(mode).Contains(version) ? null : version;
    }

    /// <summary>The reason a call's record gives when the service does not speak <paramref name="version"/>.</summary>
    public static string NotSpoken(string version, HttpServerSessionMode mode) =>
        $"the MCP-Protocol-Version header {Quote(version)} is not a protocol version this service speaks ({string.Join(", ", McpProtocolVersions.Served(mode))})";

    /// <summary>
    /// Before 2026-07-28 the transport neither requires nor checks the <c>Mcp-Method</c> and <c>Mcp-Name</c> headers, and runs
    /// what the body says. A request that carries them anyway must agree with its body, as 2026-07-28 requires — a gateway that
    /// authorizes by header would otherwise have allowed one tool while another ran. Returns the refusal's message, in the
    /// transport's words, or <see langword="null"/> when the headers present agree (or none is).
    /// </summary>
    public static string? MirroredHeaderMismatch(HttpRequest request, JsonRpcEnvelope envelope) =>
        FindMirrorFault(request, envelope, required: false) switch
        {
            null => null,
            { Fault: MirrorFault.NotBase64 } mirror => $"Header mismatch: {mirror.Header} header contains invalid Base64 encoding.",
            { } mirror => $"Header mismatch: {mirror.Header} header value {Quote(mirror.Value!)} does not match body value {Quote(mirror.InBody ?? string.Empty)}.",
        };

    /// <summary>How a header that mirrors the message disagrees with its body.</summary>
    private enum MirrorFault
    {
        Missing,
        NotBase64,
        Differs,
    }

    /// <summary>A header that mirrors the message, what it says, what the body says, and how they disagree.</summary>
    private readonly record struct Mirror(string Header, string? Value, string? InBody, string What, MirrorFault Fault);

    /// <summary>
    /// The first header that disagrees with the body, in the transport's order: <c>Mcp-Method</c> for every message, then
    /// <c>Mcp-Name</c> for the messages that name their target (<c>tools/call</c> and <c>prompts/get</c>). A header left out is a
    /// fault only where it is <paramref name="required"/> (2026-07-28).
    /// </summary>
    private static Mirror? FindMirrorFault(HttpRequest request, JsonRpcEnvelope envelope, bool required)
    {
        return Check(McpHeaders.Method, envelope.Method, "method")
            ?? (envelope.Method is JsonRpcEnvelope.ToolsCall or JsonRpcEnvelope.PromptsGet ? Check(McpHeaders.Name, envelope.Name, envelope.IsToolCall ? "tool name" : "prompt name") : null);

        Mirror? Check(string header, string? inBody, string what)
        {
            var value = request.Headers[header];
            if (value.Count == 0)
            {
                return required ? new Mirror(header, null, inBody, what, MirrorFault.Missing) : null;
            }

            var text = value.ToString();
            return Named(header, text) switch
            {
                null => new Mirror(header, text, inBody, what, MirrorFault.NotBase64),
                var meant when meant == inBody => null,
                _ => new Mirror(header, text, inBody, what, MirrorFault.Differs),
            };
        }
    }

    /// <summary>
    /// What a mirrored header names: its value, or for <c>Mcp-Name</c> in its Base64 form (<c>=?base64?…?=</c>, for a name that
    /// is not plain ASCII) the decoded name, as the transport compares it; <see langword="null"/> when that form is not valid Base64.
    /// </summary>
    private static string? Named(string header, string text) =>
        header == McpHeaders.Name && text.Length >= Base64Prefix.Length + Base64Suffix.Length
            && text.StartsWith(Base64Prefix, StringComparison.Ordinal) && text.EndsWith(Base64Suffix, StringComparison.Ordinal)
            ? DecodeBase64(text.AsSpan(Base64Prefix.Length, text.Length - Base64Prefix.Length - Base64Suffix.Length))
            : text;

    private static string? DecodeBase64(ReadOnlySpan<char> encoded)
    {
        var bytes = new byte[(encoded.Length * 3 / 4) + 3];
        return Convert.TryFromBase64Chars(encoded, bytes, out var written) ? System.Text.Encoding.UTF8.GetString(bytes, 0, written) : null;
    }

    /// <summary>Quotes a client-supplied value, cut to a length that keeps audit records small (never inside a surrogate pair).</summary>
    private static string Quote(string value) =>
        value.Length <= MaxQuoted ? $"'{value}'" : $"'{value[..(char.IsHighSurrogate(value[MaxQuoted - 1]) ? MaxQuoted - 1 : MaxQuoted)]}…'";

    private static (string? Version, bool HasCapabilities) ReadMeta(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (!document.RootElement.TryGetProperty("params", out var parameters) || parameters.ValueKind != JsonValueKind.Object
                || !parameters.TryGetProperty("_meta", out var meta) || meta.ValueKind != JsonValueKind.Object)
            {
                return (null, false);
            }

            var version = meta.TryGetProperty(MetaProtocolVersion, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return (version, meta.TryGetProperty(MetaClientCapabilities, out var capabilities) && capabilities.ValueKind == JsonValueKind.Object);
        }
        catch (JsonException)
        {
            return (null, false);
        }
    }
}
