using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore.Tests.Hosting;

/// <summary>
/// The logging defaults of <c>builder.AddMcpService()</c> are defaults: an application's own console settings win. The JSON
/// formatter used to be forced in code outside Development, over <c>Logging:Console:FormatterName</c>, and a console provider
/// was added back to an application that had removed it.
/// </summary>
public sealed class LoggingDefaultsTests
{
    [Fact]
    public async Task OutsideDevelopment_ConsoleLogsAreJson_WithUtcTimestamps()
    {
        await using var app = Build("Production");

        var console = app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        var json = app.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;
        Assert.Equal(ConsoleFormatterNames.Json, console.FormatterName);
        Assert.Equal(LogLevel.Trace, console.LogToStandardErrorThreshold);
        Assert.True(json.UseUtcTimestamp);
        Assert.True(json.IncludeScopes);
        Assert.Equal("yyyy-MM-ddTHH:mm:ss.fffZ", json.TimestampFormat);
    }

    [Fact]
    public async Task InDevelopment_TheConsoleKeepsItsReadableFormat()
    {
        await using var app = Build("Development");

        Assert.Null(app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }

    [Fact]
    public async Task TheApplicationsFormatterSetting_Wins()
    {
        await using var app = Build("Production", b => b.Configuration["Logging:Console:FormatterName"] = ConsoleFormatterNames.Simple);

        Assert.Equal(ConsoleFormatterNames.Simple, app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }

    [Fact]
    public async Task AnApplicationWithoutConsoleLogging_DoesNotGetItBack()
    {
        await using var app = Build("Production", b => b.Logging.ClearProviders());

        Assert.DoesNotContain(app.Services.GetServices<ILoggerProvider>(), p => p is ConsoleLoggerProvider);
    }

    private static WebApplication Build(string environment, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        configure?.Invoke(builder);
        builder.AddMcpService(TestServer.WithoutAuthentication);
        return builder.Build();
    }
}
