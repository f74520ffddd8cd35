using McpServices.Tests.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>
/// Readiness while the service reads its identity provider's metadata, with the clock under the test's control (the end-to-end
/// behaviour against real providers is in <see cref="IdentityProviderOutageTests"/> and <see cref="OidcDiscoveryTests"/>).
/// </summary>
public sealed class IdentityProviderStatusTests
{
    [Fact]
    public async Task Readiness_IsStarting_ForFiveSecondsOfTheFirstRead_ThenAnOutage_UntilTheMetadataArrives()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var status = new IdentityProviderStatus(factory.CreateLogger<IdentityProviderStatus>(), time);
        var provider = new ProviderThatAnswersWhenTold();

        Assert.Equal((false, (string?)null), status.Readiness()); // nothing to read: ready
        status.WarmUp(provider, "https://login.example.com/.well-known/openid-configuration");
        await provider.Asked.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal((true, (string?)null), status.Readiness());
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal((true, (string?)null), status.Readiness());

        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal((false, "no answer within 5 seconds"), status.Readiness());
        Assert.Contains(logs.Entries, e => e.EventId.Id == 44 && e.Message.Contains("https://login.example.com/.well-known/openid-configuration cannot be read (no answer within 5 seconds)", StringComparison.Ordinal));

        provider.Answer();
        for (var i = 0; i < 200 && status.Readiness() != (false, null); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal((false, (string?)null), status.Readiness());
        Assert.True(status.IsAvailable);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 45);
    }

    /// <summary>An identity provider whose metadata arrives when the test says so.</summary>
    private sealed class ProviderThatAnswersWhenTold : IConfigurationManager<OpenIdConnectConfiguration>
    {
        private readonly TaskCompletionSource<OpenIdConnectConfiguration> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
        {
            Asked.TrySetResult();
            return _answer.Task;
        }

        public void Answer() => _answer.TrySetResult(new OpenIdConnectConfiguration { Issuer = "https://login.example.com/" });

        public void RequestRefresh()
        {
        }
    }
}
