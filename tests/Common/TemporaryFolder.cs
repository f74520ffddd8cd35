namespace McpServices.Tests.Common;

/// <summary>A new folder under the temporary directory, deleted with what it holds when disposed.</summary>
public sealed class TemporaryFolder : IDisposable
{
    private readonly DirectoryInfo _directory;

    private TemporaryFolder(DirectoryInfo directory) => _directory = directory;

    public string FullName => _directory.FullName;

    /// <summary>Creates the folder; its name starts with <paramref name="prefix"/>, which tells whose it is.</summary>
    public static TemporaryFolder Create(string prefix) => new(Directory.CreateTempSubdirectory(prefix));

    public void Dispose() => _directory.Delete(recursive: true);
}
