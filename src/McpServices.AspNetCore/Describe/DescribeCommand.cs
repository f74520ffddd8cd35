using System.Buffers;
using Microsoft.Extensions.Hosting;

namespace McpServices.AspNetCore;

/// <summary>
/// <c>dotnet MyService.dll --describe</c>: prints the self-description to stdout and exits 0, before the host starts
/// anything (no port is bound, no hosted service runs, no external dependency is contacted).
/// </summary>
internal static class DescribeCommand
{
    public const string Argument = "--describe";

    public static bool IsRequested() => Environment.GetCommandLineArgs().Skip(1).Contains(Argument, StringComparer.Ordinal);
}

/// <summary>Replaces the host lifetime when <c>--describe</c> is given: the host's first start step prints the description and ends the process.</summary>
internal sealed class DescribeHostLifetime(IServiceProvider services) : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        var describer = (ServiceDescriber)services.GetService(typeof(ServiceDescriber))!;
        var buffer = new ArrayBufferWriter<byte>();
        describer.Describe(buffer);
        using (var stdout = Console.OpenStandardOutput())
        {
            stdout.Write(buffer.WrittenSpan);
            stdout.Flush();
        }

        // The host would otherwise go on to start hosted services and bind ports. Nothing has started yet, so ending here is clean.
        Environment.Exit(0);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
