using System.Net;
using System.Net.Http.Headers;
using System.Text;
using McpServices.AspNetCore.Tests.Http;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace McpServices.AspNetCore.Tests.Authentication;

/// <summary>The negative matrix: every bad credential is refused with 401 and the specification's challenge; the tool never runs.</summary>
public sealed class JwtAuthenticationTests : IAsyncLifetime
{
    private const string CallRead = """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""";
    private McpTestServer _server = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(b => b.WithTools<SecuredTools>(), authentication: true);
        _http = _server.CreateHttpClient();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private string MetadataUrl => new Uri(_server.BaseAddress, ".well-known/oauth-protected-resource/mcp").ToString();

    [Fact]
    public async Task ValidToken_WithScope_CallsTheTool()
    {
        using var response = await SendAsync(_server.Token("inventory:read"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task NoToken_Is401_WithResourceMetadataChallenge_AndNoError()
    {
        using var response = await SendAsync(token: null);

        AssertChallengeWithoutErrorCode(response);
        Assert.Equal(0, _server.Log().Count("read_stock"));
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer not-a-jwt")]
    [InlineData("Bearer a.b.c")]
    [InlineData("bearer  not-a-jwt")]
    [InlineData("Bearer eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d")] // an encrypted token (JWE) with no decryption key
    [InlineData("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.%%%")]
    [InlineData("Bearer eyJ9.eyJ9.e30")]
    public async Task MalformedAuthorizationHeader_Is401_InvalidToken(string header) =>
        AssertInvalidToken(await SendWithAuthorizationAsync(header));

    [Theory]
    [InlineData("Basic dXNlcjpwYXNzd29yZA==")]
    [InlineData("Digest username=\"agent\"")]
    [InlineData("Bearerx a.b.c")]
    public async Task AnotherAuthenticationScheme_IsTreatedAsNoCredential_401WithoutErrorCode(string header)
    {
        // RFC 6750 §3.1: a request that "attempted using an unsupported authentication method" gets the challenge without an error code.
        using var response = await SendWithAuthorizationAsync(header);

        AssertChallengeWithoutErrorCode(response);
        var record = await _server.Audit.WaitForToolAsync("read_stock", TestContext.Current.CancellationToken);
        Assert.Equal(("denied", "authentication_required"), (record.GetProperty("outcome").GetString(), record.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(0, _server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task ExpiredToken_Is401_InvalidToken() =>
        AssertInvalidToken(await SendAsync(Token(t => { t.NotBefore = DateTimeOffset.UtcNow.AddMinutes(-20); t.Expires = DateTimeOffset.UtcNow.AddMinutes(-5); })));

    [Fact]
    public async Task TokenExpiredWithinClockSkew_IsAccepted()
    {
        using var response = await SendAsync(Token(t => { t.NotBefore = DateTimeOffset.UtcNow.AddMinutes(-20); t.Expires = DateTimeOffset.UtcNow.AddSeconds(-10); }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task NotYetValidToken_Is401_InvalidToken() =>
        AssertInvalidToken(await SendAsync(Token(t => { t.NotBefore = DateTimeOffset.UtcNow.AddMinutes(10); t.Expires = DateTimeOffset.UtcNow.AddMinutes(30); })));

    [Fact]
    public async Task WrongAudience_Is401_InvalidToken() =>
        AssertInvalidToken(await SendAsync(Token(t => t.Audience = "https://other-service.example.com/mcp")));

    [Fact]
    public async Task ATokenForAnotherService_SentWithThatServicesHostName_Is401()
    {
        // The confused-deputy replay RFC 8707 audience binding exists to stop: the audience must not follow the Host header.
        var request = RequestGateTests.Post(CallRead);
        request.Headers.Host = "other-service.example.com";
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(t => t.Audience = "http://other-service.example.com/mcp"));

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, _server.Log().Count("read_stock"));
    }

    [Fact]
    public async Task AudienceOfTheServiceRootInsteadOfTheMcpEndpoint_Is401() =>
        AssertInvalidToken(await SendAsync(Token(t => t.Audience = _server.BaseAddress.ToString().TrimEnd('/'))));

    [Fact]
    public async Task WrongIssuer_Is401_InvalidToken() =>
        AssertInvalidToken(await SendAsync(Token(t => t.Issuer = "https://evil.example.com")));

    [Fact]
    public async Task TamperedPayload_BadSignature_Is401_InvalidToken()
    {
        var token = _server.Token("inventory:read").Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(token[1])).Replace("inventory:read", "inventory:all!", StringComparison.Ordinal);
        var tampered = $"{token[0]}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payload))}.{token[2]}";

        AssertInvalidToken(await SendAsync(tampered));
    }

    [Fact]
    public async Task TokenFromAnotherKey_Is401_InvalidToken()
    {
        using var stranger = new McpTestTokenIssuer(TestServer.Issuer.Issuer);

        AssertInvalidToken(await SendAsync(stranger.CreateToken(_server.McpEndpoint, "inventory:read")));
    }

    [Fact]
    public async Task AlgNone_UnsignedToken_Is401_InvalidToken()
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var payload = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(
            $$"""{"iss":"{{TestServer.Issuer.Issuer}}","aud":"{{_server.McpEndpoint.ToString().TrimEnd('/')}}","sub":"mallory","scope":"inventory:read","exp":{{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}}}"""));

        AssertInvalidToken(await SendAsync($"{header}.{payload}."));
    }

    [Fact]
    public async Task AlgorithmConfusion_Hs256WithThePublicKey_Is401_InvalidToken()
    {
        // The classic attack: sign with HMAC using the issuer's public RSA key as the secret, and name the issuer's key id.
        var rsa = (RsaSecurityKey)TestServer.Issuer.SigningKey;
        var publicKey = rsa.Rsa.ExportSubjectPublicKeyInfo();
        var hmacKey = new SymmetricSecurityKey(publicKey) { KeyId = rsa.KeyId };
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = TestServer.Issuer.Issuer,
            Audience = _server.McpEndpoint.ToString().TrimEnd('/'),
            Claims = new Dictionary<string, object> { ["sub"] = "mallory", ["scope"] = "inventory:read" },
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(hmacKey, SecurityAlgorithms.HmacSha256),
        });

        AssertInvalidToken(await SendAsync(token));
    }

    [Fact]
    public async Task MissingScope_Is403_WithInsufficientScopeChallengeNamingEveryScopeTheCallNeeds()
    {
        using var request = RequestGateTests.Post("""{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"write_stock","arguments":{}}}""");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _server.Token("inventory:read", "inventory:write"));

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate).Parameter!;
        Assert.Contains("error=\"insufficient_scope\"", challenge);
        Assert.Contains("scope=\"inventory:audit inventory:write\"", challenge);
        Assert.Contains($"resource_metadata=\"{MetadataUrl}\"", challenge);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("\"missingScopes\":[\"inventory:audit\"]", body);
        Assert.Equal(0, _server.Log().Count("write_stock"));
    }

    [Fact]
    public async Task ScopesFromScpClaim_AndFromArrays_AreRecognised()
    {
        var scp = TestServer.Issuer.CreateToken(new McpTestToken { Audience = _server.McpEndpoint.ToString(), Claims = { ["scp"] = "inventory:read other" } });
        var array = TestServer.Issuer.CreateToken(new McpTestToken { Audience = _server.McpEndpoint.ToString(), Claims = { ["scope"] = new[] { "inventory:read", "x" } } });

        using var viaScp = await SendAsync(scp);
        using var viaArray = await SendAsync(array);

        Assert.Equal(HttpStatusCode.OK, viaScp.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viaArray.StatusCode);
    }

    [Fact]
    public async Task HealthEndpoints_StayAnonymous()
    {
        using var live = await _http.GetAsync("livez", TestContext.Current.CancellationToken);
        using var ready = await _http.GetAsync("readyz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Initialize_WithoutToken_Is401_SoClientsDiscoverAuthorizationAtConnect()
    {
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => _server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    private string Token(Action<McpTestToken> change) => _server.Token(change);

    private async Task<HttpResponseMessage> SendAsync(string? token)
    {
        var request = RequestGateTests.Post(CallRead);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Sends the tool call with an <c>Authorization</c> header as given (not validated by the client).</summary>
    private async Task<HttpResponseMessage> SendWithAuthorizationAsync(string header)
    {
        using var request = RequestGateTests.Post(CallRead);
        request.Headers.TryAddWithoutValidation("Authorization", header);
        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>The challenge for a request without a credential: where to get one, and no error code.</summary>
    private void AssertChallengeWithoutErrorCode(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains($"resource_metadata=\"{MetadataUrl}\"", challenge.Parameter);
        Assert.DoesNotContain("error=", challenge.Parameter);
    }

    private void AssertInvalidToken(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var challenge = Assert.Single(response.Headers.WwwAuthenticate);
            Assert.Equal("Bearer", challenge.Scheme);
            Assert.Contains("error=\"invalid_token\"", challenge.Parameter);
            Assert.Contains($"resource_metadata=\"{MetadataUrl}\"", challenge.Parameter);
            Assert.Equal(0, _server.Log().Count("read_stock"));
        }
    }
}
