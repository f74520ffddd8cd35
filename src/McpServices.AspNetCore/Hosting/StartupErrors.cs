using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// A setting an operator must fix before the service can start (as opposed to a mistake in code): the message says which
/// setting and how. Derives from <see cref="InvalidOperationException"/>, the type these errors had before it existed.
/// </summary>
internal sealed class McpServiceConfigurationException(string message) : InvalidOperationException(message)
{
    /// <summary>
    /// None: the message is the whole story. The host logs a startup failure with <see cref="Exception.ToString"/>, and frames
    /// through the host and the DI container would only bury the setting to fix in the operator's logs.
    /// </summary>
    public override string? StackTrace => null;
}

/// <summary>
/// Ends a process that cannot start because of its configuration with the message alone on stderr and exit code
/// <see cref="ExitCode"/>, instead of the runtime's unhandled-exception report (a stack trace through the host and the DI
/// container that tells an operator nothing more). Only McpServices' own configuration errors are handled: invalid
/// <see cref="McpServiceOptions"/> and <see cref="McpServiceConfigurationException"/>; every other exception crashes as usual.
/// The host has already logged the failure through the application's logging by then; the logging providers are flushed
/// (disposed) before the process ends, so that record is not lost in a provider's queue.
/// </summary>
internal static class StartupErrors
{
    /// <summary>EX_CONFIG from sysexits.h: a configuration error.</summary>
    public const int ExitCode = 78;

    private static int _registered;
    private static WeakReference<ILoggerFactory>? _loggerFactory;

    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            AppDomain.CurrentDomain.UnhandledException += OnUnhandledException;
        }
    }

    /// <summary>The application's logging, flushed before a configuration error ends the process.</summary>
    public static void Observe(ILoggerFactory loggerFactory) => _loggerFactory = new WeakReference<ILoggerFactory>(loggerFactory);

    /// <summary>The operator-facing lines of a configuration error, or null when <paramref name="exception"/> is not one.</summary>
    internal static IReadOnlyList<string>? Describe(Exception? exception)
    {
        switch (exception)
        {
            case McpServiceConfigurationException configuration:
                return [configuration.Message];
            case OptionsValidationException validation when validation.OptionsType.Assembly == typeof(StartupErrors).Assembly:
                return validation.Failures.ToArray();
            case AggregateException aggregate:
                var lines = aggregate.InnerExceptions.Select(Describe).ToArray();
                return lines.All(l => l is not null) && lines.Length > 0 ? lines.SelectMany(l => l!).ToArray() : null;
            case NotSupportedException when exception.Message.Contains("UseOtlpExporter", StringComparison.Ordinal) && exception.Message.Contains("AddOtlpExporter", StringComparison.Ordinal):
                return
                [
                    "The application calls UseOtlpExporter() after AddMcpService(), which has already added OpenTelemetry's OTLP exporter for each signal " +
                    "(OTEL_EXPORTER_OTLP_ENDPOINT is set), and OpenTelemetry cannot combine the two. Call UseOtlpExporter() before AddMcpService(): " +
                    "McpServices then leaves exporting to it.",
                ];
            case { InnerException: { } inner } when exception is System.Reflection.TargetInvocationException or TypeInitializationException:
                return Describe(inner);
            default:
                return null;
        }
    }

    private static void OnUnhandledException(object sender, UnhandledExceptionEventArgs e)
    {
        if (Describe(e.ExceptionObject as Exception) is not { } lines)
        {
            return;
        }

        if (_loggerFactory?.TryGetTarget(out var loggerFactory) == true)
        {
            try
            {
                loggerFactory.Dispose(); // console and OTLP providers write out what they queued
            }
            catch (Exception)
            {
                // Ending anyway; the message below is what the operator needs.
            }
        }

        var error = Console.Error;
        error.WriteLine("The MCP service cannot start because of its configuration:");
        foreach (var line in lines)
        {
            error.WriteLine($"  - {line}");
        }

        error.Flush();
        Environment.Exit(ExitCode);
    }
}
