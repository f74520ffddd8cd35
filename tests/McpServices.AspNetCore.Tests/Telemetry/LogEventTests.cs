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
        var events = typeof(McpServiceOptions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>()
            .Select(a => a.EventId)
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
