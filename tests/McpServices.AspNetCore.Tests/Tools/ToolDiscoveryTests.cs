using McpServices.AspNetCore.Tests.TestTools;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.Tools;

public sealed class ToolDiscoveryTests
{
    [Fact]
    public async Task ListTools_PlainClass_ExposesPublicMethodsAsSnakeCaseTools()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        await using var client = await server.ConnectAsync();

        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["add", "divide"], tools.Select(t => t.Name));
        var add = tools.Single(t => t.Name == "add");
        Assert.Equal("Adds two integers.", add.Description);
    }

    [Fact]
    public async Task ListTools_SdkAttributedClass_ExposesOnlyAttributedMethodsWithAnnotations()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<WeatherTools>());
        await using var client = await server.ConnectAsync();

        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        var tool = Assert.Single(tools);
        Assert.Equal("get_forecast", tool.Name);
        Assert.Equal("Weather forecast", tool.Title);
        Assert.True(tool.ProtocolTool.Annotations?.ReadOnlyHint);
        Assert.True(tool.ProtocolTool.Annotations?.IdempotentHint);
        Assert.False(tool.ProtocolTool.Annotations?.OpenWorldHint);
    }

    [Fact]
    public async Task ListTools_SeveralClasses_AreOrderedByName()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<WeatherTools>().WithTools<CalculatorTools>().WithTools<OrderTools>());
        await using var client = await server.ConnectAsync();

        var names = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.Name).ToArray();

        Assert.Equal(["add", "divide", "get_forecast", "place_order", "reserve"], names);
    }

    [Fact]
    public async Task InputSchema_CarriesDescriptionsDefaultsRequiredAndRanges()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithTools<OrderTools>());
        await using var client = await server.ConnectAsync();
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        var add = tools.Single(t => t.Name == "add").ProtocolTool.InputSchema;
        Assert.Equal("The first addend.", add.GetProperty("properties").GetProperty("a").GetProperty("description").GetString());
        Assert.Equal(2, add.GetProperty("properties").GetProperty("b").GetProperty("default").GetInt32());
        Assert.Equal(["a"], add.GetProperty("required").EnumerateArray().Select(e => e.GetString()));

        var reserve = tools.Single(t => t.Name == "reserve").ProtocolTool.InputSchema;
        var quantity = reserve.GetProperty("properties").GetProperty("quantity");
        Assert.Equal("integer", quantity.GetProperty("type").GetString());
        Assert.Equal(1, quantity.GetProperty("minimum").GetInt32());
        Assert.Equal(1000, quantity.GetProperty("maximum").GetInt32());
        Assert.Equal(["sku", "quantity"], reserve.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task CallTool_PlainClass_GetsConstructorInjectionAndReturnsResult()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        await using var client = await server.ConnectAsync();

        var result = await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 40 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("42", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal(1, server.Log().Count("add"));
    }

    [Fact]
    public async Task CallTool_AsyncMethod_IsNamedWithoutAsyncSuffix()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        await using var client = await server.ConnectAsync();

        var result = await client.CallToolAsync("divide", new Dictionary<string, object?> { ["a"] = 1, ["b"] = 4 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("0.25", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public async Task CallTool_UnknownTool_IsJsonRpcInvalidParams()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        await using var client = await server.ConnectAsync();

        var ex = await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(() =>
            client.CallToolAsync("nope", cancellationToken: TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(ModelContextProtocol.McpErrorCode.InvalidParams, ex.ErrorCode);
    }

    [Fact]
    public async Task ServerInfo_CarriesServiceNameAndVersion()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => { o.Name = "calculator"; o.Version = "2.3.4+sha.abc"; o.Description = "Adds things."; });
        await using var client = await server.ConnectAsync();

        Assert.Equal("calculator", client.ServerInfo!.Name);
        Assert.Equal("2.3.4", client.ServerInfo.Version);
        Assert.Equal("Adds things.", client.ServerInfo!.Description);
    }

    [Fact]
    public async Task WithTools_DuplicateToolNames_FailsAtStartupNamingBothMethods()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TestServer.StartAsync(b => b.WithTools<WeatherTools>().WithTools<DuplicateForecastTools>()));

        Assert.Contains("'get_forecast' is declared twice", ex.Message);
        Assert.Contains(nameof(DuplicateForecastTools), ex.Message);
    }

    /// <summary>
    /// Configuration keys are case-insensitive: <c>McpService:Authorization:Tools:Forecast</c> and <c>…:forecast</c> are one key,
    /// so two tools whose names differ only in case could not be disabled, given scopes, limits or time limits apart.
    /// </summary>
    [Fact]
    public async Task WithTools_ToolNamesThatDifferOnlyInCase_FailStartupNamingBoth()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TestServer.StartAsync(b => b.WithTools<WeatherTools>().WithTools<CaseOnlyForecastTools>()));

        Assert.StartsWith("The tool names 'Get_Forecast' and 'get_forecast' differ only in case", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{nameof(CaseOnlyForecastTools)}.{nameof(CaseOnlyForecastTools.Forecast)}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{nameof(WeatherTools)}.{nameof(WeatherTools.GetForecast)}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("McpService:Authorization:Tools", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMarkedToolMethodThatCannotBeATool_FailsStartup_NamingTheMethod()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<OutParameterTools>()));

        Assert.StartsWith("The method OutParameterTools.TryFind cannot be a tool: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no ref, out or in parameters", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(typeof(SpacedNameTools), "get stock")]
    [InlineData(typeof(AccentedNameTools), "größe")]
    public async Task AToolNameMcpDoesNotAllow_FailsStartup_NamingTheMethodAndTheRule(Type tools, string name)
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools(tools)));

        Assert.Equal(
            $"The method {tools.Name}.Get declares the tool name '{name}', which MCP does not allow: a tool name has 1 to 128 characters, " +
            "each an ASCII letter or digit, '_', '-' or '.'. Change the Name in its [McpServerTool] attribute.",
            ex.Message);
    }

    public sealed class SpacedNameTools
    {
        [ModelContextProtocol.Server.McpServerTool(Name = "get stock")]
        public string Get() => "stock";
    }

    public sealed class AccentedNameTools
    {
        [ModelContextProtocol.Server.McpServerTool(Name = "größe")]
        public string Get() => "size";
    }

    public sealed class OutParameterTools
    {
        [ModelContextProtocol.Server.McpServerTool]
        public bool TryFind(string id, out string found)
        {
            found = id;
            return true;
        }
    }

    [Fact]
    public void WithTools_ClassWithoutPublicMethods_FailsNamingTheFix()
    {
        var services = new ServiceCollection();
        var builder = services.AddMcpService();

        var ex = Assert.Throws<InvalidOperationException>(() => builder.WithTools<NoTools>());

        Assert.Contains("[McpServerTool]", ex.Message);
    }

    [Fact]
    public void WithTools_CalledTwiceForOneClass_SaysSo()
    {
        // Before, startup failed later with "The tool name 'add' is declared twice, by CalculatorTools.Add and by CalculatorTools.Add".
        var builder = new ServiceCollection().AddMcpService().WithTools<CalculatorTools>();

        var ex = Assert.Throws<InvalidOperationException>(() => builder.WithTools<CalculatorTools>());

        Assert.Equal("WithTools(CalculatorTools) was already called: each tool class is registered once. Remove the second call.", ex.Message);
    }

    [Fact]
    public void WithTools_ClassWithOnlyStaticPublicMethods_SaysThatOnlyAStaticClassExposesThem()
    {
        var builder = new ServiceCollection().AddMcpService();

        var ex = Assert.Throws<InvalidOperationException>(() => builder.WithTools<StaticMethodsOnlyTools>());

        Assert.Equal(
            "WithTools(StaticMethodsOnlyTools): the class has no public instance methods and no methods marked [McpServerTool]; its public static " +
            "methods (Echo, Shout) are tools only of a static class. Make them instance methods, make the class static, or mark them [McpServerTool].",
            ex.Message);
    }

    public sealed class StaticMethodsOnlyTools
    {
        public static string Echo(string text) => text;

        public static string Shout(string text) => text.ToUpperInvariant();
    }

    [Fact]
    public async Task ListTools_PlainClass_IncludesInheritedPublicMethods_NotObjectsOrDisposeOrUncallableHelpers_AndAMarkedClassOnlyItsMarkedMethods()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<DerivedPlainTools>().WithTools<PartlyMarkedTools>());
        await using var client = await server.ConnectAsync();

        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["base_lookup", "derived_lookup", "marked"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CallTool_TheToolInstance_IsCreatedPerCall_AndDisposedAfterIt()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<DisposableTools>());
        await using var client = await server.ConnectAsync();
        var before = DisposableTools.Disposed;

        for (var i = 0; i < 3; i++)
        {
            var result = await client.CallToolAsync("use", cancellationToken: TestContext.Current.CancellationToken);
            Assert.NotEqual(true, result.IsError);
        }

        // Instances the service creates for calls hold resources (a connection, a DbContext): each is disposed after its call.
        Assert.Equal(3, DisposableTools.Disposed - before);
    }

    public sealed class DisposableTools : IDisposable
    {
        private static int _disposed;

        public static int Disposed => Volatile.Read(ref _disposed);

        public string Use() => "used";

        public void Dispose() => Interlocked.Increment(ref _disposed);
    }

    public class PlainToolsBase : IDisposable
    {
        public string BaseLookup(string id) => id;

        public override string ToString() => "base";

        public void Dispose() => GC.SuppressFinalize(this);

        protected string Helper() => "not a tool";
    }

    public sealed class DerivedPlainTools : PlainToolsBase
    {
        public string DerivedLookup(string id) => id;

        // Helpers a caller could not call (the SDK failed startup on them): not tools.
        public bool TryFind(string id, out string found)
        {
            found = id;
            return true;
        }

        public void Normalize(ref string id) => id = id.Trim();

        public int Measure(ReadOnlySpan<char> text) => text.Length;

        public T Echo<T>(T value) => value;
    }

    public sealed class PartlyMarkedTools
    {
        [ModelContextProtocol.Server.McpServerTool(Name = "marked")]
        public string Marked() => "yes";

        public string NotMarked() => "no";
    }

    public sealed class DuplicateForecastTools
    {
        public string GetForecast(string city) => city;
    }

    public sealed class CaseOnlyForecastTools
    {
        [McpServerTool(Name = "Get_Forecast")]
        public string Forecast(string city) => city;
    }

    public sealed class NoTools
    {
        internal void Hidden()
        {
        }
    }
}
