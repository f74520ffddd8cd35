using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace McpServices.Tests.Common;

/// <summary>A client registered with <see cref="OidcTestIssuer"/>.</summary>
public sealed record OidcTestClient(string ClientId, string Secret, string[] AllowedScopes, IReadOnlyDictionary<string, string>? Claims = null);

/// <summary>
/// A real OpenID Connect issuer (OpenIddict) on 127.0.0.1:0: discovery document, JWKS and a client-credentials token endpoint
/// that honours the RFC 8707 <c>resource</c> parameter. Its signing key can be rotated while it runs.
/// </summary>
public sealed class OidcTestIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly StrongBox<int> _jwksRequests;
    private readonly StrongBox<TaskCompletionSource?> _stall;

    private OidcTestIssuer(WebApplication app, Uri baseAddress, StrongBox<int> jwksRequests, StrongBox<TaskCompletionSource?> stall, RsaSecurityKey key)
    {
        _app = app;
        BaseAddress = baseAddress;
        _jwksRequests = jwksRequests;
        _stall = stall;
        CurrentKey = key;
    }

    /// <summary>Gets the issuer base address, e.g. <c>http://127.0.0.1:41234/</c> (also the <c>iss</c> of its tokens).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Gets the authority to configure (the issuer without trailing slash).</summary>
    public string Authority => BaseAddress.ToString().TrimEnd('/');

    public Uri TokenEndpoint => new(BaseAddress, "connect/token");

    /// <summary>Gets the key currently used to sign tokens.</summary>
    public RsaSecurityKey CurrentKey { get; private set; }

    /// <summary>Gets how many times the JWKS document was fetched.</summary>
    public int JwksRequests => Volatile.Read(ref _jwksRequests.Value);

    /// <param name="clients">The clients it issues tokens to.</param>
    /// <param name="scopes">The scopes it knows.</param>
    /// <param name="port">The loopback port to listen on (0: any free one), for an issuer that comes up where one was expected.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<OidcTestIssuer> StartAsync(IEnumerable<OidcTestClient> clients, IEnumerable<string> scopes, int port = 0, CancellationToken cancellationToken = default)
    {
        var registry = new ConcurrentDictionary<string, OidcTestClient>(clients.ToDictionary(c => c.ClientId), StringComparer.Ordinal);
        var key = NewKey();
        var jwksRequests = new StrongBox<int>();
        var stall = new StrongBox<TaskCompletionSource?>();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing", Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        builder.Services.AddOpenIddict().AddServer(o =>
        {
            o.SetTokenEndpointUris("connect/token");
            o.SetAuthorizationEndpointUris("connect/authorize");
            o.AllowAuthorizationCodeFlow();
            o.SetJsonWebKeySetEndpointUris(".well-known/jwks");
            o.SetConfigurationEndpointUris(".well-known/openid-configuration", ".well-known/oauth-authorization-server");
            o.AllowClientCredentialsFlow();
            o.EnableDegradedMode();
            o.DisableAccessTokenEncryption();
            o.DisableResourceValidation();
            o.IgnoreResourcePermissions();
            o.RegisterScopes([.. scopes]);
            o.AddSigningKey(key);
            o.AddEphemeralEncryptionKey();
            o.UseAspNetCore().DisableTransportSecurityRequirement();

            o.AddEventHandler<HandleJsonWebKeySetRequestContext>(b => b.UseInlineHandler(async _ =>
            {
                Interlocked.Increment(ref jwksRequests.Value);
                if (Volatile.Read(ref stall.Value) is { } stalled)
                {
                    await stalled.Task;
                }
            }));

            // The authorization endpoint is advertised (clients such as the MCP TypeScript SDK require it in the metadata)
            // but machine clients here only use client credentials: interactive requests are refused.
            o.AddEventHandler<ValidateAuthorizationRequestContext>(b => b.UseInlineHandler(context =>
            {
                context.Reject(Errors.UnauthorizedClient, "This test issuer only issues client-credentials tokens.");
                return default;
            }));

            o.AddEventHandler<ValidateTokenRequestContext>(b => b.UseInlineHandler(context =>
            {
                if (context.ClientId is null || !registry.TryGetValue(context.ClientId, out var client)
                    || !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(context.ClientSecret ?? string.Empty), System.Text.Encoding.UTF8.GetBytes(client.Secret)))
                {
                    context.Reject(Errors.InvalidClient, "Unknown client or wrong secret.");
                }

                return default;
            }));

            o.AddEventHandler<HandleTokenRequestContext>(b => b.UseInlineHandler(context =>
            {
                var client = registry[context.Request.ClientId!];
                var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
                identity.SetClaim(Claims.Subject, client.ClientId);
                identity.SetClaim(Claims.ClientId, client.ClientId);
                foreach (var (type, value) in client.Claims ?? new Dictionary<string, string>())
                {
                    identity.AddClaim(new Claim(type, value));
                }

                var requested = context.Request.GetScopes();
                identity.SetScopes(requested.Where(s => client.AllowedScopes.Contains(s, StringComparer.Ordinal)));
                identity.SetResources(context.Request.GetResources());
                identity.SetDestinations(_ => [Destinations.AccessToken]);
                context.SignIn(new ClaimsPrincipal(identity));
                return default;
            }));
        });

        var app = builder.Build();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        // A real provider is warm; this one compiles its request handling on first use, which on a loaded machine takes longer
        // than a service waits for its metadata. Serve the metadata once, then count from zero.
        using (var http = new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/") })
        {
            (await http.GetAsync(".well-known/openid-configuration", cancellationToken)).EnsureSuccessStatusCode().Dispose();
            (await http.GetAsync(".well-known/jwks", cancellationToken)).EnsureSuccessStatusCode().Dispose();
        }

        Volatile.Write(ref jwksRequests.Value, 0);
        return new OidcTestIssuer(app, new Uri(address.TrimEnd('/') + "/"), jwksRequests, stall, key);
    }

    /// <summary>Requests a token with the client-credentials grant over HTTP, as a real client would.</summary>
    public async Task<string> RequestTokenAsync(string clientId, string secret, string resource, params string[] scopes)
    {
        using var http = new HttpClient();
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"),
            new("client_id", clientId),
            new("client_secret", secret),
            new("resource", resource),
        };
        if (scopes.Length > 0)
        {
            form.Add(new("scope", string.Join(' ', scopes)));
        }

        using var response = await http.PostAsync(TokenEndpoint, new FormUrlEncodedContent(form));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Token request failed: {(int)response.StatusCode} {body}");
        }

        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>Signs new tokens with a fresh key; the JWKS keeps publishing the old key unless <paramref name="retireOldKey"/>.</summary>
    public void RotateSigningKey(bool retireOldKey)
    {
        var options = _app.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue;
        var key = NewKey();
        var credentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256);
        if (retireOldKey)
        {
            options.SigningCredentials.RemoveAll(c => c.Key is RsaSecurityKey);
        }

        options.SigningCredentials.Insert(0, credentials);
        CurrentKey = key;
    }

    /// <summary>From now on, requests for the JWKS get no answer (a provider that hangs), until <see cref="Resume"/> or disposal.</summary>
    public void StallJsonWebKeySet() => Volatile.Write(ref _stall.Value, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Answers the stalled JWKS requests, and later ones at once.</summary>
    public void Resume() => Interlocked.Exchange(ref _stall.Value, null)?.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Resume();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static RsaSecurityKey NewKey() =>
        new(RSA.Create(2048)) { KeyId = "oidc-test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) };
}
