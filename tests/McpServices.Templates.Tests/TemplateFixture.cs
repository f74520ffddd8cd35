using McpServices.Tests.Common;

namespace McpServices.Templates.Tests;

/// <summary>
/// The packages of this commit in a local folder feed (the three libraries and the template pack), the template pack installed
/// into a template hive of its own, and a sandbox for generated solutions: a nuget.config that takes McpServices packages only
/// from the local feed, a package folder of its own (so an older build of the same version can never be used), and a home
/// folder of its own (user secrets, dotnet first-run state).
/// </summary>
public sealed class TemplateFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("mcps-templates-");

    public string Root => _root.FullName;

    public string Feed => Path.Combine(Root, "feed");

    public string Hive => Path.Combine(Root, "hive");

    public string Home => Path.Combine(Root, "home");

    public string Version { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(Home);
        foreach (var project in new[] { "src/McpServices.AspNetCore", "src/McpServices.Testing", "src/McpServices.Kubernetes", "templates/McpServices.Templates" })
        {
            var pack = await DotnetAsync(RepoPaths.Root, "pack", RepoPaths.Combine(project), "-c", "Release", "--no-build", "-o", Feed, "-nologo");
            Assert.True(pack.ExitCode == 0, pack.Describe());
        }

        var template = Directory.GetFiles(Feed, "McpServices.Templates.*.nupkg").Single();
        Version = Path.GetFileNameWithoutExtension(template)["McpServices.Templates.".Length..];

        // The machine's package folder is a source for everything but McpServices (restores need no network for what the
        // repository's own build downloaded), not a fallback folder: NuGet takes a package found in a fallback folder before any
        // source mapping applies, so an older build of this version that a developer once restored there would be used.
        var machinePackages = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(Root, "packages")}" />
              </config>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
                <add key="machine" value="{machinePackages}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="McpServices.*" /></packageSource>
                <packageSource key="machine"><package pattern="*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """, TestContext.Current.CancellationToken);

        var install = await DotnetAsync(Root, "new", "install", template, "--debug:custom-hive", Hive);
        Assert.True(install.ExitCode == 0, install.Describe());
    }

    /// <summary>A new empty folder under the sandbox (which holds the nuget.config every generated solution uses).</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(Root, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)])).FullName;

    public Task<ProcessResult> DotnetAsync(string workingDirectory, params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", arguments, workingDirectory, Environment(), timeout: TimeSpan.FromMinutes(5), cancellationToken: TestContext.Current.CancellationToken);

    public Task<ProcessResult> NewAsync(string workingDirectory, params string[] arguments) =>
        DotnetAsync(workingDirectory, ["new", .. arguments, "--debug:custom-hive", Hive]);

    public Dictionary<string, string?> Environment() => new()
    {
        ["HOME"] = Home,
        ["DOTNET_CLI_HOME"] = Home,
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["NUGET_PACKAGES"] = Path.Combine(Root, "packages"),
        ["MSBUILDDISABLENODEREUSE"] = "1",
    };

    public ValueTask DisposeAsync()
    {
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}
