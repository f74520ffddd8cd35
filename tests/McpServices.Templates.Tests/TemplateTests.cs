using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using McpServices.Testing;
using McpServices.Tests.Common;
using ModelContextProtocol.Protocol;

namespace McpServices.Templates.Tests;

/// <summary>
/// `dotnet new mcp-service` and `dotnet new mcp-tool` from the template pack built from this commit, driven through
/// `dotnet new` itself: every option combination is created, built with warnings as errors, tested, run and called.
/// </summary>
public sealed partial class TemplateTests(TemplateFixture fixture) : IClassFixture<TemplateFixture>
{
    [Theory]
    [InlineData("jwt", false)]
    [InlineData("apikey", false)]
    [InlineData("none", false)]
    [InlineData("jwt", true)]
    [InlineData("apikey", true)]
    [InlineData("none", true)]
    public async Task McpService_EveryOptionCombination_BuildsWithoutWarnings_ItsTestsPass_AndItServesAnAuthenticatedCall(string auth, bool skipTests)
    {
        var variant = $"{auth}{(skipTests ? "-skip-tests" : string.Empty)}";
        var solution = await CreateServiceAsync(variant, "--auth", auth, "--registry", "localhost:5000/agents", "--namespace", "tickets-prod", "--skip-tests", skipTests ? "true" : "false");

        Snapshot.Match(Describe(solution), "tests", "McpServices.Templates.Tests", "Snapshots", $"mcp-service.{variant}.approved.txt");
        Assert.Equal(!skipTests, Directory.Exists(Path.Combine(solution, "tests")));
        var csproj = await File.ReadAllTextAsync(Path.Combine(solution, "src", "Tickets", "Tickets.csproj"), TestContext.Current.CancellationToken);
        Assert.Contains($"Include=\"McpServices.AspNetCore\" Version=\"{fixture.Version}\"", csproj, StringComparison.Ordinal);

        await BuildAsync(solution);
        // The first build fills deploy/ with the generated kustomize base and overlays.
        var deploy = Path.Combine(solution, "src", "Tickets", "deploy");
        Assert.All(new[] { "base/kustomization.yaml", "base/deployment.yaml", "overlays/dev/kustomization.yaml", "overlays/prod/kustomization.yaml" }, f => Assert.True(File.Exists(Path.Combine(deploy, f)), f));

        // The README's deploy step names what the generated manifests use: the dev overlay's namespace, which must exist before
        // kubectl apply, and the API keys Secret the Deployment mounts.
        var readmeDeploy = await File.ReadAllTextAsync(Path.Combine(solution, "README.md"), TestContext.Current.CancellationToken);
        var devNamespace = (await File.ReadAllLinesAsync(Path.Combine(deploy, "overlays", "dev", "kustomization.yaml"), TestContext.Current.CancellationToken))
            .Single(l => l.StartsWith("namespace: ", StringComparison.Ordinal))["namespace: ".Length..];
        Assert.Contains($"kubectl create namespace {devNamespace} ", readmeDeploy, StringComparison.Ordinal);
        var apiKeysSecret = (await File.ReadAllLinesAsync(Path.Combine(deploy, "base", "deployment.yaml"), TestContext.Current.CancellationToken))
            .SingleOrDefault(l => l.TrimStart().StartsWith("secretName: ", StringComparison.Ordinal))?.Trim()["secretName: ".Length..];
        Assert.Equal(auth != "none", apiKeysSecret is not null && readmeDeploy.Contains($"`{apiKeysSecret}`", StringComparison.Ordinal));
        Assert.Equal(auth == "apikey", readmeDeploy.Contains($"kubectl -n {devNamespace} create secret generic {apiKeysSecret} ", StringComparison.Ordinal));
        if (!skipTests)
        {
            var test = await fixture.DotnetAsync(solution, "test", "--no-build");
            Assert.True(test.ExitCode == 0, test.Describe());
            Assert.Matches(auth == "none" ? @"succeeded: 4\b" : @"succeeded: 5\b", test.StandardOutput);

            // Without authentication the generated tests connect without a credential: a token would suggest a check nobody makes.
            var factory = await File.ReadAllTextAsync(Path.Combine(solution, "tests", "Tickets.Tests", "ServiceFactory.cs"), TestContext.Current.CancellationToken);
            Assert.Equal(auth != "none", factory.Contains("McpTestTokenIssuer", StringComparison.Ordinal));
        }

        // The generated README's path, its own commands: a development credential (user-jwts token, API key in user secrets, or
        // nothing), the service running, a tool called with curl. Only the README's port is swapped for a free one.
        var port = ServiceProcess.FreePort();
        var readmeText = await File.ReadAllTextAsync(Path.Combine(solution, "README.md"), TestContext.Current.CancellationToken);
        AssertReadmeFitsTheVariant(readmeText, auth, skipTests);
        var http = await File.ReadAllTextAsync(Path.Combine(solution, "src", "Tickets", "Tickets.http"), TestContext.Current.CancellationToken);
        Assert.Equal(auth != "none", http.Contains("Authorization: Bearer {{token}}", StringComparison.Ordinal));
        Assert.DoesNotContain("//#", http, StringComparison.Ordinal);
        var readme = ReadmeSteps(readmeText, port, needsCredential: auth != "none");

        // The README runs the service first, then makes a credential, then calls: the service starts without one, refuses calls
        // until one exists, and picks it up while it runs (the user secrets and appsettings.Development.json that the credential
        // step writes are read on change in Development).
        await using var service = await RunAsync(solution, port);
        var credential = string.Empty;
        if (auth != "none")
        {
            using var anonymous = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{port}/mcp"))
            {
                Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_tickets","arguments":{"query":"printer"}}}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var refusedCall = await anonymous.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, refusedCall.StatusCode);

            var tokenFile = Path.Combine(fixture.Root, $"token-{System.Guid.NewGuid():N}");
            await BashAsync(solution, $"{readme.Credential}\nprintf %s \"$token\" > '{tokenFile}'");
            credential = await File.ReadAllTextAsync(tokenFile, TestContext.Current.CancellationToken);
        }

        // A person types the next command a moment later; the file watcher reports the change within about a second.
        var call = string.Empty;
        for (var attempt = 0; attempt < 20 && !call.Contains("TCK-1001", StringComparison.Ordinal); attempt++)
        {
            call = await BashAsync(solution, $"token='{credential}'\n{readme.Call}");
            if (!call.Contains("TCK-1001", StringComparison.Ordinal))
            {
                await Task.Delay(500, TestContext.Current.CancellationToken);
            }
        }

        Assert.Contains("TCK-1001", call, StringComparison.Ordinal);
        Assert.DoesNotContain("\"isError\":true", call, StringComparison.Ordinal);

        // The SDK's client with the same credential.
        await using var client = await McpTestClient.ConnectAsync(new Uri($"http://127.0.0.1:{port}/mcp"), new McpTestClientOptions { AccessToken = auth == "none" ? null : credential }, TestContext.Current.CancellationToken);
        var result = await client.CallToolAsync("search_tickets", new Dictionary<string, object?> { ["query"] = "printer" }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEqual(true, result.IsError);
        Assert.Contains("TCK-1001", Assert.IsType<TextContentBlock>(result.Content[0]).Text, StringComparison.Ordinal);
        if (auth != "none")
        {
            // Without the credential the service answers with the specification's challenge.
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => McpTestClient.ConnectAsync(new Uri($"http://127.0.0.1:{port}/mcp"), cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        if (auth == "apikey")
        {
            // The deploy step's api-keys.json, as the pods read it from the Secret (McpService:Authentication:ApiKeysFile, which
            // the generated Deployment sets): its key works on a service that has no other.
            var keysBlock = Assert.Single(ReadmeBlocks(readmeText, "## 6. Deploy"), b => b.Contains("api-keys.json <<", StringComparison.Ordinal));
            var clusterKey = (await BashAsync(solution, keysBlock)).Split('\n')[^1];
            var deployedPort = ServiceProcess.FreePort();
            await using var deployed = await RunAsync(solution, deployedPort, ("McpService__Authentication__ApiKeysFile", Path.Combine(solution, "api-keys.json")));
            await using var agent = await McpTestClient.ConnectAsync(new Uri($"http://127.0.0.1:{deployedPort}/mcp"), new McpTestClientOptions { AccessToken = clusterKey }, TestContext.Current.CancellationToken);
            var fromSecret = await agent.CallToolAsync("search_tickets", new Dictionary<string, object?> { ["query"] = "printer" }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.NotEqual(true, fromSecret.IsError);
        }
    }

    [Fact]
    public async Task TemplatePack_InstallsByPackageIdFromAFeed_AndOffersBothTemplates()
    {
        var hive = fixture.NewFolder("hive-by-id");
        var install = await fixture.DotnetAsync(fixture.Root, "new", "install", $"McpServices.Templates::{fixture.Version}", "--add-source", fixture.Feed, "--debug:custom-hive", hive);
        Assert.True(install.ExitCode == 0, install.Describe());

        var list = await fixture.DotnetAsync(fixture.Root, "new", "list", "--tag", "MCP", "--debug:custom-hive", hive);
        Assert.True(list.ExitCode == 0, list.Describe());
        Assert.Contains("mcp-service", list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("mcp-tool", list.StandardOutput, StringComparison.Ordinal);

        var help = await fixture.DotnetAsync(fixture.Root, "new", "mcp-service", "--help", "--debug:custom-hive", hive);
        Assert.True(help.ExitCode == 0, help.Describe());
        foreach (var option in new[] { "--auth", "--registry", "--namespace", "--skip-tests", "jwt", "apikey", "none" })
        {
            Assert.Contains(option, help.StandardOutput, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--mcpservices-version", help.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jwt", false)]
    // Every caller sees every tool: the service's own tests must not break when a tool is added. And run where item templates
    // usually run, in the project folder: the files land where they do from the solution folder (they went to a src/ folder
    // nested in the project, which compiled the tool's test into the service and failed its build).
    [InlineData("none", true)]
    public async Task McpTool_AddsATool_ItsValidator_AndItsTest_ThatBuildAndPassOnceRegistered(string auth, bool fromProjectFolder)
    {
        var solution = await CreateServiceAsync($"with-tool-{auth}", "--auth", auth);

        var project = Path.Combine(solution, "src", "Tickets");
        if (fromProjectFolder)
        {
            // dotnet new reads the project in the folder only once it is restored, as it is after the README's run and test steps.
            var restore = await fixture.DotnetAsync(project, "restore");
            Assert.True(restore.ExitCode == 0, restore.Describe());
        }

        var added = await fixture.NewAsync(fromProjectFolder ? project : solution, "mcp-tool", "-n", "Pricing", "--service", "Tickets");
        Assert.True(added.ExitCode == 0, added.Describe());
        Assert.Contains("Manual instructions: Register the new tool class", added.StandardOutput, StringComparison.Ordinal);
        Snapshot.Match(Describe(solution, only: "Pricing"), "tests", "McpServices.Templates.Tests", "Snapshots", "mcp-tool.approved.txt");

        await RegisterAsync(solution, "PricingTools");

        await BuildAsync(solution);
        var test = await fixture.DotnetAsync(solution, "test", "--no-build");
        Assert.True(test.ExitCode == 0, test.Describe());
        Assert.Matches(auth == "none" ? @"succeeded: 6\b" : @"succeeded: 7\b", test.StandardOutput);
    }

    [Fact]
    public async Task ServiceNamedInKebabCase_BuildsAndPasses_AndMcpToolFollowsItsNamespace_WithAToolNamedInKebabCase()
    {
        // 'billing-api' names the folders, the project and the assembly; the C# namespace is 'billing_api' (as dotnet new makes
        // it), in the service, its tests, and the tool mcp-tool adds. The tool's name 'order-lines' is not a C# identifier
        // either: its classes are Order_lines*, its MCP tool get_order_lines and its scope order_lines:read.
        var solution = await CreateNamedServiceAsync("kebab", "billing-api");
        var added = await fixture.NewAsync(solution, "mcp-tool", "-n", "order-lines", "--service", "billing-api");
        Assert.True(added.ExitCode == 0, added.Describe());
        Assert.Contains("<Project Path=\"src/billing-api/billing-api.csproj\" />", await File.ReadAllTextAsync(Path.Combine(solution, "billing-api.slnx"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.StartsWith("using billing_api.Tools;", (await File.ReadAllTextAsync(Path.Combine(solution, "src", "billing-api", "Program.cs"), TestContext.Current.CancellationToken)).Split('\n')[1], StringComparison.Ordinal);
        var tool = await File.ReadAllTextAsync(Path.Combine(solution, "src", "billing-api", "Tools", "Order_linesTools.cs"), TestContext.Current.CancellationToken);
        Assert.Contains("namespace billing_api.Tools;", tool, StringComparison.Ordinal);
        Assert.Contains("public sealed class Order_linesTools", tool, StringComparison.Ordinal);
        Assert.Contains("[RequireScopes(\"order_lines:read\")]", tool, StringComparison.Ordinal);
        Assert.Contains("Name = \"get_order_lines\"", tool, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(solution, "src", "billing-api", "Tools", "Order_linesRequestValidator.cs")));
        Assert.Contains("namespace billing_api.Tests;", await File.ReadAllTextAsync(Path.Combine(solution, "tests", "billing-api.Tests", "Order_linesToolsTests.cs"), TestContext.Current.CancellationToken), StringComparison.Ordinal);

        await RegisterAsync(solution, "Order_linesTools", "billing-api");

        await BuildAsync(solution);
        var test = await fixture.DotnetAsync(solution, "test", "--no-build");
        Assert.True(test.ExitCode == 0, test.Describe());
        Assert.Matches(@"succeeded: 7\b", test.StandardOutput);
    }

    [Fact]
    public async Task ServiceWithADottedName_BuildsAndPasses_AndMcpToolFollowsItsNamespace()
    {
        // .NET names are often dotted (Contoso.Inventory): the namespace keeps the dots, the service name (and image and
        // workload) is contoso-inventory, and mcp-tool puts its classes in Contoso.Inventory.Tools.
        var solution = await CreateNamedServiceAsync("dotted", "Contoso.Inventory");
        var added = await fixture.NewAsync(solution, "mcp-tool", "-n", "StockLevels", "--service", "Contoso.Inventory");
        Assert.True(added.ExitCode == 0, added.Describe());
        var tool = await File.ReadAllTextAsync(Path.Combine(solution, "src", "Contoso.Inventory", "Tools", "StockLevelsTools.cs"), TestContext.Current.CancellationToken);
        Assert.Contains("namespace Contoso.Inventory.Tools;", tool, StringComparison.Ordinal);
        Assert.Contains("Name = \"get_stock_levels\"", tool, StringComparison.Ordinal);
        Assert.Contains("namespace Contoso.Inventory.Tests;", await File.ReadAllTextAsync(Path.Combine(solution, "tests", "Contoso.Inventory.Tests", "StockLevelsToolsTests.cs"), TestContext.Current.CancellationToken), StringComparison.Ordinal);

        await RegisterAsync(solution, "StockLevelsTools", "Contoso.Inventory");

        await BuildAsync(solution);
        Assert.Contains("\n  name: contoso-inventory\n", await File.ReadAllTextAsync(Path.Combine(solution, "src", "Contoso.Inventory", "deploy", "base", "service.yaml"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var test = await fixture.DotnetAsync(solution, "test", "--no-build");
        Assert.True(test.ExitCode == 0, test.Describe());
        Assert.Matches(@"succeeded: 7\b", test.StandardOutput);
    }

    [Fact]
    public async Task ServiceNamedWithALeadingDigit_Builds_AndItsImageAndWorkloadShareAValidName()
    {
        // '2fa' is a valid project name but not a Kubernetes Service name: the default service name becomes 'mcp-2fa', for the
        // runtime (the Deployment and Service, from --describe at build time) and for the image repository (MSBuild) alike.
        // The registry written as a URL, as people paste it: the scheme, the trailing '/' and the upper case go. The namespace
        // written as a .NET name: lower case, '-' for what a namespace name cannot hold (the build refused 'Billing_Prod').
        var solution = await CreateNamedServiceAsync("digit", "2fa", "--registry", "HTTPS://localhost:5000/Agents/", "--namespace", "Billing_Prod.", "--skip-tests");

        await BuildAsync(solution);

        var deploy = Path.Combine(solution, "src", "2fa", "deploy", "base");
        Assert.Contains("newName: localhost:5000/agents/mcp-2fa\n", await File.ReadAllTextAsync(Path.Combine(deploy, "kustomization.yaml"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Contains("pushes `localhost:5000/agents/mcp-2fa:1.0.0`", await File.ReadAllTextAsync(Path.Combine(solution, "README.md"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Contains("\n  name: mcp-2fa\n", await File.ReadAllTextAsync(Path.Combine(deploy, "service.yaml"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Contains("\nnamespace: billing-prod\n", await File.ReadAllTextAsync(Path.Combine(solution, "src", "2fa", "deploy", "overlays", "prod", "kustomization.yaml"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task McpService_GeneratesItsKubernetesManifests_WithTheChosenRegistryAndNamespace()
    {
        var solution = await CreateServiceAsync("manifests", "--registry", "localhost:5000/agents", "--namespace", "tickets-prod", "--skip-tests");
        // A tool added to a service without tests (mcp-tool --skip-tests adds no test), then registered: the manifests declare it.
        // Its name is PascalCase with two words: the MCP tool and scope get them in snake_case, as a plain class's methods do.
        var added = await fixture.NewAsync(solution, "mcp-tool", "-n", "PriceList", "--service", "Tickets", "--skip-tests");
        Assert.True(added.ExitCode == 0, added.Describe());
        Assert.False(Directory.Exists(Path.Combine(solution, "tests")));
        await RegisterAsync(solution, "PriceListTools");

        // A service that cannot describe itself at build time (here: an invalid McpService:Path) still builds; the build says how
        // to see why, and writes no manifests.
        var environment = fixture.Environment();
        environment["McpService__Path"] = "not-a-path";
        var broken = await ProcessRunner.RunAsync("dotnet", ["build", Path.Combine("src", "Tickets"), "-warnaserror", "-nologo"], solution, environment, TimeSpan.FromMinutes(5), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(broken.ExitCode == 0, broken.Describe());
        Assert.Contains("Tickets: Kubernetes manifests not generated", broken.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("dotnet build -t:McpGenerateKubernetesManifests", broken.StandardOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(solution, "src", "Tickets", "deploy", "base")));

        var generate = await fixture.DotnetAsync(solution, "build", Path.Combine("src", "Tickets"), "-t:McpGenerateKubernetesManifests", "-nologo");
        Assert.True(generate.ExitCode == 0, generate.Describe());

        var deploy = Path.Combine(solution, "src", "Tickets", "deploy");
        var kustomization = await File.ReadAllTextAsync(Path.Combine(deploy, "base", "kustomization.yaml"), TestContext.Current.CancellationToken);
        Assert.Contains("newName: localhost:5000/agents/tickets\n", kustomization, StringComparison.Ordinal);
        Assert.Contains("newTag: 1.0.0\n", kustomization, StringComparison.Ordinal);
        var rendered = await ProcessRunner.RunAsync("kubectl", ["kustomize", Path.Combine(deploy, "overlays", "prod")], cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(rendered.ExitCode == 0, rendered.Describe());
        Assert.Contains("namespace: tickets-prod", rendered.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("mcpservices.io/tools: get_price_list,get_ticket,open_ticket,search_tickets\n", rendered.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"McpService__Authorization__Tools__get_price_list__RequiredScopes__[0-9]: price_list:read\n", rendered.StandardOutput);
        Assert.Matches(@"McpService__Authorization__Tools__open_ticket__RequiredScopes__[0-9]: tickets:write\n", rendered.StandardOutput);
        Assert.Contains("image: localhost:5000/agents/tickets:1.0.0\n", rendered.StandardOutput, StringComparison.Ordinal);

        // From the project folder of a service without tests, without --skip-tests: the tool is added, and no test is written to
        // a tests folder the service does not have (or two levels above a project laid out otherwise).
        var fromProject = await fixture.NewAsync(Path.Combine(solution, "src", "Tickets"), "mcp-tool", "-n", "Discounts", "--service", "Tickets");
        Assert.True(fromProject.ExitCode == 0, fromProject.Describe());
        Assert.True(File.Exists(Path.Combine(solution, "src", "Tickets", "Tools", "DiscountsTools.cs")));
        Assert.False(Directory.Exists(Path.Combine(solution, "tests")));
        Assert.Contains("No test was added: this project does not say where its tests are", fromProject.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task McpService_PublishesItsImage_AsTheReadmeSays_ToTheRegistryPathChosen()
    {
        await using var registry = await LocalRegistry.StartAsync(fixture.NewFolder("registry"), TestContext.Current.CancellationToken);
        var solution = await CreateServiceAsync("publish", "--registry", $"{registry.Address}/agents", "--skip-tests");

        // README step 5 as written, plus the base image (images cannot be pulled here; a real registry serves the default one).
        var readme = await File.ReadAllTextAsync(Path.Combine(solution, "README.md"), TestContext.Current.CancellationToken);
        var publish = Assert.Single(ReadmeBlocks(readme, "## 5. Publish the image"));
        Assert.Equal("dotnet publish src/Tickets -c Release -t:PublishContainer", publish.Split('#')[0].Trim());
        await BashAsync(solution, $"{publish.Split('#')[0].Trim()} -p:ContainerBaseImage={registry.BaseImage} -nologo");

        // The registry path (ContainerRegistry "host/agents" in the project) leads the repository: agents/tickets, tag = version,
        // the image the README says it pushes.
        Assert.Contains($"pushes `{registry.Address}/agents/tickets:1.0.0`", readme, StringComparison.Ordinal);
        using var tags = await registry.GetAsync("agents/tickets/tags/list");
        Assert.Equal(["1.0.0"], tags.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var digest = await registry.DigestAsync("agents/tickets", "1.0.0");
        var kustomization = await File.ReadAllTextAsync(Path.Combine(solution, "src", "Tickets", "deploy", "base", "kustomization.yaml"), TestContext.Current.CancellationToken);
        Assert.Contains($"newName: {registry.Address}/agents/tickets\n", kustomization, StringComparison.Ordinal);
        Assert.Contains($"digest: {digest}\n", kustomization, StringComparison.Ordinal);

        // On the command line the same value is a global property that cannot be split: a clear error, not the SDK's CONTAINER2012.
        var commandLine = await fixture.DotnetAsync(solution, "publish", Path.Combine("src", "Tickets"), "-c", "Release", "-t:PublishContainer", $"-p:ContainerRegistry={registry.Address}/agents", $"-p:ContainerBaseImage={registry.BaseImage}", "-nologo");
        Assert.NotEqual(0, commandLine.ExitCode);
        Assert.Contains("MCPS1001", commandLine.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"-p:ContainerRegistry={registry.Address} -p:ContainerRepository=agents/tickets", commandLine.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("CONTAINER2012", commandLine.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>
    /// The README names the image the service publishes: its repository is the service name, which MSBuild derives from the
    /// project name (<c>McpServiceName</c>) — words split at case changes and separators, accents removed, lower case.
    /// </summary>
    [Theory]
    [InlineData("OrderDesk", "order-desk")]
    [InlineData("XMLParser", "xml-parser")]
    [InlineData("Über.Tools", "uber-tools")]
    public async Task McpService_ReadmeNamesTheImageRepository_AsMsBuildDerivesIt(string name, string expected)
    {
        var solution = await CreateNamedServiceAsync($"image-{expected}", name, "--skip-tests");
        var project = Path.Combine(solution, "src", name, $"{name}.csproj");
        var restore = await fixture.DotnetAsync(solution, "restore", project, "-nologo");
        Assert.True(restore.ExitCode == 0, restore.Describe());
        var property = await fixture.DotnetAsync(solution, "msbuild", project, "-getProperty:McpServiceName", "-nologo");
        Assert.True(property.ExitCode == 0, property.Describe());

        Assert.Equal(expected, property.StandardOutput.Trim());
        Assert.Contains($"pushes `registry.example.com/agents/{expected}:1.0.0`", await File.ReadAllTextAsync(Path.Combine(solution, "README.md"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    private Task<string> CreateServiceAsync(string variant, params string[] options) => CreateNamedServiceAsync(variant, "Tickets", options);

    private async Task<string> CreateNamedServiceAsync(string variant, string name, params string[] options)
    {
        var folder = fixture.NewFolder(variant);
        var created = await fixture.NewAsync(folder, ["mcp-service", "-n", name, .. options]);
        Assert.True(created.ExitCode == 0, created.Describe());
        return Path.Combine(folder, name);
    }

    /// <summary>What mcp-tool's post-action asks the user to do: register the tool class in Program.cs.</summary>
    private static async Task RegisterAsync(string solution, string toolClass, string service = "Tickets")
    {
        var program = Path.Combine(solution, "src", service, "Program.cs");
        var code = await File.ReadAllTextAsync(program, TestContext.Current.CancellationToken);
        Assert.Contains(".WithTools<TicketTools>()", code, StringComparison.Ordinal);
        await File.WriteAllTextAsync(program, code.Replace(".WithTools<TicketTools>()", $".WithTools<TicketTools>()\n    .WithTools<{toolClass}>()", StringComparison.Ordinal), TestContext.Current.CancellationToken);
    }

    private async Task BuildAsync(string solution)
    {
        var build = await fixture.DotnetAsync(solution, "build", "-warnaserror", "-nologo");
        Assert.True(build.ExitCode == 0, build.Describe());
        Assert.Contains("0 Warning(s)", build.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>
    /// The shell blocks of the generated README's "Call a tool" section: those that set <c>$token</c>, and the curl call (the
    /// last block), with the README's localhost port replaced by <paramref name="port"/>.
    /// </summary>
    private static (string Credential, string Call) ReadmeSteps(string readme, int port, bool needsCredential)
    {
        var blocks = ReadmeBlocks(readme, "## 3. Call a tool")
            .Select(b => LocalhostPort().Replace(b, $"127.0.0.1:{port}"))
            .ToList();
        if (!needsCredential)
        {
            // Authentication off: one call, and no credential to send (a Bearer header with a made-up value only confuses).
            var call = Assert.Single(blocks);
            Assert.DoesNotContain("Authorization", call, StringComparison.Ordinal);
            return (string.Empty, call);
        }

        Assert.True(blocks.Count >= 2, "The 'Call a tool' section needs a credential block and a call block.");
        return (string.Join('\n', blocks[..^1]), blocks[^1]);
    }

    /// <summary>
    /// The README says what the variant does: no claim of authentication or scope tests without authentication, and no test
    /// project, test command or tool test without tests; and no template directive is left in it.
    /// </summary>
    private static void AssertReadmeFitsTheVariant(string readme, string auth, bool skipTests)
    {
        Assert.DoesNotContain("<!--#", readme, StringComparison.Ordinal);
        Assert.Equal(auth != "none", readme.Contains("every call is authenticated", StringComparison.Ordinal));
        Assert.Equal(auth != "none" && !skipTests, readme.Contains("with and without the scopes", StringComparison.Ordinal));
        Assert.Equal(!skipTests, readme.Contains("tests/Tickets.Tests/", StringComparison.Ordinal));
        Assert.Equal(auth != "none" && !skipTests, readme.Contains("the MCP SDK's client, test tokens", StringComparison.Ordinal));
        Assert.Equal(!skipTests, ReadmeBlocks(readme, "## 2. Test it").Any(b => b.Contains("dotnet test", StringComparison.Ordinal)));
        var addTool = Assert.Single(ReadmeBlocks(readme, "## 4. Add a tool"));
        Assert.Equal(skipTests, addTool.Contains("--skip-tests", StringComparison.Ordinal));
    }

    /// <summary>The bash blocks of the README section that starts with <paramref name="heading"/>.</summary>
    private static List<string> ReadmeBlocks(string readme, string heading)
    {
        var start = readme.IndexOf(heading, StringComparison.Ordinal);
        var next = start < 0 ? -1 : readme.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        var end = next < 0 ? readme.Length : next; // the last section ends with the file
        Assert.True(start >= 0, $"The README has no '{heading}' section.");
        return BashBlock().Matches(readme[start..end]).Select(m => m.Groups[1].Value).ToList();
    }

    private async Task<string> BashAsync(string workingDirectory, string script)
    {
        var result = await ProcessRunner.RunAsync("bash", ["-euo", "pipefail", "-c", script], workingDirectory, fixture.Environment(), TimeSpan.FromMinutes(3), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, $"{script}\n{result.Describe()}");
        return result.StandardOutput.Trim();
    }

    private async Task<RunningService> RunAsync(string solution, int port, params (string Name, string Value)[] settings)
    {
        var environment = fixture.Environment();
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        var process = ProcessRunner.Start("dotnet", ["run", "--project", Path.Combine("src", "Tickets"), "--no-build", "--no-launch-profile"], solution, environment);
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var running = new RunningService(process);
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            Assert.False(process.HasExited, $"The service exited:\n{output}");
            try
            {
                using var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"), TestContext.Current.CancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return running;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        await running.DisposeAsync();
        Assert.Fail($"The service did not become ready:\n{output}");
        return running;
    }

    /// <summary>The generated files (paths, sorted) and the files that carry the options, with per-instance values masked.</summary>
    private static string Describe(string solution, string? only = null)
    {
        var files = Directory.EnumerateFiles(solution, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(solution, f).Replace('\\', '/'))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Where(f => only is null || f.Contains(only, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var text = new StringBuilder();
        text.AppendLine("# files").AppendJoin('\n', files).AppendLine();
        foreach (var file in files.Where(f => only is not null || f.EndsWith(".csproj", StringComparison.Ordinal) || f.EndsWith("Program.cs", StringComparison.Ordinal) || f.EndsWith("appsettings.json", StringComparison.Ordinal) || f.EndsWith("kubernetes.json", StringComparison.Ordinal)))
        {
            var content = File.ReadAllText(Path.Combine(solution, file));
            content = Guid().Replace(content, "<guid>");
            content = Version().Replace(content, "Version=\"<mcpservices-version>\"");
            text.AppendLine().AppendLine($"# {file}").Append(content.TrimEnd('\n')).AppendLine();
        }

        return text.ToString();
    }

    [GeneratedRegex("```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex("localhost:[0-9]+")]
    private static partial Regex LocalhostPort();

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guid();

    [GeneratedRegex("Version=\"0\\.[0-9]+\\.[0-9]+[^\"]*\"")]
    private static partial Regex Version();

    private sealed class RunningService(Process process) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process.Dispose();
        }
    }
}
