using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using McpServices.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>
/// A service behind a real reverse proxy (nginx, Debian) that serves it under a prefix and says so in <c>X-Forwarded-*</c>
/// headers, read by the application's <c>app.UseForwardedHeaders()</c> — the way docs/authentication.md describes for a service
/// without <c>McpService:Authentication:Resource</c>. The official TypeScript SDK client, given only the proxy's URL, gets the 401
/// challenge, follows it to the metadata, gets a token for that URL from a real OpenID Connect issuer, and calls a tool.
/// Until 2026-12-02 that token was refused: ASP.NET Core's authentication middleware judged it before UseForwardedHeaders(),
/// against the URL the service's socket saw.
/// </summary>
public sealed class ReverseProxyTests
{
    private const string Nginx = "/usr/sbin/nginx";

    [Fact]
    public async Task TheTypeScriptClient_ThroughNginxUnderAPrefix_DiscoversTheMetadata_GetsAToken_AndCalls()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(File.Exists(Nginx), $"{Nginx} is missing: eng/setup.sh installs nginx-light.");
        var agent = new OidcTestClient("proxy-agent", "s3cret", ["inventory:read"]);
        await using var issuer = await OidcTestIssuer.StartAsync([agent], ["inventory:read"], cancellationToken: ct);
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.AllowedHosts = ["127.0.0.1"],
            configure: b =>
            {
                b.Configuration["Authentication:Schemes:Bearer:Authority"] = issuer.Authority;
                b.Configuration["Authentication:Schemes:Bearer:RequireHttpsMetadata"] = "false";
                b.Services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedPrefix);
            },
            configureApp: app =>
            {
                app.UseForwardedHeaders(); // nginx connects from 127.0.0.1, a proxy ASP.NET Core trusts by default
                app.MapMcpService();
            },
            authentication: true,
            trustTestIssuer: false);
        using var folder = TemporaryFolder.Create("mcpservices-nginx-");
        using var proxy = await StartNginxAsync(folder.FullName, server.BaseAddress, ct);
        var url = $"http://127.0.0.1:{proxy.Port}/inventory/mcp";

        var plan = JsonSerializer.Serialize(new
        {
            url,
            clientId = agent.ClientId,
            clientSecret = agent.Secret,
            scope = "inventory:read",
            calls = new object[] { new { name = "read_stock", arguments = new { } } },
        });
        var result = await InteropTools.RunNodeAsync("ts-oauth-client.mjs", [plan], cancellationToken: ct);

        Assert.True(result.ExitCode == 0, result.Describe());
        using var output = JsonDocument.Parse(result.StandardOutput);
        var root = output.RootElement;
        Assert.False(root.TryGetProperty("error", out var error), error.ToString() + "\n" + result.StandardOutput + "\n" + proxy.ErrorLog());
        var metadataUrl = $"http://127.0.0.1:{proxy.Port}/inventory/.well-known/oauth-protected-resource/mcp";
        Assert.Equal(401, root.GetProperty("challenge").GetProperty("status").GetInt32());
        Assert.Contains($"resource_metadata=\"{metadataUrl}\"", root.GetProperty("challenge").GetProperty("wwwAuthenticate").GetString(), StringComparison.Ordinal);
        Assert.Contains(metadataUrl, root.GetProperty("requests").EnumerateArray().Select(r => r.GetString()));
        Assert.True(root.GetProperty("tokenObtained").GetBoolean());
        Assert.Contains("read_stock", root.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        var call = root.GetProperty("results")[0];
        Assert.False(call.TryGetProperty("isError", out var isError) && isError.GetBoolean(), call.ToString());
        Assert.Equal(1, server.Log().Count("read_stock"));

        // The token names the proxy's URL; the service's own is another resource, where the same token is refused.
        var record = McpTestAuditSink.Parse(await server.Audit.WaitForAsync(r => r.Tool == "read_stock", cancellationToken: ct));
        Assert.Equal("succeeded", record.GetProperty("outcome").GetString());
        Assert.Equal(agent.ClientId, record.GetProperty("actor").GetProperty("clientId").GetString());
        var token = await issuer.RequestTokenAsync(agent.ClientId, agent.Secret, url, "inventory:read");
        using var direct = RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", bearer: token);
        using var http = server.CreateHttpClient();
        using var refused = await http.SendAsync(direct, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    /// <summary>Starts nginx on a free loopback port, proxying <c>/inventory/</c> to <paramref name="upstream"/> with forwarded headers.</summary>
    private static async Task<NginxProcess> StartNginxAsync(string folder, Uri upstream, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var config = Path.Combine(folder, "nginx.conf");
        await File.WriteAllTextAsync(config, $$"""
            worker_processes 1;
            daemon off;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path {{folder}}; proxy_temp_path {{folder}}; fastcgi_temp_path {{folder}}; uwsgi_temp_path {{folder}}; scgi_temp_path {{folder}};
              server {
                listen 127.0.0.1:{{port}};
                location /inventory/ {
                  proxy_pass {{upstream.GetLeftPart(UriPartial.Authority)}}/;
                  proxy_http_version 1.1;
                  proxy_buffering off;
                  proxy_set_header X-Forwarded-Proto $scheme;
                  proxy_set_header X-Forwarded-Host $http_host;
                  proxy_set_header X-Forwarded-Prefix /inventory;
                }
              }
            }
            """, cancellationToken);
        var process = ProcessRunner.Start(Nginx, ["-c", config, "-p", folder]);
        var nginx = new NginxProcess(process, port, folder);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var ready = await http.GetAsync($"http://127.0.0.1:{port}/inventory/livez", cancellationToken);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return nginx;
                }
            }
            catch (HttpRequestException) when (attempt < 50 && !process.HasExited)
            {
            }

            if (attempt >= 50 || process.HasExited)
            {
                var log = nginx.ErrorLog();
                nginx.Dispose();
                Assert.Fail($"nginx did not start on port {port}: {log}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class NginxProcess(Process process, int port, string folder) : IDisposable
    {
        public int Port => port;

        public string ErrorLog() => File.Exists(Path.Combine(folder, "error.log")) ? File.ReadAllText(Path.Combine(folder, "error.log")) : "(no error log)";

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }
    }
}
