using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>
/// The service starts while its OpenID Connect provider cannot be reached (down, or blocked by a network policy): a bearer token
/// then cannot be checked, which is not the token's fault. Callers get 503 with Retry-After, not a 401 telling them to get a new
/// token; operators get the cause in the log and in /readyz; and the service recovers by itself when the provider comes up.
/// </summary>
public sealed class IdentityProviderOutageTests
{
    private const string CallJson = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_stock","arguments":{"sku":"A-1"}}}""";
    private static readonly OidcTestClient Agent = new("inventory-agent", "agent-secret", ["inventory:read"]);

    [Fact]
    public async Task TokensAre503_WhileTheIdentityProviderCannotBeReached_ThenValidatedOnceItIsUp()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = ReserveClosedPort();
        var authority = $"http://127.0.0.1:{port}";
        var logs = new CapturingLoggerProvider();
        await using var server = await StartServiceAsync(authority, logs, app =>
        {
            app.MapMcpService();
            app.MapGet("/orders", () => "orders").RequireAuthorization();
        });
        using var http = server.CreateHttpClient();

        // The service reads the metadata when it starts: the outage is in the log and in /readyz (degraded, still ready:
        // API keys and anonymous tools work, and every replica would fail alike).
        Assert.Equal("Degraded", await WaitForReadinessAsync(http, "Degraded", ct));
        // On a loaded machine the refused connection may come after the 5 s the service waits: it then logs the outage twice,
        // "no answer within 5 seconds" first and the refusal when it comes.
        for (var i = 0; i < 100 && !logs.Entries.Any(e => e.EventId.Id == 44 && e.Message.Contains("Connection refused", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100, ct);
        }

        var warnings = logs.Entries.Where(e => e.EventId.Id == 44).ToList();
        Assert.Contains(warnings, e => e.Message.Contains("Connection refused", StringComparison.Ordinal));
        Assert.All(warnings, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.All(warnings, e => Assert.Contains($"{authority}/.well-known/openid-configuration", e.Message, StringComparison.Ordinal));
        Assert.InRange(warnings.Count, 1, 2);

        // A token in the issuer's name (signed by a key the service cannot know yet) cannot be checked: 503, not 401.
        var unverifiable = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Issuer = authority + "/", Scopes = ["inventory:read"] });
        using (var response = await http.SendAsync(RequestGateTests.Post(CallJson, bearer: unverifiable), ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
            Assert.False(response.Headers.Contains("WWW-Authenticate"));
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            Assert.Equal(7, body.RootElement.GetProperty("id").GetInt32());
            Assert.Equal(McpServiceErrorCodes.Unavailable, body.RootElement.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Contains("identity provider cannot be reached", body.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "read_stock", cancellationToken: ct));
        Assert.Equal(("unavailable", "identity_provider_unavailable"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));

        // The application's own endpoints behind the same scheme answer alike.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "orders"))
        {
            request.Headers.Authorization = new("Bearer", unverifiable);
            using var response = await http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
            Assert.Empty(await response.Content.ReadAsStringAsync(ct)); // not a JSON-RPC error: the application writes its own body
        }

        // What is wrong with a token itself is still the token's fault: expired, or not a token at all.
        var expired = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Issuer = authority + "/", Expires = DateTimeOffset.UtcNow.AddHours(-1), NotBefore = DateTimeOffset.UtcNow.AddHours(-2) });
        foreach (var bad in new[] { expired, "not-a-jwt" })
        {
            using var response = await http.SendAsync(RequestGateTests.Post(CallJson, bearer: bad), ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        // The provider comes up where it was configured: its tokens work, no restart needed.
        await using var issuer = await OidcTestIssuer.StartAsync([Agent], ["inventory:read"], port, ct);
        var token = await issuer.RequestTokenAsync(Agent.ClientId, Agent.Secret, server.McpEndpoint.ToString().TrimEnd('/'), "inventory:read");
        // A fetch that failed just before the provider came up answers for at most a second (503 with Retry-After, as a client
        // that retries would see it); one in about twenty runs met that second and the connect below failed with 503.
        Assert.Equal(HttpStatusCode.OK, await WaitForStatusAsync(http, token, HttpStatusCode.OK, ct));
        await using (var client = await server.ConnectAsync(new McpTestClientOptions { AccessToken = token }, ct))
        {
            var result = await client.CallToolAsync("read_stock", cancellationToken: ct);
            Assert.NotEqual(true, result.IsError);
        }

        // Now the unverifiable token is checked, and refused as what it is (a failed fetch answers for at most a second).
        Assert.Equal(HttpStatusCode.Unauthorized, await WaitForStatusAsync(http, unverifiable, HttpStatusCode.Unauthorized, ct));
        Assert.Equal("Healthy", await WaitForReadinessAsync(http, "Healthy", ct));
        Assert.Contains(logs.Entries, e => e.EventId.Id == 45 && e.Level == LogLevel.Information);
    }

    [Fact]
    public async Task AnIdentityProviderThatDoesNotAnswer_IsAnOutageWithinSeconds_ForConcurrentCalls_WithOneFetch()
    {
        var ct = TestContext.Current.CancellationToken;

        // Accepts connections and never answers: a provider behind a hung proxy. The standard bearer handler would hold each
        // request for the HTTP client's timeout (a minute), one after another behind its lock.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var connections = new System.Collections.Concurrent.ConcurrentBag<TcpClient>();
        _ = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                connections.Add(await silent.AcceptTcpClientAsync(ct));
            }
        }, ct);
        var authority = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        var logs = new CapturingLoggerProvider();
        await using var server = await StartServiceAsync(authority, logs);
        using var http = server.CreateHttpClient();
        http.Timeout = TimeSpan.FromSeconds(20); // far below the minute the handler alone would take for the first call

        var unverifiable = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString(), Issuer = authority + "/", Scopes = ["inventory:read"] });
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => http.SendAsync(RequestGateTests.Post(CallJson, bearer: unverifiable), ct)));

        Assert.All(responses, response =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
            response.Dispose();
        });
        for (var i = 0; i < 200 && server.Audit.Records.Count(r => r.Tool == "read_stock") < 8; i++)
        {
            await Task.Delay(50, ct);
        }

        var records = server.Audit.Records.Where(r => r.Tool == "read_stock").ToArray();
        Assert.Equal(8, records.Length);
        Assert.All(records.Select(McpTestAuditSink.Parse), record => Assert.Equal("identity_provider_unavailable", record.GetProperty("error").GetProperty("code").GetString()));
        var warning = Assert.Single(logs.Entries, e => e.EventId.Id == 44);
        Assert.Contains("(no answer within 5 seconds)", warning.Message, StringComparison.Ordinal);
        Assert.Equal("Degraded", await WaitForReadinessAsync(http, "Degraded", ct));

        // One fetch for all of them (started when the service started), not one per request.
        Assert.Single(connections);
        foreach (var connection in connections)
        {
            connection.Dispose();
        }
    }

    /// <summary>A service that trusts <paramref name="authority"/> for its bearer tokens, logging McpServices' events to <paramref name="logs"/>.</summary>
    private static Task<McpTestServer> StartServiceAsync(string authority, CapturingLoggerProvider logs, Action<WebApplication>? configureApp = null) =>
        TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            configure: b =>
            {
                b.Logging.AddProvider(logs).AddFilter("McpServices", LogLevel.Information);
                b.Configuration["Authentication:Schemes:Bearer:Authority"] = authority;
                b.Configuration["Authentication:Schemes:Bearer:RequireHttpsMetadata"] = "false";
            },
            configureApp: configureApp,
            authentication: true,
            trustTestIssuer: false);

    /// <summary>A loopback port nothing listens on: connections to it are refused at once.</summary>
    private static int ReserveClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<string> WaitForReadinessAsync(HttpClient http, string expected, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string body;
        do
        {
            body = await http.GetStringAsync("readyz", ct);
            if (body == expected)
            {
                break;
            }

            await Task.Delay(50, ct);
        }
        while (DateTime.UtcNow < deadline);

        return body;
    }

    private static async Task<HttpStatusCode> WaitForStatusAsync(HttpClient http, string token, HttpStatusCode expected, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        do
        {
            using var response = await http.SendAsync(RequestGateTests.Post(CallJson, bearer: token), ct);
            status = response.StatusCode;
            if (status == expected)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            await Task.Delay(200, ct);
        }
        while (DateTime.UtcNow < deadline);

        return status;
    }
}
