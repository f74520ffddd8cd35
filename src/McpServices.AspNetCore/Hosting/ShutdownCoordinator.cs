using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// Graceful shutdown: from the moment the host starts stopping, readiness reports unhealthy and new tool calls are refused;
/// stopping then waits (up to <see cref="McpServiceOptions.DrainTimeout"/>) for in-flight tool calls before the server stops,
/// cancels the ones still running, and records as unfinished any that ignore the cancellation, so that the audit trail accounts
/// for every call before it is flushed.
/// </summary>
internal sealed partial class ShutdownCoordinator : IHostedLifecycleService
{
    /// <summary>How long calls cancelled at the end of the drain get to return before they are recorded as unfinished.</summary>
    private static readonly TimeSpan CancellationGrace = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _drainTimeout;
    private readonly ToolCallCompletion _completion;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _drainExpired = new();
    private readonly ConcurrentDictionary<ToolCall, byte> _running = new(ReferenceEqualityComparer.Instance);
    private int _inFlight;
    private volatile bool _draining;

    public ShutdownCoordinator(IHostApplicationLifetime lifetime, IOptions<McpServiceOptions> options, ToolCallCompletion completion, ILogger<ShutdownCoordinator> logger)
    {
        _drainTimeout = options.Value.DrainTimeout;
        _completion = completion;
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

    /// <summary>Registers a call the pipeline runs, until <see cref="Untrack"/>: one still running after its cancellation at the
    /// end of the drain is recorded as unfinished.</summary>
    public void Track(ToolCall call) => _running.TryAdd(call, 0);

    public void Untrack(ToolCall call) => _running.TryRemove(call, out _);

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
        await WaitWhileAsync(() => InFlight > 0, _drainTimeout, cancellationToken).ConfigureAwait(false);

        var remaining = InFlight;
        if (remaining == 0)
        {
            LogDrained(_logger, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return;
        }

        LogDrainTimedOut(_logger, remaining, _drainTimeout);
        await _drainExpired.CancelAsync().ConfigureAwait(false);

        // Cancellation is cooperative: a tool that ignores its token keeps running, and the server then stops around it. Such a
        // call would complete after the audit trail was flushed, or never (the process exits), and leave no record; it is
        // recorded now instead, as unfinished, while the trail still writes.
        await WaitWhileAsync(() => !_running.IsEmpty, CancellationGrace, cancellationToken).ConfigureAwait(false);

        foreach (var call in _running.Keys)
        {
            if (_completion.CompleteUnfinished(call))
            {
                LogRecordedUnfinished(_logger, call.ToolName, call.Id);
            }
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it is false, <paramref name="limit"/> has passed or the host stops waiting.</summary>
    private static async Task WaitWhileAsync(Func<bool> condition, TimeSpan limit, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (condition() && Stopwatch.GetElapsedTime(started) < limit && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
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

    [LoggerMessage(13, LogLevel.Error, "Shutdown: the call {CallId} to the tool '{Tool}' ignored its cancellation and is still running; it is recorded as unfinished, and whether it finished its work is unknown.")]
    private static partial void LogRecordedUnfinished(ILogger logger, string tool, string callId);
}
