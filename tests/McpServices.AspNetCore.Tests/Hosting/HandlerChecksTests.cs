using McpServices.AspNetCore.Tests.TestTools;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Hosting;

/// <summary>
/// The startup checks of tools, prompts and resources as code declares them (<c>HandlerChecks</c>): what the MCP SDK accepts but
/// fails on every call, or serves other than the code says, fails startup naming each handler; what works still starts.
/// </summary>
public sealed class HandlerChecksTests
{
    /// <summary>
    /// The SDK accepts a method returning IAsyncEnumerable (it even strips "Async" from its name) but cannot use the result: a
    /// tool's fails every call with an internal error (System.Text.Json serializes it synchronously), a prompt's and a
    /// resource's are of no type it knows. Startup fails instead, naming each method and what to return.
    /// </summary>
    [Fact]
    public async Task MethodsReturningAsyncStreams_FailStartup_NamingEachAndWhatToReturn()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b
            .WithTools<StreamingTools>()
            .WithMcpServer(mcp => mcp.WithPrompts<StreamingPrompts>())));

        Assert.StartsWith(
            "The tool 'rows' (StreamingTools.RowsAsync) returns IAsyncEnumerable<String>; " +
            "The tool 'pages' (StreamingTools.Pages) returns Task<IAsyncEnumerable<Int32>>; " +
            "The prompt 'steps' (StreamingPrompts.Steps) returns IAsyncEnumerable<PromptMessage>, which the MCP SDK cannot turn into a result: every call would fail.",
            ex.Message,
            StringComparison.Ordinal);
        Assert.Contains("IEnumerable<ContentBlock>", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A DataAnnotations attribute on a member of a type it cannot validate throws on every value a caller sends, so every call
    /// failed as an internal error. Startup fails instead, naming each attribute, where it is and why; attributes that fit start.
    /// </summary>
    [Fact]
    public async Task ValidationAttributesThatCannotValidateTheirType_FailStartup_NamingEach()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<MisattributedTools>()));

        Assert.Equal(
            "The tool 'count_items' (MisattributedTools.CountItems), the argument 'count': [StringLength] cannot validate a value of type Int32 (Unable to cast object of type 'System.Int32' to type 'System.String'.); " +
            "The tool 'count_items' (MisattributedTools.CountItems), the argument 'when': [Range] cannot validate a value of type DateTime (soon is not a valid value for DateTime.); " +
            "The argument type member Crate.Code: [RegularExpression] cannot validate a value of type String (Invalid pattern '(' at offset 1. Not enough )'s.); " +
            "The argument type member Crate.Size: [MinLength] cannot validate a value of type Int32 (The field of type System.Int32 must be a string, array or ICollection type.). " +
            "Every call would fail with an internal error: put each attribute on a member of a type it validates ([StringLength], [MinLength] and [MaxLength] on strings and collections; [Range] with bounds of the member's type), and give [RegularExpression] a valid pattern.",
            ex.Message);

        await using var server = await TestServer.StartAsync(b => b.WithTools<WellAttributedTools>());
    }

    public sealed class MisattributedTools
    {
        [System.ComponentModel.Description("Counts.")]
        public string CountItems(
            [System.ComponentModel.DataAnnotations.StringLength(3)] int count,
            [System.ComponentModel.DataAnnotations.Range(typeof(DateTime), "soon", "later")] DateTime when,
            Crate crate) => $"{count} {when} {crate.Size}";
    }

    public sealed class Crate
    {
        [System.ComponentModel.DataAnnotations.MinLength(2)]
        public int Size { get; set; }

        [System.ComponentModel.DataAnnotations.RegularExpression("(")]
        public string? Code { get; set; }
    }

    public sealed class WellAttributedTools
    {
        [System.ComponentModel.Description("Labels.")]
        public string Label(
            [System.ComponentModel.DataAnnotations.StringLength(3)] string text,
            [System.ComponentModel.DataAnnotations.Range(1, 5)] int? count,
            [System.ComponentModel.DataAnnotations.MinLength(1)] List<int> items,
            [System.ComponentModel.DataAnnotations.Range(typeof(DateTime), "2026-01-01", "2027-01-01")] DateTime when,
            [System.ComponentModel.DataAnnotations.RegularExpression("^[a-z]+$")] string code) => text;
    }

    public sealed class StreamingTools
    {
        [System.ComponentModel.Description("Rows, one at a time.")]
        public async IAsyncEnumerable<string> RowsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await Task.Yield();
                yield return $"row {i}";
            }
        }

        [System.ComponentModel.Description("Pages.")]
        public Task<IAsyncEnumerable<int>> Pages() => Task.FromResult(AsyncEnumerable.Range(0, 2));

        [System.ComponentModel.Description("A list.")]
        public async Task<List<string>> Listed() => await Task.FromResult(new List<string> { "a" });
    }

    [ModelContextProtocol.Server.McpServerPromptType]
    public sealed class StreamingPrompts
    {
        [ModelContextProtocol.Server.McpServerPrompt(Name = "steps")]
        public static async IAsyncEnumerable<PromptMessage> Steps()
        {
            await Task.Yield();
            yield return new PromptMessage { Role = Role.User, Content = new TextContentBlock { Text = "Step one." } };
        }
    }

    /// <summary>
    /// The SDK binds its own types and DI services only: an HttpContext parameter became an argument for the caller to send (a
    /// schema of the whole HttpContext object graph, in tools/list), and every call failed. Startup fails instead.
    /// </summary>
    [Fact]
    public async Task HttpContextParameters_FailStartup_NamingTheAccessorToUse()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<HttpBoundTools>()));

        Assert.StartsWith(
            "The tool 'path' (HttpBoundTools.Path) takes the HttpContext parameter 'context'; " +
            "The tool 'agent' (HttpBoundTools.Agent) takes the HttpRequest parameter 'request', which the MCP SDK does not bind: it would ask the caller to send it as an argument.",
            ex.Message,
            StringComparison.Ordinal);
        Assert.Contains("IHttpContextAccessor", ex.Message, StringComparison.Ordinal);
    }

    public sealed class HttpBoundTools
    {
        [System.ComponentModel.Description("The request path.")]
        public string Path(Microsoft.AspNetCore.Http.HttpContext context) => context.Request.Path;

        [System.ComponentModel.Description("The user agent.")]
        public string Agent(string prefix, Microsoft.AspNetCore.Http.HttpRequest request) => prefix + request.Headers.UserAgent;
    }

    /// <summary>
    /// A tool class is created for each call with constructor injection: a dependency nobody registered failed every call, as an
    /// internal error, and only when a caller first tried. Startup fails instead, naming the class, its tools and what is missing.
    /// </summary>
    [Fact]
    public async Task HandlerClassesWhoseConstructorsNeedUnregisteredServices_FailStartup_NamingWhatIsMissing()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b
            .WithTools<UnregisteredDependencyTools>()
            .WithTools<InjectedTools>()
            .WithPrompts<UnregisteredDependencyPrompts>()));

        Assert.Equal(
            "The class UnregisteredDependencyTools (the tools 'lookup', 'count') cannot be created for a call: its constructor needs " +
            "IWarehouseClient warehouses, IPriceList prices, which are not registered. " +
            "The class InjectedTools (the tool 'stock') cannot be created for a call: its constructor needs " +
            "IWarehouseClient warehouses (the service keyed 'eu'), which is not registered. " +
            "The class UnregisteredDependencyPrompts (the prompt 'brief') cannot be created for a call: its constructor needs String region, " +
            "which is not registered. Register what its constructor needs in the service collection (builder.Services.AddScoped<IService, " +
            "Service>()), or give the parameter a default value.",
            ex.Message);
    }

    /// <summary>What the request's services supply — registered services, keyed ones, the SDK's own — passes, and the tool runs.</summary>
    [Fact]
    public async Task HandlerClassesWhoseConstructorsTheRequestCanSupply_Start_AndRun()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<InjectedTools>(),
            configure: builder => builder.Services.AddKeyedSingleton<IWarehouseClient, FixedWarehouseClient>("eu"));
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("stock", new Dictionary<string, object?> { ["sku"] = "A-1" }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("A-1: 7 (anonymous, server True, region eu)", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    /// <summary>
    /// A tool parameter the SDK cannot inject becomes an argument: a service whose registration was forgotten turned into a
    /// required "warehouses" object in the input schema, and every call was invalid (no caller can send an interface); a keyed
    /// service that is not registered failed every call. Startup fails instead. Interfaces that are arguments — collections,
    /// polymorphic base types — and registered services still work.
    /// </summary>
    [Fact]
    public async Task ParametersThatAreNeitherServicesNorArguments_FailStartup_NamingThem()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<UnboundParameterTools>()));

        Assert.Equal(
            "The tool 'stock' (UnboundParameterTools.Stock) takes the parameter 'warehouses' of type IWarehouseClient, which is not a registered " +
            "service, so the SDK asks the caller to send it as an argument, and JSON cannot create an interface; The tool 'price' " +
            "(UnboundParameterTools.Price) takes the parameter 'prices' of type IWarehouseClient, the service keyed 'eu', which is not registered. " +
            "Register the service (builder.Services.AddScoped<IService, Service>(), or AddKeyedScoped for a keyed one) to have it injected, or " +
            "give an argument a concrete type.",
            ex.Message);

        await using var server = await TestServer.StartAsync(
            b => b.WithTools<UnboundParameterTools>(),
            configure: builder => builder.Services.AddSingleton<IWarehouseClient, FixedWarehouseClient>().AddKeyedSingleton<IWarehouseClient, FixedWarehouseClient>("eu"));
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var result = await client.CallToolAsync("stock", new Dictionary<string, object?> { ["skus"] = new[] { "A-1", "B-2" } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["skus"], tools.Single(t => t.Name == "stock").JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal("A-1: 7, B-2: 7", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    public sealed class UnboundParameterTools
    {
        [System.ComponentModel.Description("Stock of several products.")]
        public string Stock(IReadOnlyList<string> skus, IWarehouseClient warehouses, IWarehouseClient? fallback = null) =>
            string.Join(", ", skus.Select(s => $"{s}: {warehouses.Stock(s)}"));

        [System.ComponentModel.Description("A price.")]
        public int Price(string sku, [FromKeyedServices("eu")] IWarehouseClient prices) => prices.Stock(sku);

        [System.ComponentModel.Description("The area of a figure.")]
        public string Area(McpServices.AspNetCore.Tests.TestTools.Figure figure) => figure.ToString();
    }

    /// <summary>
    /// A prompt's or resource's result is not serialized as JSON as a tool's is: the SDK knows a few types, and a prompt returning a
    /// number or a resource returning bytes or a record failed every request with an internal error. Startup fails instead;
    /// what the SDK accepts — including a list of messages, a blob, or an object that may hold one — starts and is served.
    /// </summary>
    [Fact]
    public async Task PromptsAndResourcesReturningWhatTheSdkCannotServe_FailStartup_SayingWhatToReturn()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b
            .WithTools<CalculatorTools>()
            .WithPrompts<UnservablePrompts>()
            .WithResources<UnservableResources>()));

        Assert.Equal(
            "The resource 'logo' (UnservableResources.Logo) returns Byte[], which the MCP SDK cannot turn into resource contents: return a string " +
            "(serialize a value to JSON yourself), a ResourceContents (BlobResourceContents.FromBytes for binary), a list of them or a ReadResourceResult; " +
            "The resource template 'product' (UnservableResources.Product) returns Product, which the MCP SDK cannot turn into resource contents: " +
            "return a string (serialize a value to JSON yourself), a ResourceContents (BlobResourceContents.FromBytes for binary), a list of them or a " +
            "ReadResourceResult; The prompt 'count' (UnservablePrompts.Count) returns Int32, which the MCP SDK cannot turn into a prompt: return a " +
            "string, a PromptMessage, a list of them or a GetPromptResult; The prompt 'nothing' (UnservablePrompts.Nothing) returns nothing, which " +
            "the MCP SDK cannot turn into a prompt: return a string, a PromptMessage, a list of them or a GetPromptResult. Every request for it would fail.",
            ex.Message);

        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithPrompts<ServablePrompts>().WithResources<ServableResources>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var steps = await client.GetPromptAsync("steps", cancellationToken: TestContext.Current.CancellationToken);
        var logo = await client.ReadResourceAsync("files://logo", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, steps.Messages.Count);
        Assert.Equal(Convert.ToBase64String([1, 2, 3]), System.Text.Encoding.UTF8.GetString(Assert.IsType<BlobResourceContents>(Assert.Single(logo.Contents)).Blob.Span));
    }

    /// <summary>
    /// The SDK binds a resource's parameters from the requested URI's template variables only: a parameter the template has no
    /// variable for (renamed on one side) failed every read. Startup fails instead; variables in any RFC 6570 form still match.
    /// </summary>
    [Fact]
    public async Task ResourceParametersWithoutATemplateVariable_FailStartup()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithResources<MismatchedResources>()));

        Assert.Equal(
            "The resource template 'order' (MismatchedResources.Order) takes the parameter 'orderId', which its URI template 'orders://{id}' has no " +
            "variable for: the SDK binds a resource's parameters from the requested URI's variables, so every read would fail. Name a template " +
            "variable as the parameter (for example {id} for the parameter id), or give the parameter a default value.",
            ex.Message);

        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithResources<MatchedResources>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var read = await client.ReadResourceAsync("files://docs/a/b.txt", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("docs: a/b.txt (page 1)", Assert.IsType<TextResourceContents>(Assert.Single(read.Contents)).Text);
    }

    [ModelContextProtocol.Server.McpServerResourceType]
    public sealed class MismatchedResources
    {
        [ModelContextProtocol.Server.McpServerResource(UriTemplate = "orders://{id}", Name = "order", MimeType = "text/plain")]
        public static string Order(string orderId) => orderId;
    }

    [ModelContextProtocol.Server.McpServerResourceType]
    public sealed class MatchedResources
    {
        [ModelContextProtocol.Server.McpServerResource(UriTemplate = "files://{root}/{+path}{?page}", Name = "file", MimeType = "text/plain")]
        public static string File(string root, string path, System.Security.Claims.ClaimsPrincipal caller, int page = 1) => $"{root}: {path} (page {page})";
    }

    /// <summary>
    /// An argument whose type the serializer silently empties or cannot create: a value tuple's elements are fields, which
    /// System.Text.Json does not read (the tool got (0, 0) whatever the caller sent); IPAddress, or an interface member of a
    /// record, cannot be created (every call failed). Startup fails naming the argument and the part; what JSON reads passes.
    /// </summary>
    [Fact]
    public async Task ArgumentsOfTypesJsonCannotRead_FailStartup_NamingThePart()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<UnreadableArgumentTools>()));

        Assert.Equal(
            "The tool 'range' (UnreadableArgumentTools.Range) takes the argument 'bounds', whose value is a tuple (ValueTuple<Int32, Int32>): its " +
            "elements are fields, which JSON does not read, so the handler would get default values whatever the caller sends; " +
            "The tool 'allow' (UnreadableArgumentTools.Allow) takes the argument 'address', whose value is IPAddress, a class without a public " +
            "parameterless constructor, a single public constructor or one marked [JsonConstructor], which JSON cannot create: every call that sends it would fail; " +
            "The tool 'ship' (UnreadableArgumentTools.Ship) takes the argument 'shipment', whose member shipment.parcels[].label is ILabel, an interface, " +
            "which JSON cannot create: every call that sends it would fail. " +
            "Declare what a caller sends as types JSON reads both ways: strings, numbers, records and classes with settable properties, lists.",
            ex.Message);

        await using var server = await TestServer.StartAsync(b => b.WithTools<ReadableArgumentTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var result = await client.CallToolAsync("range", new Dictionary<string, object?> { ["bounds"] = new { Min = 2, Max = 5 } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("2..5", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);

        // With options that include fields, the serializer reads and writes a tuple's elements: the tool is fine.
        var withFields = new System.Text.Json.JsonSerializerOptions(ModelContextProtocol.McpJsonUtilities.DefaultOptions) { IncludeFields = true };
        await using var tuples = await TestServer.StartAsync(b => b.WithTools<TupleTools>(withFields));
        await using var tupleClient = await tuples.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var swapped = await tupleClient.CallToolAsync("swap", new Dictionary<string, object?> { ["pair"] = new { Item1 = 2, Item2 = 5 } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("""{"item1":5,"item2":2}""", Assert.IsType<TextContentBlock>(Assert.Single(swapped.Content)).Text);
    }

    public sealed class TupleTools
    {
        [System.ComponentModel.Description("Swaps a pair.")]
        public (int, int) Swap((int, int) pair) => (pair.Item2, pair.Item1);
    }

    /// <summary>
    /// A tool result the serializer silently empties or cannot write: a tuple reached the caller as {} (its elements are fields),
    /// a stream failed every call. Startup fails naming the tool and the part; results the SDK converts itself pass.
    /// </summary>
    [Fact]
    public async Task ToolResultsJsonCannotWrite_FailStartup_NamingThePart()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b.WithTools<UnwritableResultTypeTools>()));

        Assert.Equal(
            "The tool 'count' (UnwritableResultTypeTools.Count) returns ValueTuple<Int32, String>, whose value is a tuple (ValueTuple<Int32, String>): " +
            "its elements are fields, which JSON does not write, so the caller would get {} instead of them; " +
            "The tool 'report' (UnwritableResultTypeTools.Report) returns Task<Report>, whose member result.lines[].range is a tuple " +
            "(ValueTuple<Int32, Int32>): its elements are fields, which JSON does not write, so the caller would get {} instead of them; " +
            "The tool 'download' (UnwritableResultTypeTools.Download) returns Stream, whose value is a stream (Stream), which JSON cannot write: " +
            "every call would fail. Return a record or class with properties, a list, text, or content blocks (ImageContentBlock, " +
            "EmbeddedResourceBlock for bytes).",
            ex.Message);

        await using var server = await TestServer.StartAsync(b => b.WithTools<WritableResultTypeTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var result = await client.CallToolAsync("count", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("""{"count":3,"name":"x"}""", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    public sealed record ReportLine(string Text, (int From, int To) Range);

    public sealed record Report(List<ReportLine> Lines);

    public sealed class UnwritableResultTypeTools
    {
        [System.ComponentModel.Description("A count.")]
        public (int Count, string Name) Count() => (3, "x");

        [System.ComponentModel.Description("A report.")]
        public Task<Report> Report() => Task.FromResult(new Report([]));

        [System.ComponentModel.Description("A file.")]
        public Stream Download() => new MemoryStream([1]);
    }

    public sealed record Counted(int Count, string Name);

    public sealed class WritableResultTypeTools
    {
        [System.ComponentModel.Description("A count.")]
        public Counted Count() => new(3, "x");

        [System.ComponentModel.Description("Content.")]
        public IEnumerable<ContentBlock> Blocks() => [new TextContentBlock { Text = "a" }];

        [System.ComponentModel.Description("A result.")]
        public Task<CallToolResult> Result() => Task.FromResult(new CallToolResult { Content = [] });

        [System.ComponentModel.Description("Bytes.")]
        public byte[] Bytes() => [1, 2];
    }

    public interface ILabel
    {
        string Text { get; }
    }

    public sealed record Parcel(ILabel Label, double Weight);

    public sealed record Shipment(string To, List<Parcel> Parcels);

    public sealed class UnreadableArgumentTools
    {
        [System.ComponentModel.Description("A range.")]
        public string Range((int Min, int Max) bounds) => $"{bounds.Min}..{bounds.Max}";

        [System.ComponentModel.Description("Allows an address.")]
        public string Allow(System.Net.IPAddress address) => address.ToString();

        [System.ComponentModel.Description("Ships parcels.")]
        public string Ship(Shipment shipment) => shipment.To;
    }

    public readonly record struct Bounds(int Min, int Max);

    public sealed class ReadableArgumentTools
    {
        [System.ComponentModel.Description("A range.")]
        public string Range(Bounds bounds) => $"{bounds.Min}..{bounds.Max}";

        [System.ComponentModel.Description("Many kinds of arguments.")]
        public string Kinds(Version version, System.Text.Json.JsonElement raw, object any, McpServices.AspNetCore.Tests.TestTools.Figure figure, Dictionary<string, List<Bounds>> byName, IWarehouseClient? optionalService = null) =>
            $"{version} {raw} {any} {figure} {byName.Count} {optionalService}";
    }

    /// <summary>
    /// Two prompts with one name, or two resources with one URI: the SDK served the first and dropped the other without a word
    /// (as it does for tools, which were already checked). Startup fails naming both methods.
    /// </summary>
    [Fact]
    public async Task DuplicatePromptNamesOrResourceUris_FailStartup_NamingBothMethods()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(b => b
            .WithTools<CalculatorTools>()
            .WithPrompts<ServablePrompts>()
            .WithPrompts<OtherStepsPrompts>()
            .WithResources<ServableResources>()
            .WithResources<OtherLogoResources>()));

        Assert.Equal(
            "The prompt name 'steps' is declared twice, by ServablePrompts.Steps and by OtherStepsPrompts.Steps; " +
            "The resource URI 'files://logo' is declared twice, by ServableResources.Logo and by OtherLogoResources.Logo. " +
            "The MCP SDK would serve the first and drop the others silently: rename one (the Name of its [McpServerPrompt], the UriTemplate of its [McpServerResource]).",
            ex.Message);
    }

    [ModelContextProtocol.Server.McpServerPromptType]
    public sealed class OtherStepsPrompts
    {
        [ModelContextProtocol.Server.McpServerPrompt(Name = "steps")]
        public static string Steps() => "Other steps.";
    }

    [ModelContextProtocol.Server.McpServerResourceType]
    public sealed class OtherLogoResources
    {
        [ModelContextProtocol.Server.McpServerResource(UriTemplate = "files://logo", Name = "other-logo", MimeType = "image/png")]
        public static string Logo() => "other";
    }

    public sealed record Product(string Sku);

    [ModelContextProtocol.Server.McpServerPromptType]
    public sealed class UnservablePrompts
    {
        [ModelContextProtocol.Server.McpServerPrompt(Name = "count")]
        public static Task<int> Count() => Task.FromResult(3);

        [ModelContextProtocol.Server.McpServerPrompt(Name = "nothing")]
        public static void Nothing()
        {
        }
    }

    [ModelContextProtocol.Server.McpServerResourceType]
    public sealed class UnservableResources
    {
        [ModelContextProtocol.Server.McpServerResource(UriTemplate = "files://logo", Name = "logo", MimeType = "image/png")]
        public static byte[] Logo() => [1, 2, 3];

        [ModelContextProtocol.Server.McpServerResource(UriTemplate = "products://{sku}", Name = "product", MimeType = "application/json")]
        public static Product Product(string sku) => new(sku);
    }

    [ModelContextProtocol.Server.McpServerPromptType]
    public sealed class ServablePrompts
    {
        [ModelContextProtocol.Server.McpServerPrompt(Name = "steps")]
        public static List<PromptMessage> Steps() =>
            [new() { Role = Role.User, Content = new TextContentBlock { Text = "One." } }, new() { Role = Role.User, Content = new TextContentBlock { Text = "Two." } }];

        [ModelContextProtocol.Server.McpServerPrompt(Name = "any")]
        public static object Any() => "Anything.";

        [ModelContextProtocol.Server.McpServerPrompt(Name = "later")]
        public static async ValueTask<string> Later() => await Task.FromResult("Later.");
    }

    [ModelContextProtocol.Server.McpServerResourceType]
    public sealed class ServableResources
    {
        [ModelContextProtocol.Server.McpServerResource(UriTemplate = "files://logo", Name = "logo", MimeType = "image/png")]
        public static BlobResourceContents Logo() => BlobResourceContents.FromBytes(new byte[] { 1, 2, 3 }, "files://logo", "image/png");

        [ModelContextProtocol.Server.McpServerResource(UriTemplate = "files://lines", Name = "lines", MimeType = "text/plain")]
        public static string[] Lines() => ["a", "b"];
    }

    /// <summary>
    /// Tools created by hand with a target instance, or from a lambda, are not created per call: the check of handler classes'
    /// constructors leaves them alone (it made such a service fail to start, for a dependency the application had passed itself).
    /// </summary>
    [Fact]
    public async Task HandWrittenToolsWithATargetOrFromALambda_AreNotCheckedForConstructorServices()
    {
        var target = new UnregisteredDependencyTools(new FixedWarehouseClient(), Microsoft.Extensions.Options.Options.Create(new WarehouseOptions()), new PriceList());
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>().WithMcpServer(mcp => mcp.WithTools(
        [
            ModelContextProtocol.Server.McpServerTool.Create(typeof(UnregisteredDependencyTools).GetMethod(nameof(UnregisteredDependencyTools.Lookup))!, target),
            ModelContextProtocol.Server.McpServerTool.Create((string text) => text.ToUpperInvariant(), new() { Name = "upper" }),
        ])));
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        var lookup = await client.CallToolAsync("lookup", new Dictionary<string, object?> { ["sku"] = "A-1" }, cancellationToken: TestContext.Current.CancellationToken);
        var upper = await client.CallToolAsync("upper", new Dictionary<string, object?> { ["text"] = "a" }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.StartsWith("A-1: 7", Assert.IsType<TextContentBlock>(Assert.Single(lookup.Content)).Text, StringComparison.Ordinal);
        Assert.Equal("A", Assert.IsType<TextContentBlock>(Assert.Single(upper.Content)).Text);
    }

    public sealed class PriceList : IPriceList;

    public interface IWarehouseClient
    {
        int Stock(string sku);
    }

    public sealed class FixedWarehouseClient : IWarehouseClient
    {
        public int Stock(string sku) => 7;
    }

    public sealed class WarehouseOptions;

    public interface IPriceList;

    public sealed class UnregisteredDependencyTools(IWarehouseClient warehouses, Microsoft.Extensions.Options.IOptions<WarehouseOptions> options, IPriceList prices)
    {
        public string Lookup(string sku) => $"{sku}: {warehouses.Stock(sku)} {options.Value} {prices}";

        public int Count() => 0;
    }

    [ModelContextProtocol.Server.McpServerPromptType]
    public sealed class UnregisteredDependencyPrompts(string region)
    {
        [ModelContextProtocol.Server.McpServerPrompt(Name = "brief")]
        public string Brief() => $"Brief {region}.";
    }

    public sealed class InjectedTools(
        [FromKeyedServices("eu")] IWarehouseClient warehouses,
        Microsoft.Extensions.Logging.ILogger<InjectedTools> logger,
        ModelContextProtocol.Server.McpServer server,
        System.Security.Claims.ClaimsPrincipal caller,
        string region = "eu")
    {
        public string Stock(string sku)
        {
            Microsoft.Extensions.Logging.LoggerExtensions.LogDebug(logger, "Stock of {Sku}", sku);
            return $"{sku}: {warehouses.Stock(sku)} ({(caller.Identity?.IsAuthenticated == true ? "known" : "anonymous")}, server {server is not null}, region {region})";
        }
    }
}
