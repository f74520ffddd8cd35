using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.TestTools;

public sealed class FailingTools
{
    public string Crash() => throw new InvalidOperationException("Server=db.internal;Password=hunter2 at Secret.Method()");

    public string OutOfStock(string sku) => throw new ToolException($"Only 3 units of {sku} are left.", "insufficient_stock");

    public CallToolResult SoftError() => new() { IsError = true, Content = [new TextContentBlock { Text = "soft failure" }] };
}
