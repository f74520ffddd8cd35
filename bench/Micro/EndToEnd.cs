using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Bench;
using McpServices.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace McpServices.Benchmarks;

/// <summary>
/// One whole <c>tools/call</c> through the ASP.NET Core pipeline in process (TestServer: no sockets), so that time and allocations
/// per request compare the SDK's bare server with McpServices without governance and with it (JWT, scope, validation, audit to a
/// file, OpenTelemetry tracing and metrics without an exporter).
/// </summary>
[MemoryDiagnoser]
public class EndToEnd
{
    private const int Calls = 256;
    private const int Concurrency = 16;
    private const string Body = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{"sku":"HAM-0001","quantity":3}}}""";

    private readonly McpTestTokenIssuer _issuer = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private string? _token;
    private string _auditFile = null!;

    [Params("bare-sdk", "mcpservices-off", "mcpservices-governed")]
    public string Server { get; set; } = "bare-sdk";

    /// <summary>
    /// How many tools the service has: the benchmark's tool, plus tools that are never called. A stateless SDK server builds its
    /// options, tool collection included, for every request, so the cost of a call could grow with the number of tools.
    /// </summary>
    [Params(1, 100)]
    public int Tools { get; set; } = 1;

    [GlobalSetup]
    public async Task Setup()
    {
        // Settings only from this code: no appsettings.json from whatever folder the benchmark runs in.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Environment.EnvironmentName = "Production";
        _auditFile = Path.Combine(Path.GetTempPath(), $"mcps-bench-{Guid.NewGuid():N}.jsonl");
        var path = "/mcp";
        switch (Server)
        {
            case "bare-sdk":
                builder.Services.AddMcpServer().WithHttpTransport(o => o.Stateless = true).WithTools<QuoteTools>();
                path = "/";
                break;
            case "mcpservices-off":
                builder.Configuration["McpService:Authentication:Enabled"] = "false";
                builder.Configuration["McpService:Authentication:AcknowledgeUnauthenticated"] = "true";
                builder.Configuration["McpService:Audit:Enabled"] = "false";
                builder.Configuration["McpService:Audit:AcknowledgeDisabled"] = "true";
                builder.Configuration["McpService:Telemetry:Enabled"] = "false";
                builder.AddMcpService().WithTools<QuoteTools>();
                break;
            default:
                builder.Configuration["McpService:Authorization:Tools:get_quote:RequiredScopes:0"] = "quotes:read";
                builder.Configuration["McpService:Audit:Sinks:0"] = "file";
                builder.Configuration["McpService:Audit:FilePath"] = _auditFile;
                builder.Configuration["McpService:Authentication:Resource"] = "http://localhost/mcp"; // required in Production
                _issuer.ConfigureService(builder.Services);
                builder.AddMcpService().WithTools<QuoteTools>();
                break;
        }

        for (var i = 1; i < Tools; i++)
        {
            var n = i;
            builder.Services.AddSingleton(ModelContextProtocol.Server.McpServerTool.Create(
                (int quantity) => quantity * n, new ModelContextProtocol.Server.McpServerToolCreateOptions { Name = $"extra_tool_{n}", Description = "Never called." }));
        }

        _app = builder.Build();
        if (Server == "bare-sdk")
        {
            _app.MapMcp();
        }
        else
        {
            _app.MapMcpService();
        }

        await _app.StartAsync();
        _client = _app.GetTestClient();
        _client.BaseAddress = new Uri("http://localhost" + path);
        if (Server == "mcpservices-governed")
        {
            _token = _issuer.CreateToken(new Uri("http://localhost/mcp"), "quotes:read");
        }

        var answer = await CallAsync();
        if (!answer.Contains("37.50 EUR", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{Server} answered: {answer}");
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _issuer.Dispose();
        // The file and its rotated generations (100 MiB each at the default size): a long run rotates several times.
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(_auditFile)!, Path.GetFileName(_auditFile) + "*"))
        {
            File.Delete(file);
        }
    }

    /// <summary>256 calls, 16 at a time: the mean is the time per call when the server is busy, as under load.</summary>
    [Benchmark(Description = "tools/call (16 concurrent)", OperationsPerInvoke = Calls)]
    public async Task ToolsCall()
    {
        var next = 0;
        var workers = new Task[Concurrency];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) <= Calls)
                {
                    await CallAsync();
                }
            });
        }

        await Task.WhenAll(workers);
    }

    private async Task<string> CallAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, string.Empty) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        using var response = await _client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }
}
