/// <summary>
/// Runs before the service's <c>Main</c> (the runtime calls <c>StartupHook.Initialize</c> of every assembly in
/// <c>DOTNET_STARTUP_HOOKS</c>): writes <c>CHATTER_LINE</c> to <see cref="System.Console.Out"/> every few milliseconds, as a chatty
/// tool or library would, from a background thread.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        var line = System.Environment.GetEnvironmentVariable("CHATTER_LINE") ?? "chatter";
        var thread = new System.Threading.Thread(() =>
        {
            while (true)
            {
                System.Console.WriteLine(line);
                System.Threading.Thread.Sleep(2);
            }
        })
        {
            IsBackground = true,
            Name = "console chatter",
        };
        thread.Start();
    }
}
