namespace McpServices.AspNetCore;

/// <summary>Authentication scheme names registered by McpServices.</summary>
public static class McpServiceAuthenticationDefaults
{
    /// <summary>The scheme the MCP endpoint authenticates with: it forwards to <see cref="BearerScheme"/> or <see cref="ApiKeyScheme"/> by what the request carries.</summary>
    public const string Scheme = "McpServices";

    /// <summary>The JWT bearer scheme, configured from <c>Authentication:Schemes:Bearer</c> (ASP.NET Core's <c>JwtBearerDefaults.AuthenticationScheme</c>).</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>The API key scheme.</summary>
    public const string ApiKeyScheme = "McpApiKey";

    /// <summary>The claim that carries the API key id of a caller authenticated with an API key.</summary>
    public const string ApiKeyIdClaim = "mcps_api_key_id";
}
