using System.Security.Cryptography;
using System.Text;
using McpServices.Tests.Common;

namespace Inventory.Tests;

/// <summary>The Inventory sample run as a real process (<c>dotnet Inventory.dll</c>), as it runs in a container.</summary>
public static class SampleProcess
{
    /// <summary>An API key with both inventory scopes, configured through environment variables as a Secret would be.</summary>
    public static (string Key, IDictionary<string, string?> Environment) ApiKey(string id = "ops")
    {
        var key = $"mcpk_{id}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}";
        var hash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return (key, new Dictionary<string, string?>
        {
            [$"McpService__Authentication__ApiKeys__{id}__Hash"] = hash,
            [$"McpService__Authentication__ApiKeys__{id}__Owner"] = "operations",
            [$"McpService__Authentication__ApiKeys__{id}__Scopes__0"] = "inventory:read",
            [$"McpService__Authentication__ApiKeys__{id}__Scopes__1"] = "inventory:write",
        });
    }

    /// <summary>The sample's entry assembly, copied next to the tests.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "Inventory.dll");

    /// <summary>Runs <c>dotnet Inventory.dll</c> with <paramref name="arguments"/> to its exit (refused starts, --describe, --verify-audit).</summary>
    public static Task<ProcessResult> RunToExitAsync(IDictionary<string, string?>? environment, params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [Dll, .. arguments], AppContext.BaseDirectory, environment, TimeSpan.FromMinutes(1), cancellationToken: TestContext.Current.CancellationToken);

    public static Task<ServiceProcess> StartAsync(IDictionary<string, string?> environment, CancellationToken cancellationToken, bool readStandardOutput = true, IReadOnlyList<string>? launcher = null) =>
        ServiceProcess.StartAsync("Inventory.dll", environment, cancellationToken, readStandardOutput, launcher);

    public static int FreePort() => ServiceProcess.FreePort();
}
