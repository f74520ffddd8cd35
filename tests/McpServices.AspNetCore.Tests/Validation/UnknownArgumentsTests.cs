using System.Text.Json;
using System.Text.Json.Serialization;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.Validation;

/// <summary>
/// An argument the tool does not declare, or a member an argument's type does not have: a model that misnames one
/// (<c>qantity</c>, <c>dryRun</c> for a tool without it, <c>qty</c> in an order line) must hear so, not get a result computed
/// without it.
/// </summary>
public sealed class UnknownArgumentsTests
{
    [Fact]
    public async Task ArgumentsTheToolDoesNotHave_AreInvalid_NamingEach_WithTheOneMeant_AndTheToolDoesNotRun()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<OrderTools>().WithTools<PublicTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var result = await CallAsync(client, "reserve", """{"sku":"ABC-1234","quantity":1,"qantity":2,"dryRun":true}""");

        Assert.Equal(
            [("qantity", "The tool has no argument 'qantity'; did you mean 'quantity'?"),
             ("dryRun", "The tool has no argument 'dryRun'; its arguments are sku, quantity, contact, note.")],
            Errors(result));
        Assert.Equal(0, server.Log().Count("reserve"));
        var record = await server.Audit.WaitForAsync(r => r.Tool == "reserve", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(("invalid", "invalid_arguments"), (record.Outcome, record.ErrorCode));

        // Names are case-sensitive, as the SDK binds them: the one meant is named.
        var cased = await CallAsync(client, "reserve", """{"sku":"ABC-1234","Quantity":1}""");
        Assert.Contains(("Quantity", "The tool has no argument 'Quantity'; did you mean 'quantity'?"), Errors(cased));

        var none = await CallAsync(client, "ping", """{"verbose":true}""");
        Assert.Equal([("verbose", "The tool has no argument 'verbose'; it takes no arguments.")], Errors(none));
        Assert.Equal(0, server.Log().Count("ping"));

        // The published schema says what is enforced.
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.All(tools, tool => Assert.Equal(JsonValueKind.False, tool.JsonSchema.GetProperty("additionalProperties").ValueKind));

        // Declared arguments alone still run the tool.
        Assert.NotEqual(true, (await CallAsync(client, "reserve", """{"sku":"ABC-1234","quantity":1}""")).IsError);
        Assert.Equal(1, server.Log().Count("reserve"));
    }

    [Fact]
    public async Task MembersAnArgumentsTypeDoesNotHave_AreInvalid_AtAnyDepth_AndTheToolDoesNotRun()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<OrderTools>().WithTools<MeasurementTools>().WithTools<OpenTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        // Member names match ignoring case, as the SDK's serializer reads them ("SKU"); "qty" is not a member.
        var order = await CallAsync(client, "place_order", """{"order":{"customerEmail":"a@example.com","lines":[{"SKU":"ABC-1234","qty":2}],"rush":true}}""");
        Assert.Equal(
            [("order.rush", "The order object has no member 'rush'; its members are customerEmail, lines, gift."),
             ("order.lines[0].qty", "The order.lines[0] object has no member 'qty'; its members are sku, quantity.")],
            Errors(order));
        Assert.Equal(0, server.Log().Count("place_order"));

        // A polymorphic value has the members of the type its discriminator names.
        var draw = await CallAsync(client, "draw", """{"figure":{"$type":"disc","radius":2,"radios":3},"more":[]}""");
        Assert.Equal([("figure.radios", "The figure object has no member 'radios'; did you mean 'radius'?")], Errors(draw));
        Assert.Equal(0, server.Log().Count("draw"));
        Assert.NotEqual(true, (await CallAsync(client, "draw", """{"figure":{"$type":"tile","side":2},"more":[{"radius":1,"$type":"disc"}]}""")).IsError);

        // A type with [JsonExtensionData] takes any member, and a dictionary any key: their schemas do not forbid them.
        Assert.Equal("name=n extra=2 keys=2", Text(await CallAsync(client, "keep", """{"bag":{"name":"n","x":1,"y":2},"counts":{"a":1,"b":2}}""")));
        var schema = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Single(t => t.Name == "keep").JsonSchema;
        Assert.False(schema.GetProperty("properties").GetProperty("bag").TryGetProperty("additionalProperties", out _));
        Assert.Equal(JsonValueKind.Object, schema.GetProperty("properties").GetProperty("counts").GetProperty("additionalProperties").ValueKind);
        var placeOrder = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Single(t => t.Name == "place_order").JsonSchema;
        Assert.Equal(JsonValueKind.False, placeOrder.GetProperty("properties").GetProperty("order").GetProperty("additionalProperties").ValueKind);
    }

    [Fact]
    public async Task MembersOfAnObjectArgument_SentAtTheTopLevel_AreSaidToBelongInsideIt()
    {
        // A model calling a tool that takes one object often sends the object's members as the arguments.
        await using var server = await TestServer.StartAsync(b => b.WithTools<OrderTools>().WithTools<MeasurementTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var flat = await CallAsync(client, "place_order", """{"customerEmail":"a@example.com","LINES":[{"sku":"ABC-1234","quantity":2}],"rush":true}""");

        Assert.Equal(
            [("order", "The order field is required."),
             ("customerEmail", "The tool has no argument 'customerEmail'; 'customerEmail' is a member of the argument 'order': send it inside that object ({\"order\": {\"customerEmail\": …}})."),
             ("LINES", "The tool has no argument 'LINES'; 'lines' is a member of the argument 'order': send it inside that object ({\"order\": {\"lines\": …}})."),
             ("rush", "The tool has no argument 'rush'; its arguments are order.")],
            Errors(flat));
        Assert.Equal(0, server.Log().Count("place_order"));

        // Sent inside it, the same values are an order.
        Assert.NotEqual(true, (await CallAsync(client, "place_order", """{"order":{"customerEmail":"a@example.com","lines":[{"sku":"ABC-1234","quantity":2}]}}""")).IsError);
    }

    [Fact]
    public async Task TheToolsArguments_SentInsideAnObject_AreSaidToBelongAtTheTopLevel()
    {
        // The reverse slip: a model wraps the arguments in an object of its own ({"input": {…}}, {"arguments": {…}}).
        await using var server = await TestServer.StartAsync(b => b.WithTools<OrderTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var wrapped = await CallAsync(client, "reserve", """{"input":{"sku":"ABC-1234","Quantity":2}}""");

        Assert.Equal(
            [("sku", "The sku field is required."),
             ("quantity", "The quantity field is required."),
             ("input", "The tool has no argument 'input'; its members are the tool's own arguments: send them at the top level, not inside 'input' ({\"sku\": …, \"quantity\": …}).")],
            Errors(wrapped));
        Assert.Equal(0, server.Log().Count("reserve"));

        // An object with a member the tool does not have is not taken for a wrapper, nor is a value of another kind.
        var other = await CallAsync(client, "reserve", """{"sku":"ABC-1234","quantity":1,"extra":{"sku":"x","color":"red"},"flags":["sku"]}""");
        Assert.Equal(
            [("extra", "The tool has no argument 'extra'; its arguments are sku, quantity, contact, note."),
             ("flags", "The tool has no argument 'flags'; its arguments are sku, quantity, contact, note.")],
            Errors(other));

        // Sent at the top level, the same values reserve.
        Assert.NotEqual(true, (await CallAsync(client, "reserve", """{"sku":"ABC-1234","quantity":2}""")).IsError);
    }

    [Fact]
    public async Task AMemberOfSeveralObjectArguments_SentAtTheTopLevel_IsNotAttributedToOne()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<TransferTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var flat = await CallAsync(client, "transfer", """{"from":{"iban":"A","holder":"x"},"to":{"iban":"B"},"iban":"C","limit":5}""");

        Assert.Equal(
            [("iban", "The tool has no argument 'iban'; its arguments are from, to, amount."),
             ("limit", "The tool has no argument 'limit'; 'limit' is a member of the argument 'from': send it inside that object ({\"from\": {\"limit\": …}}).")],
            Errors(flat));
    }

    [Fact]
    public async Task MembersThatDifferOnlyInCase_SetOneProperty_AndAreInvalid_WhateverAllowUnknownArgumentsSays()
    {
        // The serializer matches member names ignoring case and keeps the last: {"sku":"ABC-1234","SKU":"XYZ-9999"} would reserve
        // XYZ-9999, while a gateway or an audit reader matching names exactly sees ABC-1234. (A name given twice exactly is
        // refused before the SDK: RequestGateTests.)
        foreach (var allowUnknown in new[] { false, true })
        {
            await using var server = await TestServer.StartAsync(b => b.WithTools<OrderTools>(), o => o.AllowUnknownArguments = allowUnknown);
            await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

            var order = await CallAsync(client, "place_order", """{"order":{"customerEmail":"a@example.com","lines":[{"sku":"ABC-1234","quantity":2,"SKU":"XYZ-9999"}],"CustomerEmail":"b@example.com"}}""");

            Assert.Equal(
                [("order.CustomerEmail", "The order object sets 'customerEmail' twice: 'customerEmail' and 'CustomerEmail' name the same member (names match ignoring case); send it once."),
                 ("order.lines[0].SKU", "The order.lines[0] object sets 'sku' twice: 'sku' and 'SKU' name the same member (names match ignoring case); send it once.")],
                Errors(order));
            Assert.Equal(0, server.Log().Count("place_order"));

            // Three spellings: each later one is named with the first.
            var thrice = await CallAsync(client, "place_order", """{"order":{"customerEmail":"a@example.com","lines":[{"SKU":"ABC-1234","quantity":2,"Sku":"B","sku":"C"}]}}""");
            Assert.Equal(
                [("order.lines[0].Sku", "The order.lines[0] object sets 'sku' twice: 'SKU' and 'Sku' name the same member (names match ignoring case); send it once."),
                 ("order.lines[0].sku", "The order.lines[0] object sets 'sku' twice: 'SKU' and 'sku' name the same member (names match ignoring case); send it once.")],
                Errors(thrice));

            // Two members, the fewest that can set one property twice.
            var two = await CallAsync(client, "place_order", """{"order":{"customerEmail":"a@example.com","lines":[{"sku":"ABC-1234","SKU":"XYZ-9999"}]}}""");
            Assert.Contains(("order.lines[0].SKU", "The order.lines[0] object sets 'sku' twice: 'sku' and 'SKU' name the same member (names match ignoring case); send it once."), Errors(two));

            // One spelling, in any case, is one member.
            Assert.NotEqual(true, (await CallAsync(client, "place_order", """{"order":{"CUSTOMEREMAIL":"a@example.com","lines":[{"SKU":"ABC-1234","quantity":2}]}}""")).IsError);
        }
    }

    [Fact]
    public async Task ManyArgumentsTheToolDoesNotHave_AreNamedUpToALimit_AndLongNamesAreCut()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<PublicTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var longName = new string('x', 5000);
        var arguments = new Dictionary<string, object?> { [longName] = 1 };
        for (var i = 0; i < 24; i++)
        {
            arguments[$"extra{i}"] = i;
        }

        var result = await client.CallToolAsync("ping", arguments, cancellationToken: TestContext.Current.CancellationToken);

        var errors = Errors(result);
        Assert.Equal(10, errors.Count);
        Assert.Equal(new string('x', 64) + "…", errors[0].Field);
        Assert.Equal($"The tool has no argument '{new string('x', 64)}…'; it takes no arguments.", errors[0].Message);
        Assert.EndsWith("it takes no arguments. (15 more argument(s) it does not have are not listed.)", errors[^1].Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Log().Count("ping"));
    }

    [Fact]
    public async Task AllowUnknownArguments_IgnoresThem_AsTheSdkDoes_AndTheSchemaDoesNotForbidThem()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<OrderTools>().WithPrompts<GreetingPrompts>(), o => o.AllowUnknownArguments = true);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var result = await CallAsync(client, "reserve", """{"sku":"ABC-1234","quantity":1,"dryRun":true}""");

        Assert.NotEqual(true, result.IsError);
        Assert.Equal(1, server.Log().Count("reserve"));
        var reserve = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Single(t => t.Name == "reserve");
        Assert.False(reserve.JsonSchema.TryGetProperty("additionalProperties", out _));

        // Members too, as the serializer reads them.
        var order = await CallAsync(client, "place_order", """{"order":{"customerEmail":"a@example.com","lines":[{"sku":"ABC-1234","quantity":2,"qty":2}]}}""");
        Assert.NotEqual(true, order.IsError);
        var placeOrder = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Single(t => t.Name == "place_order");
        Assert.False(placeOrder.JsonSchema.GetProperty("properties").GetProperty("order").TryGetProperty("additionalProperties", out _));

        // And a prompt's arguments (refused by default: OtherRequestsParamsTests).
        var prompt = await client.GetPromptAsync("greet", new Dictionary<string, object?> { ["name"] = "Ann", ["mood"] = "x" }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Greet Ann", Assert.IsType<TextContentBlock>(Assert.Single(prompt.Messages).Content).Text);
    }

    [Fact]
    public async Task AToolWithAHandWrittenSchema_IsHeldToWhatItSays()
    {
        await using var server = await TestServer.StartAsync(b => b.Services.AddSingleton<McpServerTool>(new SchemaTool("closed", """{"type":"object","properties":{"colour":{"type":"string"}},"additionalProperties":false}"""))
            .AddSingleton<McpServerTool>(new SchemaTool("open", """{"type":"object","properties":{"colour":{"type":"string"}}}""")));
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal([("color", "The tool has no argument 'color'; did you mean 'colour'?")], Errors(await CallAsync(client, "closed", """{"colour":"red","color":"blue"}""")));
        Assert.Equal("""{"colour":"red","color":"blue"}""", Text(await CallAsync(client, "open", """{"colour":"red","color":"blue"}""")));

        // McpServices adds nothing to a schema it did not generate.
        var open = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Single(t => t.Name == "open");
        Assert.False(open.JsonSchema.TryGetProperty("additionalProperties", out _));
    }

    [Fact]
    public async Task AToolThatTakesTheArgumentsWhole_GetsThemAll()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<EchoTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("colour, shade", Text(await CallAsync(client, "echo", """{"colour":"red","shade":"dark"}""")));
        var echo = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Single();
        Assert.False(echo.JsonSchema.TryGetProperty("additionalProperties", out _));
    }

    private static async Task<CallToolResult> CallAsync(McpClient client, string tool, string arguments)
    {
        using var json = JsonDocument.Parse(arguments);
        return await client.CallToolAsync(tool, json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()), cancellationToken: TestContext.Current.CancellationToken);
    }

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;

    private static List<(string Field, string Message)> Errors(CallToolResult result)
    {
        Assert.True(result.IsError);
        return result.StructuredContent!.Value.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("field").GetString()!, e.GetProperty("message").GetString()!))
            .ToList();
    }

    /// <summary>A tool with two object arguments of types that share a member (<c>iban</c>).</summary>
    public sealed class TransferTools
    {
        public string Transfer(Account from, Transferee to, decimal amount = 1) => $"{from.Iban} {to.Iban} {amount}";
    }

    public sealed record Account(string Iban, string? Holder = null, decimal? Limit = null);

    public sealed record Transferee(string Iban);

    /// <summary>Arguments whose types take members they do not declare: extension data, a dictionary.</summary>
    public sealed class OpenTools
    {
        public string Keep(Bag bag, Dictionary<string, int> counts) => $"name={bag.Name} extra={bag.Rest?.Count} keys={counts.Count}";
    }

    public sealed class Bag
    {
        public string? Name { get; set; }

        [JsonExtensionData]
        public Dictionary<string, JsonElement>? Rest { get; set; }
    }

    /// <summary>A tool that takes whatever arguments it is sent (the SDK binds an <see cref="AIFunctionArguments"/> parameter to all of them).</summary>
    public sealed class EchoTools
    {
        public string Echo(AIFunctionArguments arguments) => string.Join(", ", arguments.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>A tool written by hand, with the schema its author wrote: one <c>colour</c> argument.</summary>
    /// <summary>A prompt written by hand reads its arguments itself: MCP gives it no way to say it takes only the ones it lists.</summary>
    [Fact]
    public async Task APromptWrittenByHand_GetsEveryArgumentSent()
    {
        await using var server = await TestServer.StartAsync(b => b.WithPrompts<GreetingPrompts>().Services.AddSingleton<McpServerPrompt>(new EchoPrompt()));
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var echo = await client.GetPromptAsync("echo", new Dictionary<string, object?> { ["text"] = "a", ["extra"] = "b" }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("""{"text":"a","extra":"b"}""", Assert.IsType<TextContentBlock>(Assert.Single(echo.Messages).Content).Text);

        // A prompt from a method is held to its parameters (OtherRequestsParamsTests has the messages).
        await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(() => client.GetPromptAsync("greet", new Dictionary<string, object?> { ["name"] = "Ann", ["extra"] = "b" }, cancellationToken: TestContext.Current.CancellationToken).AsTask());
    }

    private sealed class EchoPrompt : McpServerPrompt
    {
        public override Prompt ProtocolPrompt { get; } = new() { Name = "echo", Arguments = [new PromptArgument { Name = "text", Required = true }] };

        public override IReadOnlyList<object> Metadata { get; } = [];

        public override ValueTask<GetPromptResult> GetAsync(RequestContext<GetPromptRequestParams> request, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new GetPromptResult { Messages = [new PromptMessage { Role = Role.User, Content = new TextContentBlock { Text = JsonSerializer.Serialize(request.Params?.Arguments) } }] });
    }

    private sealed class SchemaTool(string name, string schema) : McpServerTool
    {
        public override Tool ProtocolTool { get; } = new() { Name = name, Description = "Paints.", InputSchema = JsonElement.Parse(schema) };

        public override IReadOnlyList<object> Metadata { get; } = [];

        public override ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new CallToolResult { Content = [new TextContentBlock { Text = JsonSerializer.Serialize(request.Params?.Arguments) }] });
    }
}
