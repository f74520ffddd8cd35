namespace McpServices.AspNetCore.Tests.Pipeline;

public sealed class CallIdTests
{
    [Fact]
    public void Ids_AreUniqueUuidV7_OrderedByTime()
    {
        var start = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, 100_000).Select(_ => CallIds.Next(start)).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$", id));
        Assert.True(Guid.TryParse(ids[0], out var guid) && guid.Version == 7);

        var later = CallIds.Next(start.AddMilliseconds(1));
        Assert.True(string.CompareOrdinal(later, ids[^1]) > 0, "An id from a later millisecond sorts after earlier ones.");
    }
}
