using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.Auditing;

/// <summary>
/// The exact bytes of an <c>mcpservices.io/audit/v1</c> record. Tools that read audit files (and the verify command) depend on
/// them, so the serializer's output is pinned here byte for byte: any change to the format must be a new schema version.
/// </summary>
public sealed class AuditRecordFormatTests
{
    [Fact]
    public void ALargeResult_IsMeasured_WithoutKeepingItsSizeInMemory()
    {
        var identity = new ServiceIdentity(Options.Create(new McpServiceOptions { Name = "inventory", Version = "1.2.3" }));
        var serializer = new AuditRecordSerializer(identity, new McpServiceAuditOptions());
        var text = new string('x', 4 * 1024 * 1024);

        var record = serializer.Serialize(new AuditEntry
        {
            Id = "0193a5e0c2b87d3f9a1b2c3d4e5f6a7d",
            Time = DateTimeOffset.UnixEpoch,
            Caller = CallerIdentity.Create(null, null),
            Tool = "export",
            Outcome = ToolCallOutcome.Succeeded,
            DurationMs = 1,
            Result = new CallToolResult { Content = [new TextContentBlock { Text = text }] },
        });

        using var json = JsonDocument.Parse(record.Json);
        Assert.Equal(text.Length + """{"content":[{"type":"text","text":""}]}""".Length, json.RootElement.GetProperty("resultBytes").GetInt64());
        Assert.True(serializer.MeasureBufferCapacity <= 256 * 1024, $"The measuring buffer kept {serializer.MeasureBufferCapacity} bytes.");
    }

    /// <summary>
    /// On Kubernetes the service listens on a dual-stack socket (<c>ASPNETCORE_HTTP_PORTS=8080</c> binds <c>[::]</c>), where every
    /// IPv4 client appears as an IPv4-mapped IPv6 address. The record names the client as it is known everywhere else.
    /// </summary>
    [Theory]
    [InlineData("::ffff:10.0.0.7", "10.0.0.7")]
    [InlineData("10.0.0.7", "10.0.0.7")]
    [InlineData("2001:db8::7", "2001:db8::7")]
    public void RemoteAddress_IsRecordedAsTheClientsOwnAddress(string connection, string recorded)
    {
        var identity = new ServiceIdentity(Options.Create(new McpServiceOptions { Name = "inventory", Version = "1.2.3" }));
        var serializer = new AuditRecordSerializer(identity, new McpServiceAuditOptions());

        var record = serializer.Serialize(new AuditEntry
        {
            Id = "0193a5e0c2b87d3f9a1b2c3d4e5f6a7e",
            Time = DateTimeOffset.UnixEpoch,
            Caller = CallerIdentity.Create(null, IPAddress.Parse(connection)),
            Tool = "ping",
            Outcome = ToolCallOutcome.Succeeded,
            DurationMs = 1,
        });

        using var json = JsonDocument.Parse(record.Json);
        Assert.Equal(recorded, json.RootElement.GetProperty("source").GetProperty("remoteAddress").GetString());
    }

    [Fact]
    public void Record_IsSerializedExactly_AndChainedToThePreviousOne()
    {
        var identity = new ServiceIdentity(Options.Create(new McpServiceOptions { Name = "inventory", Version = "1.2.3" }));
        var serializer = new AuditRecordSerializer(identity, new McpServiceAuditOptions());
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("iss", "https://login.example.com/"), new Claim("sub", "alice"), new Claim("client_id", "agent-7"), new Claim("scope", "zeta:write inventory:read a\u00e9:x")],
            authenticationType: "Bearer"));
        using var arguments = JsonDocument.Parse("""{"sku":"HAM-0001","note":"<b>\"quoted\"</b> \u00e9","nested":{"n":[1,2.5,true,null]}}""");
        var entry = new AuditEntry
        {
            Id = "0193a5e0c2b87d3f9a1b2c3d4e5f6a7b",
            Time = new DateTimeOffset(2026, 11, 28, 21, 41, 21, TimeSpan.FromHours(1)).AddTicks(8_540_001),
            Caller = CallerIdentity.Create(principal, IPAddress.Parse("10.0.0.7")),
            UserAgent = "agent/1.0 (\"x\")",
            JsonRpcId = "\"req-1\"",
            ProtocolVersion = "2025-11-25",
            TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
            SpanId = "00f067aa0ba902b7",
            Tool = "adjust_stock",
            Descriptor = Known("adjust_stock"),
            ToolVersion = "1.2.3",
            Arguments = arguments.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
            Outcome = ToolCallOutcome.Failed,
            ErrorCode = "tool_error",
            ErrorMessage = "Stock can't go below zero.",
            DurationMs = 1.23456,
            Result = new CallToolResult { Content = [new TextContentBlock { Text = "no" }], IsError = true },
        };

        var first = serializer.Serialize(entry);
        var second = serializer.Serialize(new AuditEntry
        {
            Id = "0193a5e0c2b87d3f9a1b2c3d4e5f6a7c",
            Time = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Caller = CallerIdentity.Create(null, null),
            Tool = "unknown_tool",
            Outcome = ToolCallOutcome.Denied,
            ErrorCode = "authentication_required",
            DurationMs = 0,
        });

        var body1 =
            "{\"schema\":\"mcpservices.io/audit/v1\",\"id\":\"0193a5e0c2b87d3f9a1b2c3d4e5f6a7b\",\"time\":\"2026-11-28T20:41:21.8540001Z\"," +
            $"\"service\":{{\"name\":\"inventory\",\"version\":\"1.2.3\",\"instance\":\"{identity.InstanceId}\"}}," +
            "\"actor\":{\"subject\":\"alice\",\"issuer\":\"https://login.example.com/\",\"clientId\":\"agent-7\",\"authenticationMethod\":\"jwt\",\"scopes\":[\"a\\u00E9:x\",\"inventory:read\",\"zeta:write\"],\"apiKeyId\":null}," +
            "\"source\":{\"remoteAddress\":\"10.0.0.7\",\"userAgent\":\"agent/1.0 (\\u0022x\\u0022)\"}," +
            "\"request\":{\"jsonRpcId\":\"req-1\",\"protocolVersion\":\"2025-11-25\",\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00f067aa0ba902b7\"}," +
            "\"target\":{\"tool\":\"adjust_stock\",\"version\":\"1.2.3\"}," +
            "\"arguments\":{\"sku\":\"HAM-0001\",\"note\":\"\\u003Cb\\u003E\\u0022quoted\\u0022\\u003C/b\\u003E \\u00E9\",\"nested\":{\"n\":[1,2.5,true,null]}}," +
            "\"outcome\":\"failed\",\"error\":{\"code\":\"tool_error\",\"message\":\"Stock can\\u0027t go below zero.\"}," +
            "\"durationMs\":1.235,\"resultBytes\":56," +
            $"\"prevHash\":\"{AuditRecordSerializer.Genesis}\"}}";
        Assert.Equal(WithHash(body1), Encoding.UTF8.GetString(first.Json.Span));
        Assert.Equal(HashOf(body1), first.Hash);

        var body2 =
            "{\"schema\":\"mcpservices.io/audit/v1\",\"id\":\"0193a5e0c2b87d3f9a1b2c3d4e5f6a7c\",\"time\":\"2026-01-02T03:04:05.0000000Z\"," +
            $"\"service\":{{\"name\":\"inventory\",\"version\":\"1.2.3\",\"instance\":\"{identity.InstanceId}\"}}," +
            "\"actor\":{\"subject\":null,\"issuer\":null,\"clientId\":null,\"authenticationMethod\":\"anonymous\",\"scopes\":[],\"apiKeyId\":null}," +
            "\"source\":{\"remoteAddress\":null,\"userAgent\":null}," +
            "\"request\":{\"jsonRpcId\":null,\"protocolVersion\":null,\"traceId\":null,\"spanId\":null}," +
            "\"target\":{\"tool\":\"unknown_tool\",\"version\":null}," +
            "\"arguments\":null,\"outcome\":\"denied\",\"error\":{\"code\":\"authentication_required\",\"message\":null}," +
            "\"durationMs\":0,\"resultBytes\":null," +
            $"\"prevHash\":\"{first.Hash}\"}}";
        Assert.Equal(WithHash(body2), Encoding.UTF8.GetString(second.Json.Span));
    }

    [Fact]
    public void ArgumentsLargerThanTheLimit_AreRecordedAsTheirSizeAndDigest()
    {
        var serializer = new AuditRecordSerializer(Identity, new McpServiceAuditOptions { MaxArgumentsBytes = 256 });
        var fits = "{\"text\":\"" + new string('a', 256 - 11) + "\"}"; // exactly 256 bytes
        var large = "{\"text\":\"" + new string('a', 300) + "\",\"n\":1}";

        using var kept = JsonDocument.Parse(Encoding.UTF8.GetString(serializer.Serialize(Entry(fits)).Json.Span));
        using var omitted = JsonDocument.Parse(Encoding.UTF8.GetString(serializer.Serialize(Entry(large)).Json.Span));

        Assert.Equal(fits, kept.RootElement.GetProperty("arguments").GetRawText());
        var marker = omitted.RootElement.GetProperty("arguments").GetProperty("$omitted");
        Assert.Equal("too_large", marker.GetProperty("reason").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(large), marker.GetProperty("bytes").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(large))), marker.GetProperty("sha256").GetString());
    }

    /// <summary>
    /// The Kubernetes container runtime splits log lines above 16 KiB. Arguments within <c>MaxArgumentsBytes</c> (16 KiB by
    /// default) took the record past that, so a stdout record of a call with large arguments reached the log pipeline in pieces.
    /// </summary>
    [Fact]
    public void ArgumentsThatWouldTakeTheRecordPast16KiB_AreRecordedAsTheirSizeAndDigest()
    {
        var serializer = new AuditRecordSerializer(Identity, new McpServiceAuditOptions());
        var fits = "{\"text\":\"" + new string('a', 15_000) + "\"}";
        var large = "{\"text\":\"" + new string('a', 16_000) + "\"}"; // within MaxArgumentsBytes, but not with the rest of the record

        var keptLine = serializer.Serialize(Entry(fits)).Json;
        var omittedLine = serializer.Serialize(Entry(large)).Json;
        using var kept = JsonDocument.Parse(keptLine);
        using var omitted = JsonDocument.Parse(omittedLine);

        Assert.Equal(fits, kept.RootElement.GetProperty("arguments").GetRawText());
        Assert.InRange(keptLine.Length, 15_000, AuditRecordSerializer.MaxRecordBytes);
        Assert.InRange(omittedLine.Length, 1, 2048);
        var marker = omitted.RootElement.GetProperty("arguments").GetProperty("$omitted");
        Assert.Equal("too_large", marker.GetProperty("reason").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(large), marker.GetProperty("bytes").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(large))), marker.GetProperty("sha256").GetString());
        Assert.Equal(kept.RootElement.GetProperty("hash").GetString(), omitted.RootElement.GetProperty("prevHash").GetString()); // chained once
    }

    [Fact]
    public void StringsTheCallerChooses_AreCut_AndSaySoWithoutBreakingASurrogatePair()
    {
        var serializer = new AuditRecordSerializer(Identity, new McpServiceAuditOptions());
        var max = AuditRecordSerializer.MaxFieldLength;
        var tool = new string('t', max - 1) + "\U0001F600" + new string('t', 100); // the emoji's pair straddles the limit
        var entry = new AuditEntry
        {
            Id = "0193a5e0c2b87d3f9a1b2c3d4e5f6a7d",
            Time = DateTimeOffset.UnixEpoch,
            Caller = CallerIdentity.Create(null, null),
            UserAgent = new string('u', max + 10),
            JsonRpcId = JsonSerializer.Serialize(new string('i', 5000)),
            ProtocolVersion = new string('p', 20_000),
            Tool = tool,
            Outcome = ToolCallOutcome.Invalid,
            ErrorCode = "unknown_tool",
            ErrorMessage = new string('m', 100_000),
            DurationMs = 0,
        };

        var line = serializer.Serialize(entry).Json;
        using var record = JsonDocument.Parse(line);

        Assert.Equal(new string('u', max) + "…[10 more characters]", record.RootElement.GetProperty("source").GetProperty("userAgent").GetString());
        Assert.Equal(new string('i', max) + "…[4488 more characters]", record.RootElement.GetProperty("request").GetProperty("jsonRpcId").GetString());
        Assert.Equal(new string('p', max) + "…[19488 more characters]", record.RootElement.GetProperty("request").GetProperty("protocolVersion").GetString());
        Assert.Equal(new string('t', max - 1) + "…[102 more characters]", record.RootElement.GetProperty("target").GetProperty("tool").GetString());
        Assert.Equal(new string('m', AuditRecordSerializer.MaxMessageLength) + "…[95904 more characters]", record.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.True(line.Length < 8 * 1024, $"the record has {line.Length} bytes");
    }

    [Fact]
    public void FallbackRecord_LeavesOutTheArgumentsAndResultSize_AndStaysInTheChain()
    {
        var serializer = new AuditRecordSerializer(Identity, new McpServiceAuditOptions());
        // Well-formed JSON whose string is not Unicode: JsonElement.WriteTo throws on it, as any bug in writing arguments might.
        var entry = Entry("""{"text":"\udc00"}""", new CallToolResult { Content = [new TextContentBlock { Text = "ok" }] });
        var previous = serializer.Serialize(Entry("{}"));

        Assert.ThrowsAny<InvalidOperationException>(() => serializer.Serialize(entry));
        var record = serializer.Serialize(entry, fallback: true);

        using var parsed = JsonDocument.Parse(record.Json);
        Assert.Equal("""{"$omitted":{"reason":"unserializable"}}""", parsed.RootElement.GetProperty("arguments").GetRawText());
        Assert.Equal(JsonValueKind.Null, parsed.RootElement.GetProperty("resultBytes").ValueKind);
        Assert.Equal(previous.Hash, parsed.RootElement.GetProperty("prevHash").GetString());
        var lines = string.Join('\n', new[] { previous, record }.Select(r => Encoding.UTF8.GetString(r.Json.Span)));
        Assert.True(AuditVerifier.Verify([("memory", new StringReader(lines))]).Intact);
    }

    private static ServiceIdentity Identity { get; } = new(Options.Create(new McpServiceOptions { Name = "inventory", Version = "1.2.3" }));

    private static AuditEntry Entry(string argumentsJson, CallToolResult? result = null)
    {
        using var arguments = JsonDocument.Parse(argumentsJson);
        return new AuditEntry
        {
            Id = "0193a5e0c2b87d3f9a1b2c3d4e5f6a7e",
            Time = DateTimeOffset.UnixEpoch,
            Caller = CallerIdentity.Create(null, null),
            Tool = "write_note",
            Descriptor = Known("write_note"),
            Arguments = arguments.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
            Outcome = ToolCallOutcome.Succeeded,
            DurationMs = 0,
            Result = result,
        };
    }

    /// <summary>A tool the service has: only calls to such tools record their arguments as sent.</summary>
    private static ToolDescriptor Known(string name)
    {
        var tool = McpServerTool.Create(() => "ok", new McpServerToolCreateOptions { Name = name });
        var options = McpJsonUtilities.DefaultOptions;
        return new ToolDescriptor(tool, source: null, ArgumentPlan.Create(method: null, tool.ProtocolTool.InputSchema, options, new ObjectValidator(options), isService: null));
    }

    private static string HashOf(string body) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));

    private static string WithHash(string body) => body[..^1] + $",\"hash\":\"{HashOf(body)}\"}}";
}
