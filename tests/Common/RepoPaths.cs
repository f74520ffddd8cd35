namespace McpServices.Tests.Common;

/// <summary>Locates files in the repository from a test run.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "McpServices.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Could not find McpServices.sln above " + AppContext.BaseDirectory);
    });

    public static string Root => LazyRoot.Value;

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}
