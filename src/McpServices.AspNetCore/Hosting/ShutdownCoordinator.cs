using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// Graceful shutdown: from the moment the host starts stopping, readiness reports unhealthy and new tool calls are refused;
/// stopping then waits (up to <see cref="McpServiceOptions.DrainTimeout"/>) for in-flight tool calls before the server stops.
/// </summary>
internal sealed partial class ShutdownCoordinator : IHostedLifecycleService
{
    private readonly TimeSpan _drainTimeout;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _drainExpired = new();
    private int _inFlight;
    private volatile bool _draining;

    public ShutdownCoordinator(IHostApplicationLifetime lifetime, IOptions<McpServiceOptions> options, ILogger<ShutdownCoordinator> logger)
    {
        _drainTimeout = options.Value.DrainTimeout;
        _logger = logger;
        lifetime.ApplicationStopping.Register(static state => ((ShutdownCoordinator)state!)._draining = true, this);
    }

    public bool IsDraining => _draining;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Cancelled when the drain timeout has passed with calls still running: those calls are cancelled so the server can stop.</summary>
    public CancellationToken DrainExpired => _drainExpired.Token;

    /// <summary>Registers an in-flight call; returns <see langword="false"/> (registering nothing) once draining has begun.</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _inFlight);
        if (_draining)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }

        return true;
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        var inFlight = InFlight;
        if (inFlight == 0)
        {
            return;
        }

        LogDraining(_logger, inFlight, _drainTimeout);
        var started = Stopwatch.GetTimestamp();
        while (InFlight > 0 && Stopwatch.GetElapsedTime(started) < _drainTimeout && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        var remaining = InFlight;
        if (remaining > 0)
        {
            LogDrainTimedOut(_logger, remaining, _drainTimeout);
            await _drainExpired.CancelAsync().ConfigureAwait(false);
        }
        else
        {
            LogDrained(_logger, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(10, LogLevel.Information, "Shutdown: waiting up to {DrainTimeout} for {InFlight} in-flight tool call(s); new calls are refused.")]
    private static partial void LogDraining(ILogger logger, int inFlight, TimeSpan drainTimeout);

    [LoggerMessage(11, LogLevel.Information, "Shutdown: in-flight tool calls finished after {ElapsedMs:F0} ms.")]
    private static partial void LogDrained(ILogger logger, double elapsedMs);

    [LoggerMessage(12, LogLevel.Warning, "Shutdown: {Remaining} tool call(s) still running after the drain timeout of {DrainTimeout}; they will be cancelled.")]
    private static partial void LogDrainTimedOut(ILogger logger, int remaining, TimeSpan drainTimeout);
}
