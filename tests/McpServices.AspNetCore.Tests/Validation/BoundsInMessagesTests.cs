using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace McpServices.AspNetCore.Tests.Validation;

/// <summary>
/// A value of the wrong kind for a number with bounds (<c>[Range]</c>, published as <c>minimum</c>/<c>maximum</c>) is told the
/// numbers it may be, not the whole range of its .NET type: a model that sent <c>5.5</c> for <c>[Range(1, 50)] int limit</c>
/// must not retry with <c>2000000000</c>.
/// </summary>
public sealed class BoundsInMessagesTests
{
    [Theory]
    [InlineData("""{"limit":5.5}""", "limit", "The value of limit must be an integer from 1 to 50.")]
    [InlineData("""{"limit":"many"}""", "limit", "The value of limit must be an integer from 1 to 50.")]
    [InlineData("""{"limit":99999999999}""", "limit", "The value of limit must be an integer from 1 to 50.")]
    [InlineData("""{"level":0.5}""", "level", "The value of level must be an integer from 2 to 9.")]
    [InlineData("""{"ratio":"half"}""", "ratio", "The value of ratio must be a number from 0.5 to 2.5.")]
    [InlineData("""{"count":1.5}""", "count", "The value of count must be an integer from -2147483648 to 2147483647.")]
    [InlineData("""{"page":{"size":2.5}}""", "page.size", "The value of page.size must be an integer from 1 to 200.")]
    [InlineData("""{"pages":[{"size":"big"}]}""", "pages[0].size", "The value of pages[0].size must be an integer from 1 to 200.")]
    [InlineData("""{"sizes":{"a":1,"b":1.5}}""", "sizes.b", "The value of sizes.b must be an integer from -2147483648 to 2147483647.")]
    public async Task AWrongValueForANumber_IsToldTheNumbersItMayBe(string arguments, string field, string message)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<BoundedTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(arguments);

        var result = await client.CallToolAsync("bounded", json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()), cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.IsError);
        var errors = result.StructuredContent!.Value.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("field").GetString(), e.GetProperty("message").GetString())).ToList();
        Assert.Equal([(field, message)], errors);
        Assert.Equal(0, server.Log().Count("bounded"));
    }

    public sealed class BoundedTools(TestTools.InvocationLog log)
    {
        public string Bounded(
            [Range(1, 50)] int limit = 10,
            [Range(1, 10, MinimumIsExclusive = true, MaximumIsExclusive = true)] int level = 5,
            [Range(0.5, 2.5)] double ratio = 1,
            int count = 0,
            Page? page = null,
            List<Page>? pages = null,
            Dictionary<string, int>? sizes = null)
        {
            log.Record("bounded");
            return $"{limit} {level} {ratio} {count} {page?.Size} {pages?.Count} {sizes?.Count}";
        }
    }

    public sealed class Page
    {
        [Range(1, 200)]
        public int Size { get; set; } = 20;
    }
}
