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

    private readonly Refusals _refusals;

    private OtlpTestReceiver(WebApplication app, Uri endpoint, ConcurrentQueue<(string Path, byte[] Body)> requests, Refusals refusals)
    {
        _app = app;
        _refusals = refusals;
        Endpoint = endpoint;
        Requests = requests;
    }

    public Uri Endpoint { get; }

    /// <summary>The export requests the receiver accepted (refused ones are not kept).</summary>
    public ConcurrentQueue<(string Path, byte[] Body)> Requests { get; }

    /// <summary>Answers the next <paramref name="count"/> export requests to <c>/v1/logs</c> with 400 (OTLP/HTTP: not to be retried).</summary>
    public void RefuseLogs(int count) => Interlocked.Exchange(ref _refusals.Logs, count);

    /// <summary>Answers export requests to <c>/v1/logs</c> only after <paramref name="delay"/> (a slow collector).</summary>
    public void DelayLogs(TimeSpan delay) => Interlocked.Exchange(ref _refusals.LogDelayTicks, delay.Ticks);

    public static async Task<OtlpTestReceiver> StartAsync(CancellationToken cancellationToken = default)
    {
        var requests = new ConcurrentQueue<(string, byte[])>();
        var refusals = new Refusals();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing", Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            if (signal == "logs" && Interlocked.Read(ref refusals.LogDelayTicks) is > 0 and var delay)
            {
                await Task.Delay(TimeSpan.FromTicks(delay));
            }

            if (signal == "logs" && Interlocked.Decrement(ref refusals.Logs) >= 0)
            {
                return Results.StatusCode(StatusCodes.Status400BadRequest);
            }

            requests.Enqueue(("/v1/" + signal, body.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OtlpTestReceiver(app, new Uri(address.TrimEnd('/')), requests, refusals);
    }

    /// <summary>Whether any request to <paramref name="path"/> contains every given string (OTLP protobuf carries strings as UTF-8).</summary>
    public bool Received(string path, params string[] contents) =>
        Requests.Any(r => r.Path == path && contents.All(c => System.Text.Encoding.UTF8.GetString(r.Body).Contains(c, StringComparison.Ordinal)));

    private sealed class Refusals
    {
        public int Logs;

        public long LogDelayTicks;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
