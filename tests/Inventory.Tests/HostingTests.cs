using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>The sample run as a real process, as it runs in a container.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task OutsideDevelopment_LogsAreJsonOnStderr_AndStdoutStaysClean()
    {
        var port = FreePort();
        using var process = ProcessRunner.Start(
            "dotnet",
            [SampleProcess.Dll],
            AppContext.BaseDirectory,
            new Dictionary<string, string?>
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["McpService__Authentication__ApiKeys__ops__Hash"] = "sha256:" + new string('0', 64),
            });
        var stdout = new List<string>();
        var stderr = new List<string>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.Add(e.Data); } } };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (stderr)
            {
                stderr.Add(e.Data);
            }

            if (e.Data.Contains("Now listening", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            using var http = new HttpClient();
            var ready = await http.GetAsync($"http://127.0.0.1:{port}/readyz", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        lock (stderr)
        {
            Assert.NotEmpty(stderr);
            foreach (var line in stderr)
            {
                using var entry = JsonDocument.Parse(line);
                Assert.True(entry.RootElement.TryGetProperty("LogLevel", out _), line);
                Assert.True(entry.RootElement.TryGetProperty("Timestamp", out _), line);
            }
        }

        lock (stdout)
        {
            Assert.Empty(stdout);
        }
    }

    [Fact]
    public async Task Production_WithoutAnyWayToAuthenticate_RefusesToStart_SayingHowToFixIt()
    {
        var result = await SampleProcess.RunToExitAsync(new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}", ["ASPNETCORE_ENVIRONMENT"] = "Production" });

        Assert.Equal(78, result.ExitCode);
        Assert.Contains("The MCP service cannot start because of its configuration:\n  - Authentication is on, but no way to authenticate callers is configured", result.StandardError);
        Assert.Contains("Authentication:Schemes:Bearer:Authority", result.StandardError);
        // Outside Development, turning authentication off takes an acknowledgement too: the hint names both settings, so that
        // following it does not lead to a second refusal.
        Assert.Contains("set McpService:Authentication:Enabled=false and McpService:Authentication:AcknowledgeUnauthenticated=true", result.StandardError);
        Assert.DoesNotContain("Now listening", result.StandardError);
    }

    [Fact]
    public async Task TheFactory_ReturnsTheServerOnceItIsReady_NotWhileItStillReadsItsIdentityProvidersKeys()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var issuer = await OidcTestIssuer.StartAsync([], ["inventory:read"], cancellationToken: ct);
        issuer.StallJsonWebKeySet();
        await using var factory = new InventoryFactory(issuer.Authority);
        using var http = factory.CreateLoopbackClient();

        // Starting, the service is not ready for five seconds (it cannot check tokens yet); the factory waited that out, and
        // the keys still have not come: ready, degraded.
        using var ready = await http.GetAsync("readyz", ct);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Degraded", await ready.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task Production_WithBearerTokens_ButNeitherResourceNorAllowedHosts_RefusesToStart()
    {
        // The token audience would follow the caller's Host header: a token for another service of the same identity provider,
        // sent with that service's host name, would be accepted.
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Authentication__Schemes__Bearer__Authority"] = "https://login.example.com/realms/agents",
        };
        var result = await SampleProcess.RunToExitAsync(environment);

        Assert.True(result.ExitCode == 78, result.Describe());
        Assert.Contains("Bearer tokens would be checked against a resource URL taken from each request's Host header in the 'Production' environment", result.StandardError);
        Assert.Contains("Set McpService:Authentication:Resource to the URL clients use for the MCP endpoint", result.StandardError);
        Assert.DoesNotContain("Now listening", result.StandardError);
    }

    [Fact]
    public async Task Production_WithAuthenticationOff_RefusesToStart_UnlessAcknowledged()
    {
        var port = FreePort();
        var refused = await SampleProcess.RunToExitAsync(new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}", ["ASPNETCORE_ENVIRONMENT"] = "Production", ["McpService__Authentication__Enabled"] = "false" });

        Assert.Equal(78, refused.ExitCode);
        Assert.Contains("McpService:Authentication:AcknowledgeUnauthenticated=true", refused.StandardError);

        // The host logs the failure too (this sample logs JSON to stderr): the message, without frames through the host.
        Assert.Contains("\"Message\":\"Hosting failed to start\",\"Exception\":\"McpServices.AspNetCore.McpServiceConfigurationException: Authentication is turned off", refused.StandardError);
        Assert.DoesNotContain("   at ", refused.StandardError);
        Assert.DoesNotContain("   at ", refused.StandardOutput);
    }

    [Theory]
    [InlineData("McpService__Path", "not-a-path", "McpService:Path 'not-a-path' is not a valid path. Use an absolute path such as '/mcp'.")]
    [InlineData("McpService__Audit__Sinks__0", "kafka", "McpService:Audit:Sinks contains 'kafka'.")]
    [InlineData("McpService__Audit__FailurePolicy", "Sometimes", "McpService:Audit:FailurePolicy is 'Sometimes', which is not one of: FailClosed, FailOpen. Fix it in configuration (as an environment variable: McpService__Audit__FailurePolicy).")]
    [InlineData("McpService__SessionMode", "Sometimes", "McpService:SessionMode is 'Sometimes', which is not one of: Stateless, Stateful, StatefulForInitializeClients. Fix it in configuration (as an environment variable: McpService__SessionMode).")] // an enum of the MCP SDK's assembly
    [InlineData("McpService__DrainTimeout", "30s", "McpService:DrainTimeout is '30s', which is not a duration such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (one day).")]
    [InlineData("McpService__Authentication__ApiKeys__ci__Hash", "sha256:abc", "McpService:Authentication:ApiKeys:ci is not a usable API key")]
    [InlineData("McpService__Audit__OtlpEndpoint", "collector:4318", "McpService:Audit:OtlpEndpoint 'collector:4318' is not an OTLP/HTTP endpoint. Use an absolute http(s) URL")]
    [InlineData("McpService__RateLimits__Default__Period", "00:00:00", "McpService:RateLimits:Default:Period must be longer than zero")]
    [InlineData("McpService__Authentication__Resource", "inventory/mcp", "McpService:Authentication:Resource 'inventory/mcp' must be the absolute URL clients use for the MCP endpoint")]
    [InlineData("McpService__Authorization__Tools__adjust_stok__RequiredScopes__0", "inventory:admin", "Configuration names tools this service does not have: McpService:Authorization:Tools:adjust_stok.")]
    public async Task InvalidConfiguration_EndsWithTheMessage_NotAStackTrace(string key, string value, string message)
    {
        // Validation fails while the host is being built (the telemetry resource needs the service's name); the operator gets
        // the fix and exit code 78 (EX_CONFIG), not the runtime's unhandled-exception report. --describe fails the same way.
        foreach (var arguments in new[] { Array.Empty<string>(), ["--describe"] })
        {
            var result = await SampleProcess.RunToExitAsync(new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}", [key] = value }, arguments);

            Assert.True(result.ExitCode == 78, result.Describe());
            Assert.Contains($"The MCP service cannot start because of its configuration:\n  - {message}", result.StandardError);
            Assert.DoesNotContain("Unhandled exception", result.StandardError);
            Assert.DoesNotContain("   at ", result.StandardError);
            Assert.Empty(result.StandardOutput);
        }
    }

    [Theory]
    [InlineData("Authentication__Schemes__Bearer__Authority", "http://127.0.0.1:9/", "The JWT bearer settings (Authentication:Schemes:Bearer) cannot be used: The MetadataAddress or Authority must use HTTPS")]
    [InlineData("Authentication__Schemes__Bearer__RequireHttpsMetadata", "maybe", "The JWT bearer settings (Authentication:Schemes:Bearer) cannot be used: Authentication:Schemes:Bearer:RequireHttpsMetadata is 'maybe': String 'maybe' was not recognized as a valid Boolean. Fix it in configuration.")]
    public async Task InvalidJwtBearerSettings_EndWithTheMessage_NotAStackTrace(string key, string value, string message)
    {
        var result = await SampleProcess.RunToExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Authentication__Schemes__Bearer__Authority"] = "https://issuer.example.com/",
            [key] = value,
        });

        Assert.True(result.ExitCode == 78, result.Describe());
        Assert.Contains($"The MCP service cannot start because of its configuration:\n  - {message}", result.StandardError);
        Assert.DoesNotContain("Unhandled exception", result.StandardError);
        Assert.DoesNotContain("Now listening", result.StandardError);
    }

    [Fact]
    public async Task Development_TokenFromDotnetUserJwts_WorksWithoutExtraCode()
    {
        // dotnet user-jwts keeps its signing key in the user secrets of the sample's UserSecretsId and the issuer/audience in
        // appsettings.Development.json; the service picks both up in Development with no code of its own.
        var port = FreePort();
        var mint = await ProcessRunner.RunAsync(
            "dotnet",
            ["user-jwts", "create", "--project", RepoPaths.Combine("samples", "Inventory"), "--audience", "http://localhost:5080/mcp", "--scope", "inventory:read", "--output", "token"],
            RepoPaths.Root,
            timeout: TimeSpan.FromMinutes(2),
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(mint.ExitCode == 0, mint.Describe());
        var token = mint.StandardOutput.Trim();

        using var process = ProcessRunner.Start(
            "dotnet",
            [SampleProcess.Dll],
            AppContext.BaseDirectory,
            new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://localhost:{port}", ["ASPNETCORE_ENVIRONMENT"] = "Development", ["McpService__Authentication__Resource"] = "http://localhost:5080/mcp" });
        try
        {
            using var http = new HttpClient();
            await WaitForReadyAsync(http, port);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://localhost:{port}/mcp")
            {
                Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_stock","arguments":{"sku":"HAM-0001"}}}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
            request.Headers.Authorization = new("Bearer", token);

            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("Claw hammer", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task WaitForReadyAsync(HttpClient http, int port)
    {
        for (var i = 0; i < 150; i++)
        {
            try
            {
                using var ready = await http.GetAsync($"http://localhost:{port}/readyz", TestContext.Current.CancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        Assert.Fail("The service did not become ready within 30 seconds.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
