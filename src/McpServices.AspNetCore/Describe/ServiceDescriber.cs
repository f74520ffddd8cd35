using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore;

/// <summary>
/// Produces the service's self-description: a deterministic JSON document (stable property and tool order) that is the single source
/// for Kubernetes manifests, the tool contract and registry metadata. The format is documented in <c>docs/self-description.md</c>.
/// </summary>
internal sealed class ServiceDescriber(ServiceIdentity identity, IOptions<McpServiceOptions> options, ToolCatalog catalog)
{
    public const string SchemaVersion = "mcpservices.io/service-description/v1";

    private static readonly string[] InitializeProtocolVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
    private static readonly string[] StatelessProtocolVersions = [.. InitializeProtocolVersions, "2026-07-28"];

    public string DescribeToString()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Describe(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public void Describe(IBufferWriter<byte> output)
    {
        var o = options.Value;
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("schemaVersion", SchemaVersion);
        w.WriteString("name", identity.Name);
        w.WriteString("version", identity.Version);
        WriteNullableString(w, "description", identity.Description);

        w.WriteStartObject("endpoints");
        w.WriteString("mcp", o.Path);
        w.WriteString("live", o.LivenessPath);
        w.WriteString("ready", o.ReadinessPath);
        w.WriteEndObject();

        w.WriteStartObject("transport");
        w.WriteString("type", "streamable-http");
        w.WriteString("sessionMode", o.SessionMode switch
        {
            HttpServerSessionMode.Stateless => "stateless",
            HttpServerSessionMode.Stateful => "stateful",
            _ => "stateful-for-initialize-clients",
        });
        w.WriteStartArray("protocolVersions");
        foreach (var version in o.SessionMode == HttpServerSessionMode.Stateful ? InitializeProtocolVersions : StatelessProtocolVersions)
        {
            w.WriteStringValue(version);
        }

        w.WriteEndArray();
        w.WriteNumber("maxRequestBodySize", o.MaxRequestBodySize);
        w.WriteNumber("drainTimeoutSeconds", (long)o.DrainTimeout.TotalSeconds);
        w.WriteEndObject();

        w.WriteStartArray("tools");
        foreach (var tool in catalog.Tools)
        {
            WriteTool(w, tool);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.Write("\n"u8);
    }

    private static void WriteTool(Utf8JsonWriter w, ToolDescriptor descriptor)
    {
        var tool = descriptor.ProtocolTool;
        w.WriteStartObject();
        w.WriteString("name", tool.Name);
        WriteNullableString(w, "title", tool.Title ?? tool.Annotations?.Title);
        WriteNullableString(w, "description", tool.Description);
        w.WritePropertyName("inputSchema");
        tool.InputSchema.WriteTo(w);
        w.WritePropertyName("outputSchema");
        if (tool.OutputSchema is { } outputSchema)
        {
            outputSchema.WriteTo(w);
        }
        else
        {
            w.WriteNullValue();
        }

        // Effective hints: the MCP defaults apply where a tool does not say (destructive and open-world unless declared otherwise).
        var annotations = tool.Annotations ?? new ToolAnnotations();
        var readOnly = annotations.ReadOnlyHint ?? false;
        w.WriteStartObject("annotations");
        w.WriteBoolean("readOnly", readOnly);
        w.WriteBoolean("destructive", !readOnly && (annotations.DestructiveHint ?? true));
        w.WriteBoolean("idempotent", readOnly || (annotations.IdempotentHint ?? false));
        w.WriteBoolean("openWorld", annotations.OpenWorldHint ?? true);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteNullableString(Utf8JsonWriter w, string name, string? value)
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
