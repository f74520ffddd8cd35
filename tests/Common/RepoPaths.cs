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

    /// <summary>
    /// The assembly another project of the solution built, in this test run's configuration (<c>artifacts/bin/&lt;project&gt;/&lt;configuration&gt;/</c>),
    /// for projects a test runs as a process or loads into one rather than references.
    /// </summary>
    public static string BuiltAssembly(string project)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        var path = Combine("artifacts", "bin", project, configuration, project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build the solution first.", path);
    }
}
