using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Produces the service's self-description: a deterministic JSON document (stable property and tool order) that is the single source
/// for Kubernetes manifests, the tool contract and registry metadata. The format is documented in <c>docs/self-description.md</c>.
/// </summary>
internal sealed class ServiceDescriber(
    ServiceIdentity identity,
    IOptions<McpServiceOptions> options,
    ToolCatalog catalog,
    ToolAuthorizer authorizer,
    PrimitiveAuthorizer primitives,
    IOptions<McpServerOptions> serverOptions,
    ToolRateLimiter rateLimiter,
    McpServiceSettings settings,
    ResourceUrls resourceUrls,
    ProtectedResourceMetadata metadata)
{
    public const string SchemaVersion = "mcpservices.io/service-description/v1";

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
        foreach (var version in McpProtocolVersions.Served(o.SessionMode))
        {
            w.WriteStringValue(version);
        }

        w.WriteEndArray();
        w.WriteNumber("maxRequestBodySize", o.MaxRequestBodySize);
        w.WriteNumber("drainTimeoutSeconds", (long)o.DrainTimeout.TotalSeconds);
        w.WriteEndObject();

        w.WriteStartObject("authentication");
        w.WriteBoolean("enabled", o.Authentication.Enabled);
        if (o.Authentication.Enabled)
        {
            w.WriteStartArray("methods");
            w.WriteStringValue("bearer");
            w.WriteStringValue("api_key");
            w.WriteEndArray();
            w.WriteString("resourceMetadata", resourceUrls.MetadataPaths[0]);
            WriteNullableString(w, "resource", resourceUrls.ConfiguredResource);
            WriteStrings(w, "scopes", primitives.AllScopes(serverOptions.Value));
            WriteStrings(w, "authorizationServers", metadata.GetAuthorizationServers());
        }

        w.WriteEndObject();

        var audit = o.Audit;
        w.WriteStartObject("audit");
        w.WriteBoolean("enabled", audit.Enabled);
        WriteStrings(w, "sinks", audit.EffectiveSinks);
        w.WriteString("failurePolicy", audit.FailurePolicy == AuditFailurePolicy.FailClosed ? "fail-closed" : "fail-open");
        w.WriteString("arguments", audit.Arguments == AuditArgumentsMode.Digest ? "digest" : "redacted");
        w.WriteEndObject();

        w.WriteStartObject("telemetry");
        w.WriteBoolean("enabled", o.Telemetry.Enabled);
        WriteNullableString(w, "prometheus", o.Telemetry.Enabled && o.Telemetry.Prometheus ? o.Telemetry.PrometheusPath : null);
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

    private void WriteTool(Utf8JsonWriter w, ToolDescriptor descriptor)
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

        var access = authorizer.GetAccess(descriptor);
        WriteStrings(w, "sensitiveParameters", Redaction.DeclaredPaths(descriptor));
        w.WriteBoolean("allowAnonymous", access.AllowAnonymous);
        w.WriteBoolean("disabled", access.Disabled);
        WriteStrings(w, "requiredScopes", access.RequiredScopes);
        w.WritePropertyName("rateLimit");
        if (rateLimiter.GetLimit(descriptor.Name) is { PermitsPerPeriod: > 0 } limit)
        {
            w.WriteStartObject();
            w.WriteNumber("permitsPerPeriod", limit.PermitsPerPeriod);
            w.WriteNumber("periodSeconds", limit.Period.TotalSeconds);
            w.WriteNumber("burst", limit.Burst > 0 ? limit.Burst : limit.PermitsPerPeriod);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNullValue();
        }

        w.WritePropertyName("timeoutSeconds");
        if (settings.Current.Timeouts.For(descriptor.Name) is { } timeout)
        {
            w.WriteNumberValue(timeout.TotalSeconds);
        }
        else
        {
            w.WriteNullValue();
        }

        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
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
