using System.Text;
using McpServices.AspNetCore.Tests.TestTools;

namespace McpServices.AspNetCore.Tests.Auditing;

public sealed class AuditVerifierTests
{
    [Fact]
    public async Task IntactFile_IsAccepted_AndOtherLinesAreSkipped()
    {
        var lines = await RecordsAsync(6);
        var file = lines.ToList();
        file.Insert(2, """{"Timestamp":"2026-11-28T13:00:00Z","LogLevel":"Information","Message":"a log line on the same stream"}""");

        var result = Verify(file);

        Assert.True(result.Intact, result.Message);
        Assert.Equal(6, result.Records);
        Assert.Equal("OK: 6 audit record(s) from 1 instance(s); every hash matches and every chain is complete, from each instance's first record.", result.Message);
        Assert.Equal(0, result.Continued);
    }

    /// <summary>
    /// A byte order mark before a record — standard input from a tool that writes one, or files saved on Windows and then joined
    /// (<c>cat a.jsonl b.jsonl</c>) — is not part of the record: the record is read, not skipped as a line of something else
    /// (which dropped the first record without a word and reported the chain as continuing earlier records).
    /// </summary>
    [Fact]
    public async Task ByteOrderMarksBeforeRecords_AreNotPartOfThem()
    {
        var lines = await RecordsAsync(4);
        lines[0] = "\uFEFF" + lines[0];
        lines[2] = "\uFEFF" + lines[2];

        var result = Verify(lines);

        Assert.True(result.Intact, result.Message);
        Assert.Equal(4, result.Records);
        Assert.Equal(0, result.Continued);
    }

    [Fact]
    public async Task RecordsRemovedFromTheStart_LeaveNoGap_SoTheChainsStartMidwayIsReported()
    {
        // What is left after the oldest records are removed (or after the older files rotated away) is a complete chain; the
        // verifier cannot tell the two apart, but it must not say the instance's trail is complete from its start.
        var lines = await RecordsAsync(6);
        lines.RemoveRange(0, 2);

        var result = Verify(lines);

        Assert.True(result.Intact, result.Message);
        Assert.Equal(1, result.Continued);
        var report = result.Message.Split(Environment.NewLine);
        Assert.Equal("OK: 4 audit record(s) from 1 instance(s); every hash matches and every chain is complete; 1 of them continue(s) earlier records:", report[0]);
        Assert.StartsWith("audit.jsonl:1: CONTINUES — instance ", report[1]);
        Assert.EndsWith("(an older, rotated file: give it too, oldest first; or records removed from the start).", report[1]);
    }

    [Theory]
    [InlineData("a.jsonl a.jsonl.1 a.jsonl.10 a.jsonl.2", "a.jsonl.10 a.jsonl.2 a.jsonl.1 a.jsonl")]
    [InlineData("other.log a.jsonl a.jsonl.3 x.jsonl", "other.log a.jsonl.3 a.jsonl x.jsonl")]
    [InlineData("a.jsonl.2 a.jsonl.1 a.jsonl", "a.jsonl.2 a.jsonl.1 a.jsonl")]
    [InlineData("trail.2025 trail.2026", "trail.2025 trail.2026")] // no current file 'trail' among them: not a rotation, kept as given
    [InlineData("a.jsonl.1 a.jsonl.2", "a.jsonl.1 a.jsonl.2")]
    [InlineData("- a.jsonl", "- a.jsonl")]
    public void Files_AreReadInRotationOrder_WhenTheCurrentFileIsAmongThem(string given, string expected)
    {
        Assert.Equal(expected.Split(' '), AuditVerifier.InRotationOrder(given.Split(' ')));
    }

    [Fact]
    public async Task ModifiedRecord_IsReported()
    {
        var lines = await RecordsAsync(6);
        lines[3] = lines[3].Replace("\"outcome\":\"succeeded\"", "\"outcome\":\"failed\"", StringComparison.Ordinal);

        var result = Verify(lines);

        Assert.False(result.Intact);
        Assert.StartsWith("audit.jsonl:4: MODIFIED", result.Message);
    }

    [Fact]
    public async Task RecordCutOffAtTheEndOfTheFile_IsReportedAsSuch()
    {
        var lines = await RecordsAsync(4);
        lines[^1] = lines[^1][..(lines[^1].Length / 2)];

        var result = Verify(lines);

        Assert.False(result.Intact);
        Assert.StartsWith("audit.jsonl:4: CUT OFF — the file ends in the middle of an audit record", result.Message);
    }

    [Theory]
    [InlineData("{\"schema\":\"mcpservices.io/audit/v1\",\"id\":\"x\"")]
    [InlineData("{\"schema\":\"mcpservices.io/audit/v1\",\"id\":5,\"hash\":7}")]
    public async Task LineThatStartsLikeARecordButIsNot_IsUnreadable(string line)
    {
        var lines = await RecordsAsync(4);
        lines.Insert(2, line);

        var result = Verify(lines);

        Assert.False(result.Intact);
        Assert.StartsWith("audit.jsonl:3: UNREADABLE — the line starts like an audit record but is not one", result.Message);
    }

    [Fact]
    public async Task RemovedRecord_IsReported()
    {
        var lines = await RecordsAsync(6);
        lines.RemoveAt(2);

        var result = Verify(lines);

        Assert.False(result.Intact);
        Assert.StartsWith("audit.jsonl:3: REMOVED", result.Message);
    }

    [Fact]
    public async Task ReorderedRecords_AreReported()
    {
        var lines = await RecordsAsync(6);
        (lines[2], lines[3]) = (lines[3], lines[2]);

        var result = Verify(lines);

        Assert.False(result.Intact);
        Assert.StartsWith("audit.jsonl:3: REORDERED", result.Message);
    }

    [Fact]
    public async Task ModifiedAndRehashedRecord_BreaksTheChain()
    {
        var lines = await RecordsAsync(4);
        var tampered = lines[1].Replace("\"outcome\":\"succeeded\"", "\"outcome\":\"failed\"", StringComparison.Ordinal);
        var body = tampered[..^AuditRecordSerializer.HashSuffixLength] + "}";
        var hash = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        lines[1] = tampered[..^AuditRecordSerializer.HashSuffixLength] + $",\"hash\":\"{hash}\"}}";

        var result = Verify(lines);

        Assert.False(result.Intact);
        Assert.Contains("audit.jsonl:3", result.Message);
    }

    private static AuditVerifier.Result Verify(IEnumerable<string> lines) =>
        AuditVerifier.Verify([("audit.jsonl", new StringReader(string.Join('\n', lines) + "\n"))]);

    private static async Task<List<string>> RecordsAsync(int count)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        for (var i = 0; i < count; i++)
        {
            await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = i }, cancellationToken: TestContext.Current.CancellationToken);
        }

        await server.Audit.WaitForAsync(_ => server.Audit.Records.Count >= count, cancellationToken: TestContext.Current.CancellationToken);
        return server.Audit.Records.Select(r => Encoding.UTF8.GetString(r.Json.Span)).ToList();
    }
}
