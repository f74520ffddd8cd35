using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Snippets;

// docs/authentication.md, "Calling downstream APIs": the service calls other APIs with ITS OWN identity (OAuth client
// credentials), never with the caller's token. The MCP specification forbids token passthrough: the caller's token is
// audience-bound to this MCP server and must not be replayed elsewhere.

/// <summary>The service's own client registration at the identity provider (from configuration, the secret from a Secret).</summary>
public sealed class SupplierApiOptions
{
    public Uri BaseAddress { get; set; } = new("https://suppliers.example.com/");
    public Uri TokenEndpoint { get; set; } = new("https://login.example.com/oauth2/token");
    public string ClientId { get; set; } = "inventory-mcp";
    public string ClientSecret { get; set; } = string.Empty;
    public string Scope { get; set; } = "suppliers:read";
}

/// <summary>Gets (and caches until shortly before expiry) a token for the service itself with the client-credentials grant.</summary>
public sealed class ServiceTokenHandler(IHttpClientFactory httpClientFactory, IOptions<SupplierApiOptions> options, TimeProvider time) : DelegatingHandler
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private string? _token;
    private DateTimeOffset _expires;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await GetTokenAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }

    private async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_token is null || time.GetUtcNow() >= _expires)
            {
                var o = options.Value;
                using var http = httpClientFactory.CreateClient("token-endpoint");
                using var response = await http.PostAsync(o.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = o.ClientId,
                    ["client_secret"] = o.ClientSecret,
                    ["scope"] = o.Scope,
                    ["resource"] = o.BaseAddress.ToString(),
                }), cancellationToken);
                response.EnsureSuccessStatusCode();
                using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
                _token = json.RootElement.GetProperty("access_token").GetString()!;
                _expires = time.GetUtcNow().AddSeconds(json.RootElement.GetProperty("expires_in").GetInt32() - 60);
            }

            return _token;
        }
        finally
        {
            _lock.Release();
        }
    }
}

public sealed record SupplierOffer(string Sku, decimal Price, int LeadTimeDays);

/// <summary>A typed client tools inject; it never sees the MCP caller's token.</summary>
public sealed class SupplierApi(HttpClient http)
{
    public Task<SupplierOffer[]?> GetOffersAsync(string sku, CancellationToken cancellationToken) =>
        http.GetFromJsonAsync<SupplierOffer[]>($"offers?sku={Uri.EscapeDataString(sku)}", cancellationToken);
}

public static class DownstreamRegistration
{
    public static IServiceCollection AddSupplierApi(this IServiceCollection services)
    {
        services.AddOptions<SupplierApiOptions>().BindConfiguration("SupplierApi");
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient("token-endpoint");
        services.AddTransient<ServiceTokenHandler>();
        services.AddHttpClient<SupplierApi>((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<SupplierApiOptions>>().Value.BaseAddress)
            .AddHttpMessageHandler<ServiceTokenHandler>();
        return services;
    }
}
