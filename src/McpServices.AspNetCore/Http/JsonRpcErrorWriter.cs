using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace McpServices.AspNetCore;

/// <summary>Writes a JSON-RPC error response at the HTTP layer (before the MCP handler has started its response).</summary>
internal static class JsonRpcErrorWriter
{
    public static async Task WriteAsync(HttpContext context, int statusCode, int code, string message, Action<Utf8JsonWriter>? writeData = null, string? id = null)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";

        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("jsonrpc", "2.0");
        writer.WritePropertyName("id");
        if (id is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(id, skipInputValidation: false);
        }

        writer.WriteStartObject("error");
        writer.WriteNumber("code", code);
        writer.WriteString("message", message);
        if (writeData is not null)
        {
            writer.WritePropertyName("data");
            writeData(writer);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
