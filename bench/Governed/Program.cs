using System.Security.Cryptography;
using Bench;
using McpServices.AspNetCore;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

var builder = WebApplication.CreateBuilder(args);

builder.AddMcpService().WithTools<QuoteTools>();

// The benchmark's token issuer: an RSA public key in a PEM file and a fixed issuer name. A deployment names its OpenID Connect
// provider instead (Authentication:Schemes:Bearer:Authority) and gets the keys from its JWKS; validation costs the same.
if (builder.Configuration["Bench:IssuerKeyFile"] is { Length: > 0 } keyFile)
{
    var rsa = RSA.Create();
    rsa.ImportFromPem(File.ReadAllText(keyFile));
    var key = new RsaSecurityKey(rsa) { KeyId = "bench" };
    var issuer = builder.Configuration["Bench:Issuer"] ?? "https://issuer.bench.local";
    builder.Services.PostConfigure<JwtBearerOptions>(McpServiceAuthenticationDefaults.BearerScheme, o =>
    {
        o.Authority = null;
        o.TokenValidationParameters.ValidIssuer = issuer;
        o.TokenValidationParameters.IssuerSigningKeys = [key];
    });
}

var app = builder.Build();
app.MapMcpService();
app.Run();
