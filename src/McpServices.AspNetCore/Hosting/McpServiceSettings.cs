using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace McpServices.AspNetCore;

/// <summary>
/// The live <see cref="McpServiceOptions"/>: the startup value, replaced when configuration reloads (for example a changed
/// Kubernetes ConfigMap). Only settings documented as reloadable are read from here (authorization overrides, rate limits, API keys).
/// A reloaded configuration that fails validation is logged and ignored — the service keeps its last good settings instead of crashing.
/// </summary>
internal sealed partial class McpServiceSettings : IDisposable
{
    private readonly IOptionsFactory<McpServiceOptions> _factory;
    private readonly ILogger _logger;
    private readonly IDisposable? _subscription;
    private McpServiceOptions _current;

    public McpServiceSettings(IOptions<McpServiceOptions> startup, IOptionsFactory<McpServiceOptions> factory, ILogger<McpServiceSettings> logger, IConfiguration? configuration = null)
    {
        _current = startup.Value;
        _factory = factory;
        _logger = logger;
        if (configuration is not null)
        {
            _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
        }
    }

    /// <summary>Raised after the settings changed.</summary>
    public event Action? Changed;

    public McpServiceOptions Current => Volatile.Read(ref _current);

    public void Reload()
    {
        try
        {
            Volatile.Write(ref _current, _factory.Create(Options.DefaultName));
        }
        catch (Exception ex) when (ex is OptionsValidationException or McpServiceConfigurationException)
        {
            LogReloadRejected(_logger, ex.Message);
            return;
        }

        Changed?.Invoke();
    }

    public void Dispose() => _subscription?.Dispose();

    [LoggerMessage(30, LogLevel.Error, "Reloaded McpService configuration is invalid and was ignored; the service keeps its previous settings. {Reason}")]
    private static partial void LogReloadRejected(ILogger logger, string reason);
}
