using System.Text.Json;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using FluentValidation;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.Validation;

public sealed class ArgumentValidationTests : IAsyncLifetime
{
    private McpTestServer _server = null!;
    private McpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(
            b => b.WithTools<OrderTools>().WithTools<CalculatorTools>().WithTools<ShipmentTools>().WithTools<MeasurementTools>().WithTools<PatternTools>(),
            configure: b => b.Services.AddValidatorsFromAssemblyContaining<OrderValidator>());
        _client = await _server.ConnectAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task DataAnnotationsOnParameters_InvalidValues_ReportEveryFieldAndSkipTheTool()
    {
        var result = await CallAsync("reserve", new { sku = "bad", quantity = 5000, contact = "not-an-email", note = "x" });

        var errors = AssertInvalid(result);
        Assert.Equal(["sku", "quantity", "contact", "note"], errors.Select(e => e.Field));
        Assert.Contains("must be between 1 and 1000", errors.Single(e => e.Field == "quantity").Message);
        Assert.Contains("e-mail", errors.Single(e => e.Field == "contact").Message, StringComparison.OrdinalIgnoreCase);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        foreach (var error in errors)
        {
            Assert.Contains($"{error.Field}: {error.Message}", text);
        }

        Assert.Equal(0, _server.Log().Count("reserve"));
    }

    [Fact]
    public async Task MissingRequiredArguments_AreNamed()
    {
        var result = await CallAsync("reserve", new { });

        var errors = AssertInvalid(result);
        Assert.Equal(["sku", "quantity"], errors.Select(e => e.Field));
        Assert.All(errors, e => Assert.Contains("is required", e.Message));
    }

    [Fact]
    public async Task WrongJsonType_IsReportedWithTheExpectedType()
    {
        var result = await CallAsync("reserve", new { sku = "ABC-1234", quantity = "lots" });

        var error = Assert.Single(AssertInvalid(result));
        Assert.Equal("quantity", error.Field);
        Assert.Equal("The value of quantity must be an integer from 1 to 1000.", error.Message);
        Assert.Equal(0, _server.Log().Count("reserve"));
    }

    [Theory]
    [InlineData(99999999999L)]
    [InlineData(1.5)]
    public async Task IntegerOutsideTheParametersType_IsReportedWithItsRange(object quantity)
    {
        // The schema the SDK publishes says only "integer" and [Range(1, 1000)]'s bounds: the message must say which integers,
        // or 99999999999 reads as "must be an integer" although it is one. (Without bounds, the type's range: a dictionary's
        // values below, the key of a Dictionary<int, …>.)
        var result = await CallAsync("reserve", new { sku = "ABC-1234", quantity });

        var error = Assert.Single(AssertInvalid(result));
        Assert.Equal("quantity", error.Field);
        Assert.Equal("The value of quantity must be an integer from 1 to 1000.", error.Message);
        Assert.Equal(0, _server.Log().Count("reserve"));
    }

    [Theory]
    [InlineData("3.0", "3")]
    [InlineData("3.000", "3")]
    [InlineData("3e0", "3")]
    [InlineData("0.3e1", "3")]
    [InlineData("1.2E2", "120")]
    public async Task IntegerWrittenWithAFractionOrExponent_IsTheInteger(string quantity, string read)
    {
        // JSON Schema's "integer" is any number without a fractional part: 3.0 is one (Python's json.dumps writes a float so).
        // The serializer does not read it as an int; the tool gets the integer, and the audit record the arguments as sent.
        var result = await CallWithJsonAsync("reserve", $$"""{"sku":"ABC-1234","quantity":{{quantity}}}""");

        Assert.NotEqual(true, result.IsError);
        Assert.Equal($"reserved {read} x ABC-1234", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        var record = await _server.Audit.WaitForAsync(r => r.Tool == "reserve" && McpTestAuditSink.Parse(r).GetProperty("arguments").GetProperty("quantity").GetRawText() == quantity);
        Assert.Equal("succeeded", record.Outcome);
    }

    [Theory]
    [InlineData("3.5")]
    [InlineData("3.0000000000000000000000000000001")]
    [InlineData("1e-1")]
    public async Task IntegerWithAFractionalPart_IsInvalid(string quantity)
    {
        var result = await CallWithJsonAsync("reserve", $$"""{"sku":"ABC-1234","quantity":{{quantity}}}""");

        Assert.Equal(("quantity", "The value of quantity must be an integer from 1 to 1000."), Assert.Single(AssertInvalid(result)));
        Assert.Equal(0, _server.Log().Count("reserve"));
    }

    [Fact]
    public async Task NestedIntegersWrittenWithAFraction_AreIntegers_AndValidated()
    {
        // Rewritten where the schema says "integer" at any depth (array items, dictionary values); then validated as usual.
        var lines = await CallWithJsonAsync("place_order", """{"order":{"customerEmail":"a@example.com","lines":[{"sku":"ABC-1234","quantity":2.0}]}}""");
        var counts = await CallWithJsonAsync("count", """{"counts":{"north":1.0,"south":2e1}}""");
        var outOfRange = await CallWithJsonAsync("reserve", """{"sku":"ABC-1234","quantity":5e3}""");

        Assert.NotEqual(true, lines.IsError);
        Assert.NotEqual(true, counts.IsError);
        Assert.Equal("2", Assert.IsType<TextContentBlock>(Assert.Single(counts.Content)).Text);
        Assert.Equal(("quantity", "The field quantity must be between 1 and 1000."), Assert.Single(AssertInvalid(outOfRange)));
    }

    [Fact]
    public async Task RecordParameters_DataAnnotationsOnTheConstructor_AreEnforced()
    {
        // [Range(1, 5)] int Quantity in a positional record sits on the constructor parameter; the SDK's schema shows it.
        var result = await CallAsync("ship", new
        {
            shipment = new
            {
                reference = "R-1",
                carrier = "Post",
                parcels = new object[] { new { sku = "ABC-1234", quantity = 9 }, new { sku = "bad", quantity = 1 } },
                extras = new Dictionary<string, object> { ["gift"] = new { sku = "XYZ-0001", quantity = 0 } },
            },
        });

        var errors = AssertInvalid(result);
        Assert.Equal(["shipment.parcels[0].quantity", "shipment.parcels[1].sku", "shipment.extras.gift.quantity"], errors.Select(e => e.Field));
        Assert.Equal("The field quantity must be between 1 and 5.", errors[0].Message);
        Assert.Equal(0, _server.Log().Count("ship"));
    }

    [Fact]
    public async Task NestedMembersTheSchemaRequires_MissingOrNull_AreNamed()
    {
        var result = await CallAsync("ship", new
        {
            shipment = new
            {
                carrier = "Post",
                parcels = new object?[] { new { quantity = 1 }, new { sku = (string?)null, quantity = 1 }, new { sku = "ABC-1234", quantity = 1, note = (string?)null } },
            },
        });

        var errors = AssertInvalid(result);
        Assert.Equal(["shipment.reference", "shipment.parcels[0].sku", "shipment.parcels[1].sku"], errors.Select(e => e.Field));
        Assert.Equal("The shipment.parcels[0].sku field is required.", errors[1].Message);
        Assert.Equal(0, _server.Log().Count("ship"));

        var tools = await _client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var parcel = tools.Single(t => t.Name == "ship").JsonSchema.GetProperty("properties").GetProperty("shipment").GetProperty("properties").GetProperty("parcels").GetProperty("items");
        Assert.Equal(["sku", "quantity"], parcel.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task RecursiveArgumentType_IsCheckedAtEveryDepth()
    {
        var valid = await CallAsync("file", new { root = new { name = "a", children = new object[] { new { name = "b", children = new object[] { new { name = "c" } } } } } });
        Assert.NotEqual(true, valid.IsError);

        var result = await CallAsync("file", new { root = new { name = "a", children = new object[] { new { name = "b", children = new object[] { new { } } } } } });

        var error = Assert.Single(AssertInvalid(result));
        Assert.Equal("root.children[0].children[0].name", error.Field);
        Assert.Equal(1, _server.Log().Count("file"));
    }

    [Theory]
    [InlineData("\"Drone\"")]
    [InlineData("7")]
    [InlineData("1")]
    public async Task EnumValueNotInTheSchemasList_IsInvalid_AndNamesTheValuesAsTheSchemaSpellsThem(string carrier)
    {
        // 7 would deserialize to an undefined Carrier; 1 would deserialize, although the schema lists only the names.
        var result = await CallAsync("pick_carrier", JsonSerializer.Deserialize<JsonElement>($$"""{"carrier":{{carrier}}}"""));

        var error = Assert.Single(AssertInvalid(result));
        Assert.Equal("carrier", error.Field);
        Assert.Equal("The value of carrier must be one of: Post, ExpressCourier.", error.Message);
        Assert.Equal(0, _server.Log().Count("pick_carrier"));
    }

    [Fact]
    public async Task WhatTheSerializerReadsIgnoringCase_IsAcceptedByTheSchemaCheckToo()
    {
        // The SDK's serializer options match member names ignoring case, and enum names are read ignoring case: a client that
        // writes "Sku" or "post" gets what it meant, as it did before the schema check.
        var result = await CallAsync("ship", new
        {
            shipment = new { Reference = "R-1", Carrier = "post", Parcels = new object[] { new { SKU = "ABC-1234", Quantity = 2 } } },
        });

        Assert.Equal("Post: 1 parcel(s)", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public async Task EnumValues_InArraysAndNestedObjects_AreChecked()
    {
        var inArray = await CallAsync("pick_carrier", new { carrier = "Post", fallbacks = new object[] { "ExpressCourier", 9 } });
        Assert.Equal("fallbacks[1]", Assert.Single(AssertInvalid(inArray)).Field);

        var nested = await CallAsync("ship", new { shipment = new { reference = "R-1", carrier = "Pigeon", parcels = Array.Empty<object>() } });
        var error = Assert.Single(AssertInvalid(nested));
        Assert.Equal(("shipment.carrier", "The value of shipment.carrier must be one of: Post, ExpressCourier."), error);

        var valid = await CallAsync("pick_carrier", new { carrier = "ExpressCourier", fallbacks = new[] { "Post" } });
        Assert.Equal("ExpressCourier", Assert.IsType<TextContentBlock>(Assert.Single(valid.Content)).Text);
    }

    [Fact]
    public async Task FlagsEnum_TakesCombinations_AndItsMessageSaysSo()
    {
        var combined = await CallAsync("label", new { handling = "Fragile, KeepCold" });
        Assert.Equal("Fragile, KeepCold", Assert.IsType<TextContentBlock>(Assert.Single(combined.Content)).Text);

        var result = await CallAsync("label", new { handling = "Upright" });

        Assert.Equal(("handling", "The value of handling must be one or more of: None, Fragile, KeepCold (several separated by ', ')."), Assert.Single(AssertInvalid(result)));
    }

    [Fact]
    public async Task DictionaryValueOfTheWrongType_NamesTheValuesType()
    {
        var result = await CallAsync("count", new { counts = new { north = 1, south = "many" } });

        var error = Assert.Single(AssertInvalid(result));
        Assert.Equal(("counts.south", "The value of counts.south must be an integer from -2147483648 to 2147483647."), error);
    }

    [Fact]
    public async Task TypesThatAreTheirOwnCollectionOrDictionary_AreServed()
    {
        // class Outline : List<Outline>, class Taxonomy : Dictionary<string, Taxonomy>: planning their validation once recursed
        // without end (a stack overflow that ended the process at startup).
        var result = await CallAsync("classify", new { outline = new[] { new object[] { Array.Empty<object>() } }, taxonomy = new { animals = new { cats = new { } } } });

        Assert.Equal("1 1", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public async Task CharArgument_OfMoreThanOneCharacter_SaysSo()
    {
        var result = await CallAsync("mark_bin", new { bin = "AB" });

        Assert.Equal(("bin", "The value of bin must be a string of one character."), Assert.Single(AssertInvalid(result)));
    }

    [Fact]
    public async Task NullForNonNullableArgument_IsRequired()
    {
        var result = await CallAsync("reserve", new { sku = (string?)null, quantity = 1 });

        var error = Assert.Single(AssertInvalid(result));
        Assert.Equal("sku", error.Field);
    }

    [Fact]
    public async Task ValidArguments_RunTheTool()
    {
        var result = await CallAsync("reserve", new { sku = "ABC-1234", quantity = 3, contact = "ops@example.com" });

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("reserved 3 x ABC-1234", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal(1, _server.Log().Count("reserve"));
    }

    [Fact]
    public async Task ComplexArgument_NestedDataAnnotations_ReportJsonPaths()
    {
        var result = await CallAsync("place_order", new
        {
            order = new
            {
                customerEmail = "nobody",
                lines = new object[] { new { sku = "ABC-1234", quantity = 1 }, new { sku = "bad", quantity = 0 } },
                gift = new { sku = "XYZ-0001", quantity = 101 },
            },
        });

        var errors = AssertInvalid(result);
        Assert.Equal(
            ["order.customerEmail", "order.lines[1].sku", "order.lines[1].quantity", "order.gift.quantity"],
            errors.Select(e => e.Field));
        Assert.Equal("The sku must look like ABC-1234.", errors.Single(e => e.Field == "order.lines[1].sku").Message);
        Assert.Contains("quantity", errors.Single(e => e.Field == "order.gift.quantity").Message);
        Assert.Equal(0, _server.Log().Count("place_order"));
    }

    [Fact]
    public async Task ComplexArgument_FluentValidationRules_AreEnforced()
    {
        var lines = Enumerable.Range(1, 4).Select(i => new { sku = $"ABC-000{i}", quantity = 1 }).ToArray();
        var result = await CallAsync("place_order", new { order = new { customerEmail = "buyer@blocked.example", lines } });

        var errors = AssertInvalid(result);
        Assert.Equal(["order.customerEmail", "order.lines"], errors.Select(e => e.Field));
        Assert.Equal("Orders from blocked.example are not accepted.", errors[0].Message);
        Assert.Equal("An order has at most 3 lines.", errors[1].Message);
        Assert.Equal(0, _server.Log().Count("place_order"));
    }

    [Fact]
    public async Task ComplexArgument_WrongNestedType_NamesTheNestedField()
    {
        var result = await CallAsync("place_order", new { order = new { customerEmail = "a@example.com", lines = new object[] { new { sku = "ABC-1234", quantity = "two" } } } });

        var error = Assert.Single(AssertInvalid(result));
        Assert.Equal("order.lines[0].quantity", error.Field);
        Assert.Equal("The value of order.lines[0].quantity must be an integer from 1 to 100.", error.Message);
    }

    [Fact]
    public async Task ComplexArgument_Valid_RunsTheTool()
    {
        var result = await CallAsync("place_order", new { order = new { customerEmail = "a@example.com", lines = new[] { new { sku = "ABC-1234", quantity = 2 } } } });

        Assert.NotEqual(true, result.IsError);
        Assert.Equal(1, _server.Log().Count("place_order"));
    }

    [Fact]
    public async Task OptionalArgumentsWithDefaults_AreNotRequired()
    {
        var result = await CallAsync("add", new { a = 1 });

        Assert.Equal("3", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    [Fact]
    public async Task NullArguments_AnOptionalOneGetsItsDefault_ARequiredOneIsNamed()
    {
        // Clients that follow OpenAI's strict function calling send null for every optional parameter they have no value for.
        var optional = await CallWithJsonAsync("add", """{"a":1,"b":null}""");
        var required = await CallWithJsonAsync("add", """{"a":null}""");

        Assert.Equal("3", Assert.IsType<TextContentBlock>(Assert.Single(optional.Content)).Text);
        Assert.Equal(("a", "The a field is required."), Assert.Single(AssertInvalid(required))); // without a default, null is no value
        var anyJson = await CallWithJsonAsync("annotate", """{"count":1,"note":null}"""); // a JsonElement takes any JSON
        Assert.Equal("1 Null", Assert.IsType<TextContentBlock>(Assert.Single(anyJson.Content)).Text);
        Assert.Equal(("count", "The count field is required."), Assert.Single(AssertInvalid(await CallWithJsonAsync("annotate", """{"count":null,"note":1}"""))));
        var record = await _server.Audit.WaitForAsync(r => r.Tool == "add" && r.Outcome == "succeeded" && McpTestAuditSink.Parse(r).GetProperty("arguments").TryGetProperty("b", out var b) && b.ValueKind == JsonValueKind.Null);
        Assert.NotNull(record); // recorded as sent
    }

    /// <summary>
    /// Below the top level too: clients that follow OpenAI's strict function calling send every member of an object, with null for
    /// the optional ones they have no value for. A member the schema does not require (it has a default) gets its default, a
    /// required one is named, and a null where the type allows it stays null.
    /// </summary>
    [Fact]
    public async Task NullForOptionalNestedMembers_GivesTheirDefaults()
    {
        var nulls = await CallWithJsonAsync("deliver", """{"delivery":{"address":"Main St 1","attempts":null,"carrier":null,"window":null,"signature":null,"then":[{"address":"Side St 2","attempts":null,"window":null,"carrier":null,"signature":null,"then":null}]}}""");
        var required = await CallWithJsonAsync("deliver", """{"delivery":{"address":null,"attempts":null}}""");
        var given = await CallWithJsonAsync("deliver", """{"delivery":{"address":"Main St 1","attempts":1,"carrier":"Post","window":"am","signature":true}}""");

        Assert.Equal("Main St 1 3 ExpressCourier any False then Side St 2 3 any", Assert.IsType<TextContentBlock>(Assert.Single(nulls.Content)).Text);
        Assert.Equal(("delivery.address", "The delivery.address field is required."), Assert.Single(AssertInvalid(required)));
        Assert.Equal("Main St 1 1 Post am True", Assert.IsType<TextContentBlock>(Assert.Single(given.Content)).Text);
        Assert.Equal(2, _server.Log().Count("deliver"));
    }

    [Fact]
    public void ArgumentPlans_BuiltOnManyThreadsAtOnce_DoNotShareReflectionState()
    {
        // Regression: argument plans once shared one static NullabilityInfoContext, which is not thread-safe; hosts built at the
        // same time (parallel test classes, several services in one process) failed with "An item with the same key has already
        // been added". Every thread builds the plans of every test tool method at the same moment.
        var methods = typeof(OrderTools).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(OrderTools).Namespace)
            .SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly))
            .Where(m => !m.GetParameters().Any(p => p.ParameterType.IsByRef)) // a record's Deconstruct: not a tool
            .ToArray();
        var serializerOptions = ModelContextProtocol.McpJsonUtilities.DefaultOptions;
        var objectValidator = new ObjectValidator(serializerOptions);
        const int threads = 8;
        using var start = new Barrier(threads);
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                foreach (var method in methods)
                {
                    var schema = JsonSerializer.SerializeToElement(new { type = "object", properties = method.GetParameters().ToDictionary(p => p.Name!, _ => new { }) });
                    ArgumentPlan.Create(method, schema, serializerOptions, objectValidator, isService: null);
                }
            }
            catch (Exception e)
            {
                failures.Add(e);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.Empty(failures);
        Assert.NotEmpty(methods);
    }

    [Theory]
    [InlineData("""{"gauge":{"level":1e39}}""", "gauge.level")]
    [InlineData("""{"gauge":{"level":1,"history":[1,-3.5e38]}}""", "gauge.history[1]")]
    [InlineData("""{"gauge":{"level":1,"byRoom":{"kitchen":4e38}}}""", "gauge.byRoom.kitchen")]
    [InlineData("""{"gauge":{"level":1e400}}""", "gauge.level")] // beyond a double too: reported once
    public async Task NestedFloatBeyondItsRange_IsInvalid_AndTheToolDoesNotRun(string arguments, string field)
    {
        // The schema says "number" for a float as for a double, so only the type knows that 1e39 reads as an infinity in a float.
        var result = await CallWithJsonAsync("calibrate", arguments);

        Assert.Equal([(field, $"The value of {field} must be a finite number.")], AssertInvalid(result));
        Assert.Equal(0, _server.Log().Count("calibrate"));

        var fine = await CallWithJsonAsync("calibrate", """{"gauge":{"level":3.4e38,"history":[1,2],"byRoom":{"kitchen":0.5,"hall":null}}}""");
        Assert.Equal("3.4E+38 3 0.5", Assert.IsType<TextContentBlock>(Assert.Single(fine.Content)).Text);
    }

    [Theory]
    [InlineData("""{"factor":"NaN","ratio":1,"reading":{"value":1}}""", "factor")]
    [InlineData("""{"factor":"-Infinity","ratio":1,"reading":{"value":1}}""", "factor")]
    [InlineData("""{"factor":1e400,"ratio":1,"reading":{"value":1}}""", "factor")]
    [InlineData("""{"factor":1,"ratio":1e39,"reading":{"value":1}}""", "ratio")]
    [InlineData("""{"factor":1,"ratio":1,"reading":{"value":"Infinity"}}""", "reading.value")]
    [InlineData("""{"factor":1,"ratio":1,"reading":{"value":1,"samples":[2.5,-1e309]}}""", "reading.samples[1]")]
    public async Task NumbersThatAreNotFinite_AreInvalid_AndTheToolDoesNotRun(string arguments, string field)
    {
        // The SDK's serializer reads "NaN" and "Infinity" as numbers, and a number beyond the type's range as an infinity; JSON
        // Schema's "number", which the tool publishes, allows neither, and a tool would compute with them.
        var result = await CallWithJsonAsync("scale", arguments);

        Assert.Equal([(field, $"The value of {field} must be a finite number.")], AssertInvalid(result));
        Assert.Equal(0, _server.Log().Count("scale"));

        var fine = await _client.CallToolAsync("scale", new Dictionary<string, object?> { ["factor"] = "2", ["ratio"] = 0.5, ["reading"] = new { value = 3, samples = new[] { 1.5 } } }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("3", Assert.IsType<TextContentBlock>(Assert.Single(fine.Content)).Text); // a number as a string still reads
    }

    [Fact]
    public async Task ADecimalBeyondItsRange_IsReportedWithTheRange()
    {
        var result = await CallWithJsonAsync("price", """{"amount":1e30}""");

        Assert.Equal([("amount", "The value of amount must be a number from -79228162514264337593543950335 to 79228162514264337593543950335.")], AssertInvalid(result));
    }

    [Theory]
    [InlineData("""{"source":"not a uri","link":{"href":"https://example.com/b"}}""", "source")]
    [InlineData("""{"source":"/relative/path","link":{"href":"https://example.com/b"}}""", "source")]
    [InlineData("""{"source":"","link":{"href":"https://example.com/b"}}""", "source")]
    [InlineData("""{"source":"https://example.com/a","link":{"href":"b.html"}}""", "link.href")]
    public async Task AUriWhereTheSchemaSaysFormatUri_MustBeAbsolute(string arguments, string field)
    {
        // The schema publishes "format": "uri" (an absolute URI); the serializer reads any string as a relative Uri, on which a
        // tool's uri.Host throws.
        var result = await CallWithJsonAsync("fetch", arguments);

        Assert.Equal([(field, $"The value of {field} must be an absolute URI, such as https://example.com/path.")], AssertInvalid(result));
        var fine = await _client.CallToolAsync("fetch", new Dictionary<string, object?> { ["source"] = "https://example.com/a", ["link"] = new { href = "urn:isbn:0451450523" } }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("example.com urn:isbn:0451450523", Assert.IsType<TextContentBlock>(Assert.Single(fine.Content)).Text);
    }

    /// <summary>
    /// A byte array is a base64 string in JSON (the input schema says "string"): a value that is not base64 was reported as "must
    /// be an array", which sent clients the wrong way.
    /// </summary>
    [Theory]
    [InlineData("""{"data":"not base64!","attachment":{"name":"a.txt","content":"AQID"}}""", "data")]
    [InlineData("""{"data":[1,2,3],"attachment":{"name":"a.txt","content":"AQID"}}""", "data")]
    [InlineData("""{"data":"AQID","attachment":{"name":"a.txt","content":"***"}}""", "attachment.content")]
    public async Task ByteArrays_AreBase64Strings_AndTheirMessageSaysSo(string arguments, string field)
    {
        var result = await CallWithJsonAsync("checksum", arguments);

        Assert.Equal([(field, $"The value of {field} must be a base64 string.")], AssertInvalid(result));
        var fine = await CallWithJsonAsync("checksum", """{"data":"AQIDBA==","attachment":{"name":"a.txt","content":"AQID"}}""");
        Assert.Equal("4 a.txt 3", Assert.IsType<TextContentBlock>(Assert.Single(fine.Content)).Text);
    }

    /// <summary>Int128, UInt128 and Half are numbers to the schema and the serializer; their messages said "must be an object".</summary>
    [Fact]
    public async Task WideIntegersAndHalfPrecisionNumbers_AreNumbers_WithTheirRanges()
    {
        var result = await CallWithJsonAsync("wide", """{"big":"lots","half":1e10}""");

        Assert.Equal(
            [
                ("big", "The value of big must be an integer from -170141183460469231731687303715884105728 to 170141183460469231731687303715884105727."),
                ("half", "The value of half must be a number from -65504 to 65504."),
            ],
            AssertInvalid(result));
        var fine = await CallWithJsonAsync("wide", """{"big":170141183460469231731687303715884105727,"half":1.5}""");
        Assert.Equal("170141183460469231731687303715884105727 1.5", Assert.IsType<TextContentBlock>(Assert.Single(fine.Content)).Text);
    }

    /// <summary>
    /// A dictionary with integer keys: a key that is not one was reported as its value having the wrong type ("byId.one must be
    /// a string" for a string value).
    /// </summary>
    [Theory]
    [InlineData("""{"byId":{"one":"a"}}""", "byId.one", "The key 'one' of byId must be an integer from -2147483648 to 2147483647.")]
    [InlineData("""{"byId":{"1":5}}""", "byId.1", "The value of byId.1 must be a string.")]
    public async Task DictionaryKeysOfAnotherType_AreNamedAsKeys(string arguments, string field, string message)
    {
        var result = await CallWithJsonAsync("tally", arguments);

        Assert.Equal([(field, message)], AssertInvalid(result));
        var fine = await CallWithJsonAsync("tally", """{"byId":{"1":"a","2":"b"}}""");
        Assert.Equal("1=a,2=b", Assert.IsType<TextContentBlock>(Assert.Single(fine.Content)).Text);
    }

    /// <summary>
    /// Polymorphic arguments ([JsonDerivedType]; the schema is an anyOf with a "$type" const per type). The DataAnnotations and
    /// required members of the derived types were not enforced (the declared type has neither), so the tool ran with them broken;
    /// a discriminator that is not the object's first member, which JSON allows, was refused; and a missing or unknown
    /// discriminator, or a member of the wrong type, was reported as "must be an object".
    /// </summary>
    [Theory]
    [InlineData("""{"figure":{"$type":"disc","radius":-1},"more":[]}""", "figure.radius", "The field radius must be between 0 and 100.")]
    [InlineData("""{"figure":{"$type":"disc","radius":1},"more":[{"$type":"tile"}]}""", "more[0].side", "The more[0].side field is required.")]
    [InlineData("""{"figure":{"$type":"hexagon","radius":1},"more":[]}""", "figure.$type", "The value of figure.$type must be one of: disc, tile.")]
    [InlineData("""{"figure":{"radius":1},"more":[]}""", "figure.$type", "The value of figure.$type must be one of: disc, tile.")]
    [InlineData("""{"figure":{"$type":"disc","radius":1},"more":[{"$type":"tile","side":1},{"$type":"cube"}]}""", "more[1].$type", "The value of more[1].$type must be one of: disc, tile.")]
    [InlineData("""{"figure":{"$type":"disc","radius":"big"},"more":[]}""", "figure.radius", "The value of figure.radius must be a number.")]
    public async Task PolymorphicArguments_AreValidatedAsTheTypeTheyName(string arguments, string field, string message)
    {
        var result = await CallWithJsonAsync("draw", arguments);

        Assert.Equal([(field, message)], AssertInvalid(result));
        Assert.Equal(0, _server.Log().Count("draw"));
    }

    [Fact]
    public async Task PolymorphicArguments_WithTheDiscriminatorAnywhere_RunTheTool()
    {
        var result = await CallWithJsonAsync("draw", """{"figure":{"radius":2,"$type":"disc"},"more":[{"side":3,"$type":"tile"}]}""");

        Assert.Equal("Disc { Radius = 2 } 1", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }

    /// <summary>Calls a tool with arguments written as JSON (numbers such as 1e400 that no .NET value serializes to).</summary>
    private async Task<CallToolResult> CallWithJsonAsync(string tool, string arguments)
    {
        using var json = JsonDocument.Parse(arguments);
        return await _client.CallToolAsync(tool, json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()), cancellationToken: TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("tag", "label", "label")]
    [InlineData("stick", "sticker", "sticker.text")]
    [InlineData("stamp", "stamp", "stamp")]
    public async Task APatternThatTimesOutOnTheValue_IsAnInvalidArgument_NotAnInternalError(string tool, string argument, string field)
    {
        // A pattern that backtracks catastrophically on the caller's value stops after its match timeout: the caller's input is
        // what failed, so the call is invalid (before, a failure of the tool with an internal-error log for every such call).
        var text = new string('a', 40) + "!";
        var value = argument == "label" ? (object)text : new Dictionary<string, object> { ["text"] = text };
        var result = await CallAsync(tool, new Dictionary<string, object> { [argument] = value });

        Assert.Equal([(field, "The value could not be checked against its pattern within 50 ms; send a shorter or simpler value.")], AssertInvalid(result));
        Assert.Equal(0, _server.Log().Count(tool));
        var record = await _server.Audit.WaitForAsync(r => r.Tool == tool, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(("invalid", "invalid_arguments"), (record.Outcome, record.ErrorCode));

        // A value the pattern matches quickly still runs the tool.
        var ok = await CallAsync(tool, new Dictionary<string, object> { [argument] = argument == "label" ? "aaa" : new Dictionary<string, object> { ["text"] = "aaa" } });
        Assert.NotEqual(true, ok.IsError);
    }

    private async Task<CallToolResult> CallAsync(string tool, object arguments)
    {
        var json = JsonSerializer.SerializeToElement(arguments);
        var dictionary = json.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
        return await _client.CallToolAsync(tool, dictionary, cancellationToken: TestContext.Current.CancellationToken);
    }

    private static List<(string Field, string Message)> AssertInvalid(CallToolResult result)
    {
        Assert.True(result.IsError);
        Assert.NotNull(result.StructuredContent);
        return result.StructuredContent.Value.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("field").GetString()!, e.GetProperty("message").GetString()!))
            .ToList();
    }
}
