using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>
/// <c>dotnet user-jwts create</c> writes a signing key into the user secrets and the issuer and audience into
/// appsettings.Development.json, both files the application reads with reloadOnChange. In Development a running service picks
/// them up: the token it prints works without a restart.
/// </summary>
public sealed class UserJwtsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mcps-user-jwts-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("Development", HttpStatusCode.OK)]
    [InlineData("Production", HttpStatusCode.Unauthorized)] // settings of a running service's identity provider change with a restart (a rollout)
    public async Task SigningKeysAddedWhileTheServiceRuns_AreUsedInDevelopment(string environment, HttpStatusCode expected)
    {
        var ct = TestContext.Current.CancellationToken;
        var secrets = Path.Combine(_folder, "secrets.json");
        var key = RandomNumberGenerator.GetBytes(32);
        await File.WriteAllTextAsync(secrets, Settings("someone-else", RandomNumberGenerator.GetBytes(32)), ct);
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.AllowedHosts = ["127.0.0.1"],
            configure: b => b.Configuration.AddJsonFile(secrets, optional: false, reloadOnChange: true),
            authentication: true,
            trustTestIssuer: false,
            environment: environment);
        using var http = server.CreateHttpClient();
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "dotnet-user-jwts",
            Audience = server.McpEndpoint.ToString(),
            Subject = new ClaimsIdentity([new Claim("sub", "developer"), new Claim("scope", "inventory:read")]),
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        });
        const string Call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_stock","arguments":{"sku":"A-1"}}}""";
        using (var before = await http.SendAsync(RequestGateTests.Post(Call, bearer: token), ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, before.StatusCode);
        }

        // What `dotnet user-jwts create` writes, as one file here.
        await File.WriteAllTextAsync(secrets, Settings("dotnet-user-jwts", key), ct);

        // The file watcher reports the change after a moment: ask for up to 10 s, and for at least 2 s, so that a change that must
        // not apply (Production) has had the time to.
        var status = HttpStatusCode.Unauthorized;
        for (var attempt = 1; attempt <= 50; attempt++)
        {
            await Task.Delay(200, ct);
            using var after = await http.SendAsync(RequestGateTests.Post(Call, bearer: token), ct);
            status = after.StatusCode;
            if (status == expected && attempt >= 10)
            {
                break;
            }
        }

        Assert.Equal(expected, status);
    }

    private static string Settings(string issuer, byte[] signingKey) => $$"""
        {
          "Authentication": {
            "Schemes": {
              "Bearer": {
                "ValidIssuer": "{{issuer}}",
                "SigningKeys": [ { "Id": "dev", "Issuer": "{{issuer}}", "Value": "{{Convert.ToBase64String(signingKey)}}", "Length": 32 } ]
              }
            }
          }
        }
        """;
}
