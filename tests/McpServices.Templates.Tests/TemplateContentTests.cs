using System.Xml.Linq;
using McpServices.Tests.Common;

namespace McpServices.Templates.Tests;

/// <summary>Checks on the template sources themselves, before anything is packed.</summary>
public sealed class TemplateContentTests
{
    /// <summary>
    /// The McpServices packages are stamped with the pack's version; every other package a template references must be the
    /// version this repository builds and tests with (Directory.Packages.props), so the templates never drift behind it.
    /// </summary>
    [Fact]
    public void ThirdPartyPackageVersions_MatchTheRepositorysCentralVersions()
    {
        var central = XDocument.Load(RepoPaths.Combine("Directory.Packages.props"))
            .Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);
        var references = Directory.EnumerateFiles(RepoPaths.Combine("templates", "McpServices.Templates", "content"), "*.csproj", SearchOption.AllDirectories)
            .SelectMany(file => XDocument.Load(file).Descendants("PackageReference").Select(e => (File: file, Id: (string)e.Attribute("Include")!, Version: (string)e.Attribute("Version")!)))
            .ToList();

        Assert.Contains(references, r => r.Id == "xunit.v3");
        foreach (var (file, id, version) in references)
        {
            if (id.StartsWith("McpServices.", StringComparison.Ordinal))
            {
                Assert.Equal("MCPSERVICES_VERSION", version);
                continue;
            }

            Assert.True(central.TryGetValue(id, out var expected), $"{file}: {id} is not in Directory.Packages.props; add it there so the repository tests the version the template uses.");
            Assert.True(expected == version, $"{file}: {id} {version}, but Directory.Packages.props has {expected}.");
        }
    }
}
