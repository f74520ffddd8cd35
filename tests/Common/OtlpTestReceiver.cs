using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace McpServices.Tests.Common;

/// <summary>An OTLP/HTTP (protobuf) receiver on 127.0.0.1:0 that keeps every export request's body, by signal path.</summary>
public sealed class OtlpTestReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpTestReceiver(WebApplication app, Uri endpoint, ConcurrentQueue<(string Path, byte[] Body)> requests)
    {
        _app = app;
        Endpoint = endpoint;
        Requests = requests;
    }

    public Uri Endpoint { get; }

    public ConcurrentQueue<(string Path, byte[] Body)> Requests { get; }

    public static async Task<OtlpTestReceiver> StartAsync(CancellationToken cancellationToken = default)
    {
        var requests = new ConcurrentQueue<(string, byte[])>();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing", Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            requests.Enqueue(("/v1/" + signal, body.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OtlpTestReceiver(app, new Uri(address.TrimEnd('/')), requests);
    }

    /// <summary>Whether any request to <paramref name="path"/> contains every given string (OTLP protobuf carries strings as UTF-8).</summary>
    public bool Received(string path, params string[] contents) =>
        Requests.Any(r => r.Path == path && contents.All(c => System.Text.Encoding.UTF8.GetString(r.Body).Contains(c, StringComparison.Ordinal)));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
