using System.Buffers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>
/// The service's own commands, run instead of the server: <c>--describe</c> prints the self-description; <c>--verify-audit
/// &lt;file&gt;…</c> verifies audit record files (<c>-</c> reads stdin). They run before the host starts anything: no port is
/// bound, no hosted service runs, no external dependency is contacted.
/// </summary>
internal sealed record ServiceCommand(string Name, IReadOnlyList<string> Arguments)
{
    public const string Describe = "--describe";
    public const string VerifyAudit = "--verify-audit";

    public static ServiceCommand? FromCommandLine()
    {
        var args = Environment.GetCommandLineArgs().Skip(1).ToArray();
        var index = Array.FindIndex(args, a => a is Describe or VerifyAudit);
        if (index < 0)
        {
            return null;
        }

        var files = args.Skip(index + 1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal) || a == "-").ToArray();
        return new ServiceCommand(args[index], files);
    }
}

/// <summary>Replaces the host lifetime when a command is given: the host's first start step runs it and ends the process.</summary>
internal sealed class CommandHostLifetime(IServiceProvider services, ServiceCommand command) : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        var exitCode = command.Name == ServiceCommand.Describe ? Describe() : Verify();

        // The host would otherwise go on to start hosted services and bind ports. Nothing has started yet, so ending here is clean.
        Environment.Exit(exitCode);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private int Describe()
    {
        McpServiceStartupCheck.CheckSettingsAgainstTools(
            services.GetRequiredService<IOptions<McpServiceOptions>>().Value, services.GetRequiredService<ToolAuthorizer>(), services.GetRequiredService<ToolCatalog>());
        var describer = services.GetRequiredService<ServiceDescriber>();
        var buffer = new ArrayBufferWriter<byte>();
        describer.Describe(buffer);
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(buffer.WrittenSpan);
        stdout.Flush();
        return 0;
    }

    private int Verify()
    {
        if (command.Arguments.Count == 0)
        {
            Console.Error.WriteLine("Usage: --verify-audit <file> [<file>…]   (oldest first; a file's rotated copies, as in audit.jsonl*, are put in rotation order; '-' reads standard input)");
            return 2;
        }

        var files = AuditVerifier.InRotationOrder(command.Arguments);
        if (!files.SequenceEqual(command.Arguments, StringComparer.Ordinal))
        {
            Console.Error.WriteLine($"Reading rotated files oldest first: {string.Join(' ', files)}");
        }

        var readers = new List<(string, TextReader)>();
        try
        {
            foreach (var file in files)
            {
                if (Directory.Exists(file))
                {
                    Console.Error.WriteLine($"Cannot read audit file: '{file}' is a directory. Name the files in it, oldest first (for example audit.jsonl.2 audit.jsonl.1 audit.jsonl).");
                    return 2;
                }

                readers.Add((file, file == "-" ? Console.In : new StreamReader(file)));
            }

            var result = AuditVerifier.Verify(readers);
            if (result is { Intact: true, Records: 0 })
            {
                // Verifying the wrong file (or logs without the audit stream) must not pass as "intact".
                Console.Error.WriteLine($"Nothing to verify: no audit records (lines starting with {{\"schema\":\"{AuditRecordSerializer.Schema}\") in {string.Join(", ", command.Arguments)}. Check the file names, and that the audit sink writes there.");
                return 2;
            }

            Console.Out.WriteLine(result.Message);
            return result.Intact ? 0 : 1;
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"Cannot read audit file: {ex.Message}");
            return 2;
        }
        catch (UnauthorizedAccessException ex)
        {
            Console.Error.WriteLine($"Cannot read audit file: {ex.Message}");
            return 2;
        }
        finally
        {
            foreach (var (_, reader) in readers)
            {
                if (reader != Console.In)
                {
                    reader.Dispose();
                }
            }
        }
    }
}
