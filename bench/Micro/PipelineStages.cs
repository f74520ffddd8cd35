using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Bench;
using McpServices.AspNetCore;
using McpServices.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ModelContextProtocol.Protocol;

namespace McpServices.Benchmarks;

/// <summary>
/// The stages a governed <c>tools/call</c> passes, each measured alone with the service's real components (resolved from a
/// configured, unstarted McpServices host): the HTTP gate's envelope read, bearer-token validation (uncached and cached), the
/// caller and scope check, the rate limiter, argument validation, the audit record (serialization, redaction, hash chain), and the
/// telemetry observers.
/// </summary>
[MemoryDiagnoser]
public class PipelineStages
{
    private const string Body = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{"sku":"HAM-0001","quantity":3}}}""";
    private static readonly Uri Endpoint = new("http://127.0.0.1:5000/mcp");

    private readonly McpTestTokenIssuer _issuer = new();
    private WebApplication _app = null!;
    private byte[] _body = null!;
    private string _token = null!;
    private JsonWebTokenHandler _handler = null!;
    private TokenValidationParameters _parameters = null!;
    private TokenValidationCache _cache = null!;
    private JwtBearerOptions _jwtOptions = null!;
    private AuthenticationScheme _scheme = null!;
    private ClaimsPrincipal _principal = null!;
    private ToolDescriptor _tool = null!;
    private ToolAccess _access = null!;
    private ToolRateLimiter _limiter = null!;
    private CallerIdentity _caller = null!;
    private Dictionary<string, JsonElement> _arguments = null!;
    private AuditRecordSerializer _serializer = null!;
    private AuditEntry _entry = null!;
    private IToolCallObserver[] _observers = null!;
    private ToolCall _call = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        // Settings only from this code: no appsettings.json from whatever folder the benchmark runs in.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration["McpService:Name"] = "bench";
        builder.Configuration["McpService:Authorization:Tools:get_quote:RequiredScopes:0"] = "quotes:read";
        builder.Configuration["McpService:RateLimits:Tools:get_quote:PermitsPerPeriod"] = "1000000000";
        builder.Configuration["McpService:RateLimits:Tools:get_quote:Period"] = "00:00:01";
        builder.Configuration["McpService:Authentication:Resource"] = Endpoint.ToString();
        _issuer.ConfigureService(builder.Services);
        builder.AddMcpService().WithTools<QuoteTools>();
        _app = builder.Build();
        _app.MapMcpService();
        var services = _app.Services;

        _body = Encoding.UTF8.GetBytes(Body);
        _token = _issuer.CreateToken(Endpoint, "quotes:read");

        _jwtOptions = services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(McpServiceAuthenticationDefaults.BearerScheme);
        _parameters = _jwtOptions.TokenValidationParameters.Clone();
        _parameters.IssuerSigningKeys = [_issuer.SigningKey];
        _handler = new JsonWebTokenHandler { MapInboundClaims = false };
        var validated = await _handler.ValidateTokenAsync(_token, _parameters);
        if (!validated.IsValid)
        {
            throw new InvalidOperationException("The benchmark token does not validate: " + validated.Exception);
        }

        _principal = new ClaimsPrincipal(validated.ClaimsIdentity);
        _scheme = new AuthenticationScheme(McpServiceAuthenticationDefaults.BearerScheme, null, typeof(JwtBearerHandler));
        _cache = services.GetRequiredService<TokenValidationCache>();
        var warm = new TokenValidatedContext(NewContext(), _scheme, _jwtOptions) { Principal = _principal, SecurityToken = validated.SecurityToken };
        await _cache.AddAsync(warm);

        var catalog = services.GetRequiredService<ToolCatalog>();
        _tool = catalog.Find("get_quote")!;
        _access = services.GetRequiredService<ToolAuthorizer>().GetAccess(_tool);
        _limiter = services.GetRequiredService<ToolRateLimiter>();
        _caller = CallerIdentity.Create(_principal, IPAddress.Loopback);
        _arguments = JsonRpcEnvelope.TryRead(_body)!.ReadArguments(_body)!.ToDictionary();

        _serializer = new AuditRecordSerializer(services.GetRequiredService<ServiceIdentity>(), services.GetRequiredService<IOptions<McpServiceOptions>>().Value.Audit);
        _entry = new AuditEntry
        {
            Id = Guid.CreateVersion7().ToString("N"),
            Time = DateTimeOffset.UtcNow,
            Caller = _caller,
            UserAgent = "wrk",
            JsonRpcId = "1",
            ProtocolVersion = "2025-11-25",
            TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
            SpanId = "00f067aa0ba902b7",
            Tool = "get_quote",
            ToolVersion = "1.0.0",
            Descriptor = _tool,
            Arguments = _arguments,
            Outcome = ToolCallOutcome.Succeeded,
            DurationMs = 0.412,
            Result = new CallToolResult { Content = [new TextContentBlock { Text = QuoteTools.GetQuote("HAM-0001", 3) }] },
        };

        _observers = services.GetServices<IToolCallObserver>().Where(o => o is McpServiceMetrics or ToolCallTracing).ToArray();
        var http = NewContext();
        http.User = _principal;
        _call = ToolCall.FromEnvelope(JsonRpcEnvelope.TryRead(_body)!, _body, http);
        _call.Tool = _tool;
        _call.Complete();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _app.DisposeAsync();
        _issuer.Dispose();
    }

    [Benchmark(Description = "1 gate: read the JSON-RPC envelope")]
    public object? Gate() => JsonRpcEnvelope.TryRead(_body)!.FindRepeatedArgument(_body);

    /// <summary>
    /// What anyone can make the gate read before authentication: a body at the 1 MiB limit whose arguments are one object of
    /// about 90,000 distinct members, half of their names escaped (the envelope skips the arguments).
    /// </summary>
    [Benchmark(Description = "1b gate, 1 MiB body: read the envelope (before authentication)")]
    public object? GateWideArguments() => JsonRpcEnvelope.TryRead(WideBody);

    /// <summary>The same body's arguments checked for a member given twice, which the gate does after authentication.</summary>
    [Benchmark(Description = "1c gate, 1 MiB body: check 90,000 argument names for one given twice (after authentication)")]
    public object? GateWideArgumentsRepeated() => WideEnvelope.FindRepeatedArgument(WideBody);


    private static readonly byte[] WideBody = BuildWideBody();

    private static readonly JsonRpcEnvelope WideEnvelope = JsonRpcEnvelope.TryRead(WideBody)!;

    private static byte[] BuildWideBody()
    {
        var json = new StringBuilder("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{""");
        for (var i = 0; json.Length < 1_000_000; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(i % 2 == 0 ? $"\"m{i}\":1" : $"\"\\u006d{i}\":1");
        }

        return Encoding.UTF8.GetBytes(json.Append("}}}").ToString());
    }

    [Benchmark(Description = "2a authentication: validate the JWT (RS256), uncached")]
    public Task<TokenValidationResult> JwtUncached() => _handler.ValidateTokenAsync(_token, _parameters);

    [Benchmark(Description = "2b authentication: validated-token cache hit")]
    public async Task<ClaimsPrincipal?> JwtCached()
    {
        var context = new MessageReceivedContext(NewContext(), _scheme, _jwtOptions);
        await _cache.TryAuthenticateAsync(context);
        return context.Principal;
    }

    [Benchmark(Description = "3 authorization: caller identity and scope check")]
    public int Scopes() => _access.MissingScopes(CallerIdentity.Create(_principal, IPAddress.Loopback).Scopes).Length;

    [Benchmark(Description = "4 rate limit: token bucket")]
    public TimeSpan? RateLimit() => _limiter.TryAcquire("get_quote", _caller);

    [Benchmark(Description = "5 validation: bind and validate arguments")]
    public async Task<bool> Validation() => (await _tool.Arguments.ValidateAsync(_arguments, _app.Services, CancellationToken.None)).IsValid;

    [Benchmark(Description = "6 audit: serialize, redact, hash and chain a record")]
    public AuditRecord Audit() => _serializer.Serialize(_entry);

    [Benchmark(Description = "7 telemetry: metrics and span enrichment")]
    public void Telemetry()
    {
        foreach (var observer in _observers)
        {
            observer.OnCompleted(_call);
        }
    }

    private static DefaultHttpContext NewContext()
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1:5000");
        context.Request.Path = "/mcp";
        return context;
    }
}
