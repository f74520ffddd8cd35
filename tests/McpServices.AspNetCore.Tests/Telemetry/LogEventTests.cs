using System.Reflection;
using System.Text.RegularExpressions;
using McpServices.Tests.Common;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore.Tests.Telemetry;

public sealed partial class LogEventTests
{
    [Fact]
    public void EveryLogEvent_HasAUniqueId_AndIsInTheDocumentedTable()
    {
        // Operators alert on event ids (docs/observability.md); an event that is not in the table, or an id used twice, breaks that.
        // Events are [LoggerMessage] methods, and the refusals any client can repeat (RepeatedRefusals.Messages, three messages
        // under one id each), and the events defined with LoggerMessage.Define under a static EventId field (several messages
        // under one id, which the source generator does not allow).
        var types = typeof(McpServiceOptions).Assembly.GetTypes();
        var events = types
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>()
            .Select(a => a.EventId)
            .Concat(types
                .Where(t => !t.ContainsGenericParameters)
                .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
                .Where(f => f.FieldType == typeof(RepeatedRefusals.Messages))
                .Select(f => ((RepeatedRefusals.Messages)f.GetValue(null)!).EventId.Id))
            .Concat(types
                .Where(t => !t.ContainsGenericParameters)
                .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
                .Where(f => f.FieldType == typeof(EventId))
                .Select(f => ((EventId)f.GetValue(null)!).Id))
            .ToArray();
        Assert.NotEmpty(events);
        Assert.Equal(events.Length, events.Distinct().Count());

        var table = File.ReadAllLines(RepoPaths.Combine("docs", "observability.md"))
            .Select(line => TableRow().Match(line))
            .Where(m => m.Success)
            .SelectMany(m => IdList().Matches(m.Groups["ids"].Value).Select(id => int.Parse(id.Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToHashSet();

        Assert.Equal(events.Order(), table.Order());
    }

    [GeneratedRegex(@"^\| (?<ids>[0-9][0-9 ,/]*) \| (Debug|Information|Warning|Error|Critical)")]
    private static partial Regex TableRow();

    [GeneratedRegex("[0-9]+")]
    private static partial Regex IdList();
}
