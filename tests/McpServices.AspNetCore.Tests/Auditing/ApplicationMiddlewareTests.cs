using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace McpServices.AspNetCore.Tests.Auditing;

/// <summary>
/// An existing application's own middleware runs before the MCP endpoint: a global rate limiter, an authorization policy chained
/// onto <c>MapMcpService()</c>, anything that answers or throws before the request reaches it. A <c>tools/call</c> it refuses
/// never reaches the HTTP stage, and used to leave no audit record.
/// </summary>
public sealed class ApplicationMiddlewareTests
{
    /// <summary>A global rate limiter of the application's own (<c>UseRateLimiter</c>): one request an hour, then 429.</summary>
    private static void OneCallPerHourGlobally(WebApplicationBuilder builder) =>
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(_ => RateLimitPartition.GetFixedWindowLimiter(
                "all", _ => new FixedWindowRateLimiterOptions { PermitLimit = 1, Window = TimeSpan.FromHours(1) }));
        });

    private static string Call(int id, string tool) =>
        $$"""{"jsonrpc":"2.0","id":{{id}},"method":"tools/call","params":{"name":"{{tool}}","arguments":{} } }""";

    [Fact]
    public async Task ACallTheApplicationsRateLimiterRefuses_IsAuditedAsRateLimited()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: OneCallPerHourGlobally,
            configureApp: app =>
            {
                app.UseRateLimiter();
                app.MapMcpService();
            },
            authentication: true);
        using var http = server.CreateHttpClient();
        var token = server.Token("inventory:read");

        using var first = await http.SendAsync(RequestGateTests.Post(Call(1, "read_stock"), bearer: token), ct);
        using var second = await http.SendAsync(RequestGateTests.Post(Call(2, "read_stock"), bearer: token), ct);
        using var list = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":3,"method":"tools/list"}""", bearer: token), ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, list.StatusCode);
        var refused = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Outcome == "rate_limited", cancellationToken: ct));
        Assert.Equal("read_stock", refused.GetProperty("target").GetProperty("tool").GetString());
        Assert.Equal("2", refused.GetProperty("request").GetProperty("jsonRpcId").GetRawText());
        Assert.Equal("test-user", refused.GetProperty("actor").GetProperty("subject").GetString());
        Assert.Equal("refused_by_application", refused.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(
            "HTTP 429 Too Many Requests, from the application's middleware before the MCP endpoint; the tool did not run.",
            refused.GetProperty("error").GetProperty("message").GetString());

        // One record per call: the call that ran is not recorded twice, the refused list not at all.
        await server.StopAsync(ct);
        Assert.Equal(["succeeded", "rate_limited"], server.Audit.Records.Select(r => r.Outcome));
    }

    [Fact]
    public async Task ACallAPolicyChainedOnTheEndpointRefuses_IsAuditedAsDenied()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<PublicTools>(),
            configureApp: app => app.MapMcpService().RequireAuthorization(p => p.RequireClaim("department", "sales")),
            authentication: true);
        using var http = server.CreateHttpClient();

        using var anonymous = await http.SendAsync(RequestGateTests.Post(Call(1, "ping")), ct);
        using var outsider = await http.SendAsync(RequestGateTests.Post(Call(2, "ping"), bearer: server.Token("inventory:read")), ct);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        Assert.Equal(0, server.Log().Count("ping"));
        await server.StopAsync(ct);
        var records = server.Audit.Records.Select(McpTestAuditSink.Parse).ToList();
        Assert.Equal(["denied", "denied"], records.Select(r => r.GetProperty("outcome").GetString()));
        Assert.Equal(["1", "2"], records.Select(r => r.GetProperty("request").GetProperty("jsonRpcId").GetRawText()));
        Assert.Equal(JsonValueKind.Null, records[0].GetProperty("actor").GetProperty("subject").ValueKind);
        Assert.Equal("test-user", records[1].GetProperty("actor").GetProperty("subject").GetString());
        Assert.StartsWith("HTTP 403 Forbidden, from the application's middleware", records[1].GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACallWhoseClientLeavesWhileTheApplicationsMiddlewareHoldsIt_IsAuditedAsCancelled()
    {
        // A middleware that waits (a rate limiter's queue, a slow tenant lookup) while the client gives up.
        var ct = TestContext.Current.CancellationToken;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<PublicTools>(),
            configureApp: app =>
            {
                app.Use(async (HttpContext context, RequestDelegate _) =>
                {
                    held.TrySetResult();
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                });
                app.MapMcpService();
            });
        using var http = server.CreateHttpClient();

        // The body of a client that has gone can no longer be read: the call is recognized from the headers that declare it
        // (Mcp-Method and Mcp-Name, sent by 2026-07-28 clients), as for a client waiting for 100 Continue. One without them
        // leaves no record.
        foreach (var declared in new[] { false, true })
        {
            held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var leave = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var request = RequestGateTests.Post(Call(declared ? 2 : 1, declared ? "ping" : "pong"));
            if (declared)
            {
                request.Headers.Add("Mcp-Method", "tools/call");
                request.Headers.Add("Mcp-Name", "ping");
            }

            var call = http.SendAsync(request, leave.Token);
            await held.Task.WaitAsync(ct);
            await leave.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        }

        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "ping", cancellationToken: ct));
        Assert.Equal("cancelled", record.GetProperty("outcome").GetString());
        Assert.Equal("client_disconnected", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("request").GetProperty("jsonRpcId").ValueKind);
        await server.StopAsync(ct);
        Assert.Single(server.Audit.Records);
    }

    [Fact]
    public async Task ACallAspNetCoresHostFilteringRefuses_IsAuditedAsInvalid()
    {
        // ASP.NET Core's own AllowedHosts (host filtering, added in front of the application by the web host's defaults).
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(b => b.WithTools<PublicTools>(), configure: b => b.Configuration["AllowedHosts"] = "mcp.example.com");
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(RequestGateTests.Post(Call(1, "ping")), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "ping", cancellationToken: ct));
        Assert.Equal("invalid", record.GetProperty("outcome").GetString());
        Assert.Equal(
            "HTTP 400 Bad Request, from the application's middleware before the MCP endpoint; the tool did not run.",
            record.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("/mcp", "mcp")]
    [InlineData("/agents/mcp/", "agents/MCP")] // routing ignores case and a trailing slash
    public async Task ACallTheApplicationsMiddlewareFailsOn_IsAuditedAsFailed(string mcpPath, string requestPath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<PublicTools>(),
            o => o.Path = mcpPath,
            configureApp: app =>
            {
                app.Use((context, next) => context.Request.Headers.ContainsKey("X-Tenant") ? next(context) : throw new InvalidOperationException("No tenant."));
                app.MapMcpService();
            });
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(RequestGateTests.Post(Call(1, "ping"), path: requestPath), ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "ping", cancellationToken: ct));
        Assert.Equal("failed", record.GetProperty("outcome").GetString());
        Assert.Equal("refused_by_application", record.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(
            "HTTP 500 Internal Server Error, from the application's middleware before the MCP endpoint; the tool did not run.",
            record.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(0, server.Log().Count("ping"));
    }

    [Theory]
    [InlineData(false)] // WebApplication adds routing itself
    [InlineData(true)]
    public async Task ACallTheApplicationsMiddlewareRefusesBehindUsePathBase_IsAudited(bool useRouting)
    {
        // app.UsePathBase("/api") serves the endpoint at /api/mcp: the request's path is /api/mcp outside UsePathBase, /mcp inside.
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<PublicTools>(),
            configure: OneCallPerHourGlobally,
            configureApp: app =>
            {
                app.UsePathBase("/api");
                if (useRouting)
                {
                    app.UseRouting();
                }

                app.UseRateLimiter();
                app.MapMcpService();
            });
        using var http = server.CreateHttpClient();

        using var first = await http.SendAsync(RequestGateTests.Post(Call(1, "ping"), path: "api/mcp"), ct);
        using var second = await http.SendAsync(RequestGateTests.Post(Call(2, "ping"), path: "api/mcp"), ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        await server.StopAsync(ct);
        Assert.Equal(["succeeded", "rate_limited"], server.Audit.Records.Select(r => r.Outcome));
        Assert.Equal("refused_by_application", McpTestAuditSink.Parse(server.Audit.Records[1]).GetProperty("error").GetProperty("code").GetString());
    }
}
