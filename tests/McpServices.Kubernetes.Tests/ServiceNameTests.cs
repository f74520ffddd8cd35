using System.Xml.Linq;
using McpServices.AspNetCore;
using McpServices.Tests.Common;

namespace McpServices.Kubernetes.Tests;

/// <summary>
/// The default service name is computed twice: by the runtime (McpService:Name, which names the Deployment, the Service and the
/// audit records) and by McpServices.Kubernetes.targets (McpServiceName, which names the image repository). They must agree for
/// every project name, or the image and the workload that runs it get different names.
/// </summary>
public sealed class ServiceNameTests
{
    private static readonly string[] ProjectNames =
    [
        "Inventory", "Contoso.InventoryAPI", "MCPServer2", "ABc1D", "my_service", "billing-api", "My Service", "Über", "CaféBar",
        "Ærø.Tools", "2fa", "42", "Сервис", "Contoso.Enterprise.Platform.Agents.InventoryManagement.Service.Api.V2",
    ];

    [Fact]
    public async Task MsBuildDefault_IsTheRuntimeDefault_ForEveryKindOfProjectName()
    {
        var folder = Directory.CreateTempSubdirectory("mcps-name-").FullName;
        try
        {
            // One evaluation of the real targets file per name, batched in one msbuild run.
            var project = Path.Combine(folder, "names.proj");
            new XDocument(new XElement("Project",
                new XElement("Import", new XAttribute("Project", RepoPaths.Combine("src", "McpServices.Kubernetes", "build", "McpServices.Kubernetes.targets"))),
                new XElement("ItemGroup", ProjectNames.Select(n => new XElement("ProjectName", new XAttribute("Include", n)))),
                new XElement("Target", new XAttribute("Name", "Names"),
                    new XElement("MSBuild", new XAttribute("Projects", "$(MSBuildThisFileFullPath)"), new XAttribute("Targets", "Name"), new XAttribute("Properties", "AssemblyName=%(ProjectName.Identity)"),
                        new XElement("Output", new XAttribute("TaskParameter", "TargetOutputs"), new XAttribute("ItemName", "Result"))),
                    new XElement("WriteLinesToFile", new XAttribute("File", "names.txt"), new XAttribute("Lines", "@(Result->'%(Identity)=%(ServiceName)')"), new XAttribute("Overwrite", "true"), new XAttribute("Encoding", "utf-8"))),
                new XElement("Target", new XAttribute("Name", "Name"), new XAttribute("Returns", "@(One)"),
                    new XElement("ItemGroup", new XElement("One", new XAttribute("Include", "$(AssemblyName)"), new XAttribute("ServiceName", "$(McpServiceName)")))))).Save(project);

            var run = await ProcessRunner.RunAsync("dotnet", ["msbuild", project, "-t:Names", "-nologo"], folder, timeout: TimeSpan.FromMinutes(2), cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(run.ExitCode == 0, run.Describe());

            var fromMsBuild = (await File.ReadAllLinesAsync(Path.Combine(folder, "names.txt"), TestContext.Current.CancellationToken))
                .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Assert.Equal(ProjectNames.Length, fromMsBuild.Count);
            foreach (var name in ProjectNames)
            {
                var runtime = ServiceNaming.ToServiceName(name);
                Assert.True(runtime == fromMsBuild[name], $"'{name}': the runtime says '{runtime}', McpServices.Kubernetes.targets '{fromMsBuild[name]}'");
                // Every name with an ASCII letter or digit gives a valid Kubernetes Service name; one without gives none, and
                // startup then asks for McpService:Name.
                Assert.True(name == "Сервис" ? runtime.Length == 0 : ServiceNaming.ServiceName().IsMatch(runtime) && runtime.Length <= 63, $"'{name}' gave '{runtime}'");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
