using System.Net;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McpServices.AspNetCore.Tests.Health;

public sealed class HealthEndpointTests
{
    [Fact]
    public async Task Livez_And_Readyz_AreHealthy_AndNeedNoCredentials()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        using var live = await http.GetAsync("livez", TestContext.Current.CancellationToken);
        using var ready = await http.GetAsync("readyz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Readyz_ReflectsRegisteredHealthChecks_LivezDoesNot()
    {
        var dependency = new SwitchableCheck();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<CalculatorTools>(),
            configure: b => b.Services.AddHealthChecks().AddCheck("database", dependency));
        using var http = server.CreateHttpClient();

        dependency.Healthy = false;
        using var ready = await http.GetAsync("readyz", TestContext.Current.CancellationToken);
        using var live = await http.GetAsync("livez", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task HealthPaths_AreConfigurable()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>(), o => { o.LivenessPath = "/health/live"; o.ReadinessPath = "/health/ready"; });
        using var http = server.CreateHttpClient();

        using var live = await http.GetAsync("health/live", TestContext.Current.CancellationToken);
        using var ready = await http.GetAsync("health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task HealthEndpoints_AnswerOnlyGetAndHead(string method)
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<CalculatorTools>());
        using var http = server.CreateHttpClient();

        foreach (var path in new[] { "livez", "readyz" })
        {
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path), TestContext.Current.CancellationToken);
            using var other = await http.SendAsync(
                new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}") }, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, other.StatusCode);
            Assert.Equal(["GET", "HEAD"], other.Content.Headers.Allow.Order(StringComparer.Ordinal));
        }
    }

    private sealed class SwitchableCheck : IHealthCheck
    {
        public bool Healthy { get; set; } = true;

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("down"));
    }
}
