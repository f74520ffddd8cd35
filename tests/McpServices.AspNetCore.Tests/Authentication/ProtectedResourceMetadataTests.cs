using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.AspNetCore.Tests.Authentication;

public sealed class ProtectedResourceMetadataTests
{
    [Fact]
    public async Task Metadata_IsPathAware_AndListsResourceServersScopesAndBearerMethods()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true);
        using var http = server.CreateHttpClient();

        using var response = await http.GetAsync(".well-known/oauth-protected-resource/mcp", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var root = doc.RootElement;
        Assert.Equal(server.McpEndpoint.ToString().TrimEnd('/'), root.GetProperty("resource").GetString());
        Assert.Equal([TestServer.Issuer.Issuer], root.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["inventory:audit", "inventory:read", "inventory:write"], root.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["header"], root.GetProperty("bearer_methods_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task AnMcpEndpointAtTheRoot_HasItsMetadataAtTheWellKnownRoot_AndWorks()
    {
        // Routing ignores a trailing slash: the metadata was mapped at ".../oauth-protected-resource/" and at the root, and
        // every request for it failed with 500 (ambiguous match); the challenge pointed at the slash form.
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Path = "/", authentication: true);
        using var http = server.CreateHttpClient();

        using var metadata = await http.GetAsync(".well-known/oauth-protected-resource", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        using var challenge = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", path: ""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.Equal($"Bearer resource_metadata=\"{server.BaseAddress.ToString().TrimEnd('/')}/.well-known/oauth-protected-resource\"", challenge.Headers.WwwAuthenticate.ToString());

        await using var client = await server.ConnectWithScopesAsync("inventory:read");
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(tools, t => t.Name == "read_stock");
    }

    [Fact]
    public async Task AnMcpEndpointUnderAPrefix_HasItsMetadataAtThePathAwareUrl_AndWorks()
    {
        // What MapMcpService() on a route group tells users to do instead: McpService:Path with the prefix.
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Path = "/agents/mcp", authentication: true);
        using var http = server.CreateHttpClient();
        var origin = server.BaseAddress.ToString().TrimEnd('/');

        using var challenge = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", path: "agents/mcp"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.Equal($"Bearer resource_metadata=\"{origin}/.well-known/oauth-protected-resource/agents/mcp\"", challenge.Headers.WwwAuthenticate.ToString());
        using var metadata = JsonDocument.Parse(await http.GetStringAsync(".well-known/oauth-protected-resource/agents/mcp", TestContext.Current.CancellationToken));
        Assert.Equal($"{origin}/agents/mcp", metadata.RootElement.GetProperty("resource").GetString());

        Assert.Equal(new Uri($"{origin}/agents/mcp"), server.McpEndpoint);
        await using var client = await server.ConnectWithScopesAsync("inventory:read");
        var result = await client.CallToolAsync("read_stock", cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEqual(true, result.IsError);
    }

    [Fact]
    public async Task Metadata_ScopesIncludeConfigurationOverrides()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.Authorization.Tools["purge"] = new McpToolAuthorizationOverride { RequiredScopes = ["inventory:admin"] },
            authentication: true);
        using var http = server.CreateHttpClient();

        var json = await http.GetStringAsync(".well-known/oauth-protected-resource/mcp", TestContext.Current.CancellationToken);

        Assert.Contains("\"inventory:admin\"", json);
    }

    [Fact]
    public async Task ConfiguredResource_BehindATlsTerminatingIngressWithPathPrefix_IsUsedForAudienceAndChallenge()
    {
        const string Resource = "https://agents.example.com/inventory/mcp";
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.Resource = Resource, authentication: true);
        using var http = server.CreateHttpClient();

        // The challenge points clients at the public metadata URL…
        using var unauthorized = await http.SendAsync(RequestGateTests.Post(Call), TestContext.Current.CancellationToken);
        Assert.Contains("resource_metadata=\"https://agents.example.com/.well-known/oauth-protected-resource/inventory/mcp\"", unauthorized.Headers.WwwAuthenticate.Single().Parameter);

        // …which the service also answers locally, whether or not the ingress strips the prefix.
        foreach (var path in new[] { ".well-known/oauth-protected-resource/inventory/mcp", ".well-known/oauth-protected-resource/mcp" })
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(path, TestContext.Current.CancellationToken));
            Assert.Equal(Resource, doc.RootElement.GetProperty("resource").GetString());
        }

        // Tokens must be issued for the public resource, not for the address the pod sees.
        Assert.Equal(HttpStatusCode.OK, await CallWithTokenAsync(http, Resource));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWithTokenAsync(http, server.McpEndpoint.ToString().TrimEnd('/')));
    }

    [Fact]
    public async Task DerivedResource_HonoursForwardedHeaders_FromAProxy()
    {
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.AllowedHosts = ["tools.example.com"],
            configure: b => b.Services.Configure<ForwardedHeadersOptions>(o =>
            {
                o.ForwardedHeaders = ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedPrefix;
                o.KnownIPNetworks.Clear();
                o.KnownProxies.Clear();
            }),
            configureApp: app =>
            {
                app.UseForwardedHeaders();
                app.MapMcpService();
            },
            authentication: true);
        using var http = server.CreateHttpClient();

        using var request = RequestGateTests.Post(Call);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "tools.example.com");
        request.Headers.Add("X-Forwarded-Prefix", "/inventory");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Contains("resource_metadata=\"https://tools.example.com/inventory/.well-known/oauth-protected-resource/mcp\"", response.Headers.WwwAuthenticate.Single().Parameter);

        // Tokens are judged against the resource URL as the client addressed it, not as the service's socket saw the request:
        // ASP.NET Core runs the authentication middleware it adds before the application's UseForwardedHeaders().
        Assert.Equal(HttpStatusCode.OK, await ListAsync(new Uri("https://tools.example.com/inventory/mcp")));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListAsync(server.McpEndpoint));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListAsync(new Uri("https://tools.example.com/mcp")));

        async Task<HttpStatusCode> ListAsync(Uri audience)
        {
            using var list = RequestGateTests.Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""");
            list.Headers.Add("X-Forwarded-Proto", "https");
            list.Headers.Add("X-Forwarded-Host", "tools.example.com");
            list.Headers.Add("X-Forwarded-Prefix", "/inventory");
            list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Issuer.CreateToken(audience, "inventory:read"));
            using var listed = await http.SendAsync(list, TestContext.Current.CancellationToken);
            return listed.StatusCode;
        }
    }

    [Fact]
    public async Task AnMcpEndpointUnderAPathBase_HasItsMetadataWhereRfc9728PutsIt_AsWellAsWhereTheChallengePoints()
    {
        // app.UsePathBase("/api") serves the endpoint at /api/mcp. RFC 9728 puts the metadata of https://host/api/mcp at
        // https://host/.well-known/oauth-protected-resource/api/mcp — outside the path base —, where a client that is not given
        // the URL (an MCP client's fallback) looks for it; the challenge's URL, under the path base, keeps working.
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            authentication: true,
            configureApp: app =>
            {
                app.UsePathBase("/api");
                app.MapMcpService();
            });
        using var http = server.CreateHttpClient();
        var origin = server.BaseAddress.ToString().TrimEnd('/');
        var endpoint = new Uri($"{origin}/api/mcp");

        using var challenge = await http.SendAsync(RequestGateTests.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", path: "api/mcp"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.Equal($"Bearer resource_metadata=\"{origin}/api/.well-known/oauth-protected-resource/mcp\"", challenge.Headers.WwwAuthenticate.ToString());
        foreach (var path in new[] { "api/.well-known/oauth-protected-resource/mcp", ".well-known/oauth-protected-resource/api/mcp", ".well-known/oauth-protected-resource/API/MCP/" })
        {
            using var metadata = JsonDocument.Parse(await http.GetStringAsync(path, ct));
            Assert.Equal(endpoint.ToString(), metadata.RootElement.GetProperty("resource").GetString(), ignoreCase: true);
            Assert.Equal([TestServer.Issuer.Issuer], metadata.RootElement.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()));
        }

        // Only paths that end with the MCP path name a resource this service could be; the metadata of the endpoint outside the
        // path base stays where it was.
        foreach (var path in new[] { ".well-known/oauth-protected-resource/api/other", ".well-known/oauth-protected-resource/apimcp", ".well-known/oauth-protected-resource//mcp" })
        {
            using var response = await http.GetAsync(path, ct);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
        }

        using var unprefixed = JsonDocument.Parse(await http.GetStringAsync(".well-known/oauth-protected-resource/mcp", ct));
        Assert.Equal($"{origin}/mcp", unprefixed.RootElement.GetProperty("resource").GetString());

        // The resource the metadata names is the one tokens are accepted for — not the URL outside the path base, which ASP.NET
        // Core's authentication middleware, running before UsePathBase(), saw.
        await using var client = await McpTestClient.ConnectAsync(endpoint, new McpTestClientOptions { AccessToken = TestServer.Issuer.CreateToken(endpoint, "inventory:read") }, ct);
        Assert.Contains(await client.ListToolsAsync(cancellationToken: ct), t => t.Name == "read_stock");
        using var otherResource = RequestGateTests.Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", path: "api/mcp");
        otherResource.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.Issuer.CreateToken(new Uri($"{origin}/mcp"), "inventory:read"));
        using var refused = await http.SendAsync(otherResource, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServiceWithApiKeysOnly_HasNoMetadata_AndItsChallengesDoNotPointToAny()
    {
        // Metadata must name at least one authorization server (MCP authorization); a service that accepts only API keys has
        // none, and a client sent to a document without one could not get a token there anyway.
        var (key, hash) = ApiKeyStore.CreateKey("ci-bot");
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.Authentication.ApiKeys["ci-bot"] = new McpServiceApiKey { Hash = hash, Scopes = ["inventory:read"] },
            authentication: true,
            trustTestIssuer: false);
        using var http = server.CreateHttpClient();

        using var metadata = await http.GetAsync(".well-known/oauth-protected-resource/mcp", TestContext.Current.CancellationToken);
        using var anonymous = await http.SendAsync(RequestGateTests.Post(Call), TestContext.Current.CancellationToken);
        using var wrongKey = RequestGateTests.Post(Call);
        wrongKey.Headers.Add("X-API-Key", key + "x");
        using var refused = await http.SendAsync(wrongKey, TestContext.Current.CancellationToken);
        using var withKey = RequestGateTests.Post("""{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"write_stock","arguments":{}}}""");
        withKey.Headers.Add("X-API-Key", key);
        using var lacksScope = await http.SendAsync(withKey, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, metadata.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().ToString());
        // With no authorization server to point to, the 401 says what to send: here only an API key is accepted.
        Assert.Contains(
            "Unauthorized: this service requires an API key, sent as 'X-API-Key: mcpk_…' or 'Authorization: Bearer mcpk_…'.",
            JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error").GetProperty("message").GetString(),
            StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.DoesNotContain("resource_metadata", refused.Headers.WwwAuthenticate.Single().ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, lacksScope.StatusCode);
        Assert.StartsWith("Bearer error=\"insufficient_scope\", scope=\"inventory:audit inventory:write\", error_description=", lacksScope.Headers.WwwAuthenticate.Single().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task IssuersThatAreNotUrls_AreNotListedAsAuthorizationServers()
    {
        // `dotnet user-jwts` signs with the issuer "dotnet-user-jwts": a name, not an authorization server a client can ask for a
        // token. RFC 9728 lists issuer URLs, and the TypeScript SDK refuses a whole document with anything else in the list.
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            authentication: true,
            configure: b => b.Services.PostConfigure<Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerOptions>(
                McpServiceAuthenticationDefaults.BearerScheme,
                o => o.TokenValidationParameters.ValidIssuers = ["dotnet-user-jwts", TestServer.Issuer.Issuer]));
        using var http = server.CreateHttpClient();

        using var doc = JsonDocument.Parse(await http.GetStringAsync(".well-known/oauth-protected-resource/mcp", TestContext.Current.CancellationToken));

        Assert.Equal([TestServer.Issuer.Issuer], doc.RootElement.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task AServiceWhoseOnlyIssuerIsNotAUrl_ServesNoMetadata_AndStillTakesItsTokens()
    {
        // What `dotnet user-jwts create` configures in Development: there is no authorization server to send clients to, as
        // with API keys only, so no metadata and a challenge without resource_metadata; the tokens it prints work.
        var key = RandomNumberGenerator.GetBytes(32);
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>(),
            o => o.AllowedHosts = ["127.0.0.1"],
            configure: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Authentication:Schemes:Bearer:ValidIssuer"] = "dotnet-user-jwts",
                ["Authentication:Schemes:Bearer:SigningKeys:0:Issuer"] = "dotnet-user-jwts",
                ["Authentication:Schemes:Bearer:SigningKeys:0:Value"] = Convert.ToBase64String(key),
                ["Authentication:Schemes:Bearer:SigningKeys:0:Length"] = "32",
            }),
            authentication: true,
            trustTestIssuer: false);
        using var http = server.CreateHttpClient();
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "dotnet-user-jwts",
            Audience = server.McpEndpoint.ToString(),
            Subject = new ClaimsIdentity([new Claim("sub", "developer"), new Claim("scope", "inventory:read")]),
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        });

        using var metadata = await http.GetAsync(".well-known/oauth-protected-resource/mcp", TestContext.Current.CancellationToken);
        using var anonymous = await http.SendAsync(RequestGateTests.Post(Call), TestContext.Current.CancellationToken);
        using var withToken = await http.SendAsync(RequestGateTests.Post(Call, bearer: token), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, metadata.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().ToString());
        Assert.Equal(
            "Unauthorized: this service requires an access token from the token issuer it trusts, sent as 'Authorization: Bearer <token>'.",
            JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        using var description = JsonDocument.Parse(server.Services.GetRequiredService<ServiceDescriber>().DescribeToString());
        Assert.Empty(description.RootElement.GetProperty("authentication").GetProperty("authorizationServers").EnumerateArray());
    }

    [Fact]
    public async Task ScopePrefix_IsAdvertised_WhileTokensCarryTheShortScopes()
    {
        // Microsoft Entra ID: clients request api://inventory/inventory:read, the token says scp "inventory:read". The metadata and
        // the step-up challenge must name what clients request; tools declare, and tokens are checked with, the short scopes.
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.ScopePrefix = "api://inventory/", authentication: true);
        using var http = server.CreateHttpClient();
        var token = TestServer.Issuer.CreateToken(new McpTestToken { Audience = server.McpEndpoint.ToString().TrimEnd('/'), Claims = { ["scp"] = "inventory:read" } });

        using var metadata = await http.GetAsync(".well-known/oauth-protected-resource/mcp", TestContext.Current.CancellationToken);
        using var read = RequestGateTests.Post("""{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""");
        read.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var allowed = await http.SendAsync(read, TestContext.Current.CancellationToken);
        using var write = RequestGateTests.Post("""{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"write_stock","arguments":{}}}""");
        write.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var refused = await http.SendAsync(write, TestContext.Current.CancellationToken);

        using var doc = JsonDocument.Parse(await metadata.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["api://inventory/inventory:audit", "api://inventory/inventory:read", "api://inventory/inventory:write"], doc.RootElement.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("scope=\"api://inventory/inventory:audit api://inventory/inventory:write\"", refused.Headers.WwwAuthenticate.Single().ToString(), StringComparison.Ordinal);
        Assert.Contains("\"missingScopes\":[\"api://inventory/inventory:audit\",\"api://inventory/inventory:write\"]", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(1, server.Log().Count("read_stock"));
        Assert.Equal(0, server.Log().Count("write_stock"));
    }

    [Theory]
    [InlineData("api://inventory /")]
    [InlineData("")]
    public async Task ScopePrefix_ThatCannotStartAScope_FailsStartup(string prefix)
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Authentication.ScopePrefix = prefix, authentication: true));

        Assert.Contains($"McpService:Authentication:ScopePrefix '{prefix}' cannot start a scope", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAuthenticationOff_NoMetadataIsServed()
    {
        await using var server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>());
        using var http = server.CreateHttpClient();

        using var response = await http.GetAsync(".well-known/oauth-protected-resource/mcp", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private const string Call = """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""";

    private static async Task<HttpStatusCode> CallWithTokenAsync(HttpClient http, string audience)
    {
        using var request = RequestGateTests.Post(Call);
        request.Headers.Authorization = new("Bearer", TestServer.Issuer.CreateToken(new Testing.McpTestToken { Audience = audience, Scopes = ["inventory:read"] }));
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }
}
