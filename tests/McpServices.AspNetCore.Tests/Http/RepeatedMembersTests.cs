using System.Text;
using System.Text.Json;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>
/// A member given twice in one object of a tool's arguments is found wherever it is, compared after unescaping; members of the same
/// name in different objects, or differing in case, are not; and the reader ends where skipping the value would have left it.
/// </summary>
public sealed class RepeatedMembersTests
{
    [Theory]
    [InlineData("""{"a":1,"b":2}""", null)]
    [InlineData("""{"a":1,"A":2}""", null)] // another member in JSON; case-insensitive binding is the validation stage's concern
    [InlineData("""{"x":{"a":1},"y":{"a":1},"a":{"a":{"a":1}}}""", null)] // one name in several objects
    [InlineData("""[{"a":1},{"a":2}]""", null)]
    [InlineData("""{"a":1,"b":2,"a":3}""", "|a")]
    [InlineData("""{"a\u00e9":1,"aé":2}""", "|aé")] // equal once unescaped
    [InlineData("""{"\u0061":1,"\u0061":2}""", "|a")]
    [InlineData("""{"x":{"y":[1,{"z":0,"q":{},"z":1}]}}""", ".x.y[1]|z")]
    [InlineData("""{"x":{"k":1},"x":{"k":1,"k":2}}""", "|x")] // the first found: the outer one, named before its second copy is read
    [InlineData("""{"x":{"k":1,"k":2},"x":{}}""", ".x|k")]
    [InlineData("5", null)]
    public void FindsTheFirstMemberGivenTwice(string json, string? expected)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(body);
        reader.Read();

        var found = RepeatedMembers.Find(ref reader, body);

        Assert.Equal(expected, found is { } f ? $"{f.Path}|{f.Name}" : null);
        var skipped = new Utf8JsonReader(body);
        skipped.Read();
        skipped.Skip();
        Assert.Equal(skipped.BytesConsumed, reader.BytesConsumed);
    }

    [Theory]
    [InlineData(16, 3, false)]
    [InlineData(16, -1, false)]
    [InlineData(17, 16, false)]
    [InlineData(17, 0, true)]
    [InlineData(33, -1, false)]
    [InlineData(1000, -1, true)]
    [InlineData(1000, 10, false)]
    [InlineData(1000, 500, true)]
    [InlineData(40, 35, true)]
    [InlineData(100_000, 99_998, true)]
    public void LargeObjects_AreCheckedThroughAHashTable(int members, int repeatOf, bool escapeEveryOther)
    {
        // Every other name written with an escape (m5 as \u006d5): equal names compare equal however they are spelled.
        string Spelled(int i, string name) => escapeEveryOther && i % 2 == 1 ? "\\u006d" + name[1..] : name;
        var names = Enumerable.Range(0, members).Select(i => $"m{i}").ToList();
        if (repeatOf >= 0)
        {
            names.Add($"m{repeatOf}");
        }

        var body = Encoding.UTF8.GetBytes("{\"outer\":{" + string.Join(',', names.Select((n, i) => $"\"{Spelled(i, n)}\":{i}")) + "},\"next\":{\"m0\":1}}");
        var reader = new Utf8JsonReader(body);
        reader.Read();

        var found = RepeatedMembers.Find(ref reader, body);

        Assert.Equal(repeatOf >= 0 ? (".outer", $"m{repeatOf}") : null, found);
    }

    [Theory]
    [InlineData(new byte[] { 0x8C })] // invalid UTF-8 in an escaped name
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' })] // an unpaired surrogate escape
    public void ANameThatIsNotUnicode_DoesNotStopTheCheck_AndTheMessageIsAParseError(byte[] bad)
    {
        byte[] body = [.. Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"\u0061"""), .. bad, .. Encoding.UTF8.GetBytes("\":1,\"b\":2}}}")];

        var envelope = JsonRpcEnvelope.TryRead(body);

        Assert.NotNull(envelope);
        Assert.NotNull(envelope.ParseError);
        Assert.Equal("add", envelope.Name);
        Assert.Null(envelope.FindRepeatedArgument(body)); // refused as a parse error first; the check itself does not throw

        var reader = new Utf8JsonReader(body);
        reader.Read();
        Assert.Null(RepeatedMembers.Find(ref reader, body));
    }

    [Fact]
    public void TheMessage_CutsALongName()
    {
        var message = RepeatedMembers.Describe("params.arguments", (".a", new string('n', 500)));

        Assert.Equal($"params.arguments.a has more than one \"{new string('n', 64)}…\" member; JSON parsers disagree on which one counts, so send each member once.", message);
    }
}
