using System.Reflection;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>Everything McpServices knows about one tool, computed once at startup and read on every call.</summary>
internal sealed class ToolDescriptor
{
    public ToolDescriptor(McpServerTool tool, ToolSource? source, ArgumentPlan arguments)
    {
        Tool = tool;
        Source = source;
        Arguments = arguments;
        Name = tool.ProtocolTool.Name;
    }

    public string Name { get; }

    public McpServerTool Tool { get; }

    public Tool ProtocolTool => Tool.ProtocolTool;

    /// <summary>The class and method, when McpServices built the tool (<c>WithTools</c>); <see langword="null"/> for tools registered with the SDK directly.</summary>
    public ToolSource? Source { get; }

    public MethodInfo? Method => Source?.Method ?? Tool.Metadata.OfType<MethodInfo>().FirstOrDefault();

    public ArgumentPlan Arguments { get; }

    public string DisplaySource => Method is { } m ? $"{m.DeclaringType?.FullName}.{m.Name}" : Name;
}
