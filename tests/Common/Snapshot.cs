namespace McpServices.Tests.Common;

/// <summary>
/// Approved-file snapshots: compares output with <c>*.approved.*</c> files kept in the repository.
/// On a mismatch it writes <c>*.received.*</c> beside the approved file; set <c>MCPS_ACCEPT_SNAPSHOTS=1</c>
/// (or run <c>eng/accept-snapshots.sh</c>) to accept intended changes.
/// </summary>
public static class Snapshot
{
    public static void Match(string actual, params string[] approvedPathParts)
    {
        var approvedPath = RepoPaths.Combine(approvedPathParts);
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        var receivedPath = ReceivedPath(approvedPath);
        if (Environment.GetEnvironmentVariable("MCPS_ACCEPT_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(approvedPath)!);
            File.WriteAllText(approvedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
        if (approved == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        Assert.Fail(approved is null
            ? $"No approved snapshot at {approvedPath}. Review {receivedPath} and accept it with MCPS_ACCEPT_SNAPSHOTS=1."
            : $"Output differs from {approvedPath}. Compare with {receivedPath}; accept intended changes with MCPS_ACCEPT_SNAPSHOTS=1.\n{FirstDifference(approved, actual)}");
    }

    private static string ReceivedPath(string approvedPath)
    {
        var file = Path.GetFileName(approvedPath);
        return Path.Combine(Path.GetDirectoryName(approvedPath)!, file.Replace(".approved.", ".received.", StringComparison.Ordinal));
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end>";
            var al = i < a.Length ? a[i] : "<end>";
            if (el != al)
            {
                return $"First difference at line {i + 1}:\n  approved: {el}\n  received: {al}";
            }
        }

        return string.Empty;
    }
}
