using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace McpServices.AspNetCore.Tests.Validation;

/// <summary>
/// Models often send a value in the wrong shape: a number, a boolean, an object or an array as a string that holds it
/// (<c>"adjustment": "{\"sku\": …}"</c>), a single value for an array, an array of one object for that object. Told only "must be
/// an object", a caller that sent one, quoted, cannot see what is wrong; the message says what to change, without echoing the
/// value.
/// </summary>
public sealed class ValueShapeTests
{
    [Theory]
    [InlineData("""{"limit":" 7 "}""", "limit", "The value of limit must be an integer from 1 to 50, not a string: send the number without quotes.")]
    [InlineData("""{"adjustment":{"sku":"A-1","delta":"2 "}}""", "adjustment.delta", "The value of adjustment.delta must be an integer from -100 to 100, not a string: send the number without quotes.")]
    [InlineData("""{"dryRun":"true"}""", "dryRun", "The value of dryRun must be a boolean, not a string: send true or false without quotes.")]
    [InlineData("""{"adjustment":"{\"sku\":\"A-1\",\"delta\":2}"}""", "adjustment", "The value of adjustment must be an object, not a string: send the object without quotes.")]
    [InlineData("""{"skus":"[\"A-1\",\"B-2\"]"}""", "skus", "The value of skus must be an array, not a string: send the array without quotes.")]
    [InlineData("""{"labels":"{\"a\":\"b\"}"}""", "labels", "The value of labels must be an object, not a string: send the object without quotes.")]
    [InlineData("""{"batch":["{\"sku\":\"A-1\",\"delta\":2}"]}""", "batch[0]", "The value of batch[0] must be an object, not a string: send the object without quotes.")]
    public async Task AValueSentAsAStringThatHoldsIt_IsToldToDropTheQuotes(string arguments, string field, string message)
    {
        var (errors, invoked) = await CallAsync(arguments);

        Assert.Equal([(field, message)], errors);
        Assert.False(invoked);
    }

    [Theory]
    [InlineData("""{"limit":"many"}""", "limit", "The value of limit must be an integer from 1 to 50.")]
    [InlineData("""{"limit":"5.5"}""", "limit", "The value of limit must be an integer from 1 to 50.")]
    [InlineData("""{"ratio":"1.5e"}""", "ratio", "The value of ratio must be a number.")]
    [InlineData("""{"dryRun":"yes"}""", "dryRun", "The value of dryRun must be a boolean.")]
    [InlineData("""{"adjustment":"{sku: A-1}"}""", "adjustment", "The value of adjustment must be an object.")]
    [InlineData("""{"adjustment":"[1,2]"}""", "adjustment", "The value of adjustment must be an object.")]
    public async Task AStringThatDoesNotHoldTheValue_GetsThePlainMessage(string arguments, string field, string message)
    {
        var (errors, invoked) = await CallAsync(arguments);

        Assert.Equal([(field, message)], errors);
        Assert.False(invoked);
    }

    /// <summary>A single value where an array belongs, and an array of one object where that object belongs: the message says which.</summary>
    [Theory]
    [InlineData("""{"skus":"A-1"}""", "skus", "The value of skus must be an array, not a single value: send an array, even of one ([…]).")]
    [InlineData("""{"skus":"A-1,B-2"}""", "skus", "The value of skus must be an array, not a single value: send an array, even of one ([…]).")]
    [InlineData("""{"skus":"{\"a\":1}"}""", "skus", "The value of skus must be an array, not a single value: send an array, even of one ([…]).")]
    [InlineData("""{"skus":7}""", "skus", "The value of skus must be an array, not a single value: send an array, even of one ([…]).")]
    [InlineData("""{"batch":{"sku":"A-1","delta":2}}""", "batch", "The value of batch must be an array, not a single value: send an array, even of one ([…]).")]
    [InlineData("""{"adjustment":[{"sku":"A-1","delta":2}]}""", "adjustment", "The value of adjustment must be an object, not an array: send the one object itself.")]
    [InlineData("""{"adjustment":[{"sku":"A-1"},{"sku":"B-2"}]}""", "adjustment", "The value of adjustment must be an object.")]
    [InlineData("""{"adjustment":["A-1"]}""", "adjustment", "The value of adjustment must be an object.")]
    [InlineData("""{"labels":[{"a":"b"}]}""", "labels", "The value of labels must be an object, not an array: send the one object itself.")]
    public async Task AValueOfTheWrongShape_IsToldWhichShape(string arguments, string field, string message)
    {
        var (errors, invoked) = await CallAsync(arguments);

        Assert.Equal([(field, message)], errors);
        Assert.False(invoked);
    }

    /// <summary>The SDK reads numbers from strings that are exactly a number (System.Text.Json's web defaults): such a call runs.</summary>
    [Theory]
    [InlineData("""{"limit":"5"}""")]
    [InlineData("""{"ratio":"1.5"}""")]
    [InlineData("""{"adjustment":{"sku":"A-1","delta":"2"}}""")]
    public async Task ANumberInAStringThatIsExactlyANumber_IsRead(string arguments)
    {
        var (errors, invoked) = await CallAsync(arguments);

        Assert.Empty(errors);
        Assert.True(invoked);
    }

    [Fact]
    public async Task AStringArgumentThatHoldsJson_IsAString()
    {
        var (errors, invoked) = await CallAsync("""{"note":"{\"not\":\"an object\"}"}""");

        Assert.Empty(errors);
        Assert.True(invoked);
    }

    private static async Task<(List<(string?, string?)> Errors, bool Invoked)> CallAsync(string arguments)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<QuotedTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(arguments);

        var result = await client.CallToolAsync("adjust", json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()), cancellationToken: TestContext.Current.CancellationToken);

        var errors = result.IsError == true
            ? result.StructuredContent!.Value.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("field").GetString(), e.GetProperty("message").GetString())).ToList()
            : [];
        return (errors, server.Log().Count("adjust") == 1);
    }

    public sealed class QuotedTools(TestTools.InvocationLog log)
    {
        public string Adjust(
            [Range(1, 50)] int limit = 10,
            double ratio = 1,
            bool dryRun = false,
            Adjustment? adjustment = null,
            List<string>? skus = null,
            Dictionary<string, string>? labels = null,
            List<Adjustment>? batch = null,
            string? note = null)
        {
            log.Record("adjust");
            return $"{limit} {ratio} {dryRun} {adjustment?.Sku} {skus?.Count} {labels?.Count} {batch?.Count} {note}";
        }
    }

    public sealed class Adjustment
    {
        public string Sku { get; set; } = "";

        [Range(-100, 100)]
        public int Delta { get; set; }
    }
}
