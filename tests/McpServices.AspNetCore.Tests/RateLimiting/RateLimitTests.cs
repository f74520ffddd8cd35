using McpServices.AspNetCore.Tests.TestTools;
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
    public async Task Limits_ArePerCaller()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.RateLimits.Default = new McpRateLimit { PermitsPerPeriod = 1, Period = TimeSpan.FromMinutes(1) },
            authentication: true);
        var alice = TestServer.Issuer.CreateToken(new Testing.McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "alice", Scopes = ["inventory:read"] });
        var bob = TestServer.Issuer.CreateToken(new Testing.McpTestToken { Audience = server.McpEndpoint.ToString(), Subject = "bob", Scopes = ["inventory:read"] });
        await using var aliceClient = await server.ConnectAsync(new() { AccessToken = alice }, TestContext.Current.CancellationToken);
        await using var bobClient = await server.ConnectAsync(new() { AccessToken = bob }, TestContext.Current.CancellationToken);

        await aliceClient.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        await bobClient.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<McpProtocolException>(() => aliceClient.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(2, server.Log().Count("read_stock"));
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
