using System.Collections;
using System.Net;
using System.Reflection;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace McpServices.AspNetCore.Tests.RateLimiting;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Exhaustion_IsAClearErrorWithARetryHint_AndTheBucketRecovers()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.RateLimits.Tools["read_stock"] = new McpRateLimit { PermitsPerPeriod = 2, Period = TimeSpan.FromSeconds(1) },
            authentication: true);
        await using var client = await server.ConnectWithScopesAsync("inventory:read");

        await client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        await client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(McpServiceErrorCodes.RateLimited, (int)ex.ErrorCode);
        Assert.Contains("retry after 1 second", ex.Message);
        Assert.Equal(2, server.Log().Count("read_stock"));

        await Task.Delay(TimeSpan.FromSeconds(1.3), TestContext.Current.CancellationToken);
        var recovered = await client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("read", Assert.IsType<TextContentBlock>(Assert.Single(recovered.Content)).Text);
    }

    [Fact]
    public async Task Limits_ArePerCaller_AndACallerIsASubjectOfAnIssuer()
    {
        // A service that trusts two identity providers: the partner's "alice" is someone else, with a bucket of her own.
        using var partner = new Testing.McpTestTokenIssuer("https://partner-idp.mcpservices.test");
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.RateLimits.Default = new McpRateLimit { PermitsPerPeriod = 1, Period = TimeSpan.FromMinutes(1) },
            configure: b => b.Services.PostConfigure<JwtBearerOptions>(McpServiceAuthenticationDefaults.BearerScheme, o =>
            {
                o.TokenValidationParameters.ValidIssuers = [TestServer.Issuer.Issuer, partner.Issuer];
                o.TokenValidationParameters.IssuerSigningKeys = [TestServer.Issuer.SigningKey, partner.SigningKey];
            }),
            authentication: true);
        Testing.McpTestToken Token(string subject) => new() { Audience = server.McpEndpoint.ToString(), Subject = subject, Scopes = ["inventory:read"] };
        await using var aliceClient = await server.ConnectAsync(new() { AccessToken = TestServer.Issuer.CreateToken(Token("alice")) }, TestContext.Current.CancellationToken);
        await using var bobClient = await server.ConnectAsync(new() { AccessToken = TestServer.Issuer.CreateToken(Token("bob")) }, TestContext.Current.CancellationToken);
        await using var partnerAliceClient = await server.ConnectAsync(new() { AccessToken = partner.CreateToken(Token("alice")) }, TestContext.Current.CancellationToken);

        await aliceClient.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        await bobClient.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        await partnerAliceClient.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<McpProtocolException>(() => aliceClient.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken).AsTask());
        await Assert.ThrowsAsync<McpProtocolException>(() => partnerAliceClient.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(3, server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task AToolEntryWithZeroPermits_ExemptsThatToolFromTheDefault()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o =>
            {
                o.RateLimits.Default = new McpRateLimit { PermitsPerPeriod = 1, Period = TimeSpan.FromMinutes(1) };
                o.RateLimits.Tools["divide"] = new McpRateLimit { PermitsPerPeriod = 0 };
            });
        await using var client = await server.ConnectAsync();
        var divide = new Dictionary<string, object?> { ["a"] = 6, ["b"] = 3 };

        for (var i = 0; i < 3; i++)
        {
            var result = await client.CallToolAsync("divide", divide, cancellationToken: TestContext.Current.CancellationToken);
            Assert.NotEqual(true, result.IsError);
        }

        await client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("add", new Dictionary<string, object?> { ["a"] = 1 }, cancellationToken: TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(McpServiceErrorCodes.RateLimited, (int)ex.ErrorCode);
    }

    [Fact]
    public async Task CallersOfAToolWithoutALimit_LeaveNoBucketBehind()
    {
        // The runtime's partitioned limiter never drops a no-limit partition: one per caller of an unlimited tool grew without
        // bound with the number of distinct callers (subjects, API keys, remote addresses of anonymous calls).
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.RateLimits.Tools["write_stock"] = new McpRateLimit { PermitsPerPeriod = 5, Period = TimeSpan.FromMinutes(1) },
            authentication: true);
        using var http = server.CreateHttpClient();
        async Task CallAsync(string tool, string subject)
        {
            var token = TestServer.Issuer.CreateToken(new Testing.McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = subject, Scopes = ["inventory:read", "inventory:write", "inventory:audit"] });
            using var response = await http.SendAsync(CallTool(tool, bearer: token), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        for (var i = 0; i < 100; i++)
        {
            await CallAsync("read_stock", $"agent-{i}");
        }

        await CallAsync("write_stock", "agent-1");
        await CallAsync("write_stock", "agent-2");

        Assert.Equal(100, server.Log().Count("read_stock"));
        Assert.Equal(2, server.Log().Count("write_stock"));
        var limiter = server.Services.GetRequiredService<ToolRateLimiter>().Limiter;
        Assert.NotNull(limiter);
        Assert.Equal(2, PartitionCount(limiter));
    }

    [Fact]
    public async Task AnonymousCallers_HaveABucketPerIPv4Address_AndPerIPv6Slash64()
    {
        // Behind a proxy (X-Forwarded-For): one client given a /64 must not take a fresh bucket with each of its addresses.
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<PublicTools>(),
            o => o.RateLimits.Tools["ping"] = new McpRateLimit { PermitsPerPeriod = 1, Period = TimeSpan.FromMinutes(1) },
            configure: b => b.Services.Configure<ForwardedHeadersOptions>(o =>
            {
                o.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
                o.KnownIPNetworks.Clear();
                o.KnownProxies.Clear();
            }),
            configureApp: app =>
            {
                app.UseForwardedHeaders();
                app.MapMcpService();
            });
        using var http = server.CreateHttpClient();
        async Task<bool> AllowedAsync(string client)
        {
            using var request = CallTool("ping");
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return !(await response.Content.ReadAsStringAsync(ct)).Contains("\"code\":" + McpServiceErrorCodes.RateLimited, StringComparison.Ordinal);
        }

        Assert.True(await AllowedAsync("2001:db8:0:1::1"));
        Assert.False(await AllowedAsync("2001:db8:0:1::2"));                       // the same /64
        Assert.False(await AllowedAsync("2001:db8:0:1:ffff:ffff:ffff:ffff"));      // still the same /64
        Assert.True(await AllowedAsync("2001:db8:0:2::1"));                        // the next /64: another client
        Assert.True(await AllowedAsync("192.0.2.1"));
        Assert.True(await AllowedAsync("192.0.2.2"));                              // IPv4: per address
        Assert.False(await AllowedAsync("::ffff:192.0.2.2"));                      // the same IPv4 client, IPv4-mapped
        Assert.Equal(4, server.Log().Count("ping"));
    }

    [Fact]
    public async Task AReloadThatLeavesTheLimitsAlone_KeepsWhatCallersHaveUsed()
    {
        // Every configuration reload (a ConfigMap edit, a touched appsettings.json) rebuilt the buckets: full again for everyone.
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            o => o.RateLimits.Tools["add"] = new McpRateLimit { PermitsPerPeriod = 1, Period = TimeSpan.FromMinutes(1) });
        await using var client = await server.ConnectAsync();
        var configuration = (Microsoft.Extensions.Configuration.IConfigurationRoot)server.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        var one = new Dictionary<string, object?> { ["a"] = 1 };
        async Task<bool> RateLimitedAsync()
        {
            try
            {
                await client.CallToolAsync("add", one, cancellationToken: ct);
                return false;
            }
            catch (McpProtocolException ex) when ((int)ex.ErrorCode == McpServiceErrorCodes.RateLimited)
            {
                return true;
            }
        }

        Assert.False(await RateLimitedAsync());
        configuration["McpService:Authorization:Tools:divide:Disabled"] = "true";
        configuration.Reload();
        Assert.True(await RateLimitedAsync());

        // A changed limit is a new bucket with the new size.
        configuration["McpService:RateLimits:Tools:add:PermitsPerPeriod"] = "2";
        configuration.Reload();
        Assert.False(await RateLimitedAsync());
        Assert.False(await RateLimitedAsync());
        Assert.True(await RateLimitedAsync());
    }

    [Fact]
    public async Task ReloadingTheLimits_WhileCallsTakePermits_NeverFailsACall()
    {
        // A reload replaces the limiter and disposes of the old one; a call that had just read the old one asked a disposed
        // limiter (ObjectDisposedException: a failed call) instead of the new one.
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.RateLimits.Tools["read_stock"] = new McpRateLimit { PermitsPerPeriod = 1_000_000, Period = TimeSpan.FromMinutes(1) });
        var limiter = server.Services.GetRequiredService<ToolRateLimiter>();
        var configuration = (Microsoft.Extensions.Configuration.IConfigurationRoot)server.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        var caller = CallerIdentity.Create(null, IPAddress.Loopback);
        using var reloading = new CancellationTokenSource();
        var reloads = Task.Run(() =>
        {
            for (var i = 0; i < 300; i++)
            {
                configuration["McpService:RateLimits:Tools:read_stock:PermitsPerPeriod"] = (1_000_000 - (i % 2)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                configuration.Reload();
            }
        }, TestContext.Current.CancellationToken);

        var calls = Task.Run(() =>
        {
            var taken = 0;
            while (!reloads.IsCompleted)
            {
                Assert.Null(limiter.TryAcquire("read_stock", caller));
                taken++;
            }

            return taken;
        }, TestContext.Current.CancellationToken);

        await reloads;
        Assert.True(await calls > 0);
    }

    private static HttpRequestMessage CallTool(string tool, string? bearer = null) =>
        RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"TOOL","arguments":{}}}""".Replace("TOOL", tool, StringComparison.Ordinal), bearer: bearer);

    /// <summary>How many partitions the runtime's partitioned limiter holds (its private dictionary; this test must see the real one).</summary>
    private static int PartitionCount(object limiter)
    {
        var field = limiter.GetType().GetField("_limiters", BindingFlags.NonPublic | BindingFlags.Instance);
        Assert.True(field is not null, $"{limiter.GetType()} has no _limiters field any more; find where it keeps its partitions.");
        return ((ICollection)field.GetValue(limiter)!).Count;
    }

    [Fact]
    public async Task Limits_AreInTheSelfDescription()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.RateLimits.Tools["read_stock"] = new McpRateLimit { PermitsPerPeriod = 30, Period = TimeSpan.FromMinutes(1), Burst = 5 },
            authentication: true);

        var description = server.Services.GetRequiredService<ServiceDescriber>().DescribeToString();

        using var doc = System.Text.Json.JsonDocument.Parse(description);
        var tool = doc.RootElement.GetProperty("tools").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "read_stock");
        Assert.Equal(30, tool.GetProperty("rateLimit").GetProperty("permitsPerPeriod").GetInt32());
        Assert.Equal(5, tool.GetProperty("rateLimit").GetProperty("burst").GetInt32());
        Assert.Equal(["inventory:read"], tool.GetProperty("requiredScopes").EnumerateArray().Select(e => e.GetString()));
    }
}
