using System.ComponentModel;
using McpServices.AspNetCore;
using ModelContextProtocol.Server;

namespace ServiceRootNamespace.Tools;

/// <summary>ToolName tools. Register them in Program.cs: <c>.WithTools&lt;ToolNameTools&gt;()</c>.</summary>
[McpServerToolType]
[RequireScopes("toolnamelower:read")]
public sealed class ToolNameTools
{
    [McpServerTool(Name = "get_toolnamelower", Title = "Get ToolName", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Returns the ToolName item for an id and a quantity.")]
    public static ToolNameResult GetToolName([Description("What to look up.")] ToolNameRequest request) =>
        new(request.Id, request.Quantity, $"{request.Quantity} x {request.Id}");
}

/// <summary>The argument of <see cref="ToolNameTools.GetToolName"/>; <see cref="ToolNameRequestValidator"/> checks it before the tool runs.</summary>
/// <param name="Id">The item id, for example ABC-0001.</param>
/// <param name="Quantity">How many, 1 to 100.</param>
public sealed record ToolNameRequest(string Id, int Quantity);

/// <summary>The result of <see cref="ToolNameTools.GetToolName"/>.</summary>
/// <param name="Id">The item id.</param>
/// <param name="Quantity">The quantity.</param>
/// <param name="Summary">A one-line summary.</param>
public sealed record ToolNameResult(string Id, int Quantity, string Summary);
