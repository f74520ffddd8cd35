using System.ComponentModel;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>A class written for the MCP SDK: only [McpServerTool] methods are tools.</summary>
[McpServerToolType]
public sealed class WeatherTools(InvocationLog log)
{
    [McpServerTool(Name = "get_forecast", Title = "Weather forecast", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Returns the forecast for a city.")]
    public string GetForecast([Description("The city name.")] string city, [Description("Days ahead, 1 to 7.")] int days = 1)
    {
        log.Record("get_forecast");
        return $"{city}: sunny for {days} day(s)";
    }

    public string NotATool() => "helpers on an SDK-style class stay private to it";
}
