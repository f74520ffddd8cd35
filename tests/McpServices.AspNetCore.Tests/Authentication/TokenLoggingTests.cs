using System.Net.Http.Headers;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.Extensions.Logging;
using McpServices.Tests.Common;

namespace McpServices.AspNetCore.Tests.Authentication;

public sealed class TokenLoggingTests
{
    [Fact]
    public async Task Tokens_AreNeverLogged_EvenAtTraceLevel()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b =>
            {
                b.Configuration["Logging:LogLevel:Default"] = "Trace";
                b.Configuration["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace";
                b.Configuration["Logging:LogLevel:ModelContextProtocol"] = "Trace";
                b.Logging.ClearProviders();
                b.Logging.SetMinimumLevel(LogLevel.Trace);
                b.Logging.AddProvider(sink);
            },
            authentication: true);
        using var http = server.CreateHttpClient();
        var valid = server.Token("inventory:read");
        var expired = TestServer.Issuer.CreateToken(new Testing.McpTestToken { Audience = server.McpEndpoint.ToString(), NotBefore = DateTimeOffset.UtcNow.AddHours(-2), Expires = DateTimeOffset.UtcNow.AddHours(-1) });
        var (apiKey, _) = ApiKeyStore.CreateKey("nobody");

        foreach (var credential in new[] { valid, expired, apiKey })
        {
            using var request = RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_stock"}}""");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
            using var _ = await http.SendAsync(request, TestContext.Current.CancellationToken);
        }

        Assert.NotEmpty(sink.Messages);
        foreach (var credential in new[] { valid, expired, apiKey })
        {
            var signature = credential.Split('.').Last();
            Assert.DoesNotContain(sink.Messages, m => m.Contains(signature, StringComparison.Ordinal) || m.Contains(credential, StringComparison.Ordinal));
        }
    }
}
