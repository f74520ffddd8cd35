using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>A tool whose result no JSON writer can write (a string that is not Unicode), to prove the call still has its record.</summary>
public sealed class UnwritableResultTools(InvocationLog log)
{
    [Description("Returns structured content holding an unpaired surrogate.")]
    public CallToolResult Unwritable()
    {
        log.Record("unwritable");
        using var document = JsonDocument.Parse("""{"text":"\udc00"}""");
        return new CallToolResult { Content = [new TextContentBlock { Text = "ok" }], StructuredContent = document.RootElement.Clone() };
    }
}
