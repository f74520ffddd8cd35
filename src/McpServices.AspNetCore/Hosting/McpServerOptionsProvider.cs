using System.Reflection;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Builds the MCP SDK's <see cref="McpServerOptions"/> once, and gives each stateless request a shallow copy of them instead of
/// options built anew.
/// </summary>
/// <remarks>
/// <para>
/// In stateless mode the SDK creates a server for every request, with options from <see cref="IOptionsFactory{TOptions}"/>: every
/// configure action runs again, and the tool, prompt and resource collections are rebuilt from their registrations — about 2 µs
/// and 3.4 KB per request for a service with one tool, 14 µs and 20 KB with a hundred (docs/performance.md). The SDK asks for
/// fresh options only to change one setting on them (<see cref="McpServerOptions.ScopeRequests"/>); it reads them otherwise, and
/// in stateful mode shares one instance, <see cref="IOptions{TOptions}.Value"/>, between all sessions. So a copy of that instance
/// serves a stateless request as the SDK serves a session: the settings, handlers, filters and collections are the same objects,
/// and only the copy's own settings are the request's.
/// </para>
/// <para>
/// An application that sets <see cref="HttpServerTransportOptions.ConfigureSessionOptions"/> changes the options per request, and
/// may change their collections or filters in place; it gets options built anew for every request, as without McpServices.
/// Named options are built by the options factory as usual.
/// </para>
/// </remarks>
internal sealed class McpServerOptionsProvider : IOptions<McpServerOptions>, IOptionsFactory<McpServerOptions>
{
    private static readonly Func<object, object> ShallowCopy =
        typeof(object).GetMethod(nameof(MemberwiseClone), BindingFlags.Instance | BindingFlags.NonPublic)!.CreateDelegate<Func<object, object>>();

    private readonly OptionsFactory<McpServerOptions> _factory;
    private readonly IOptions<HttpServerTransportOptions> _transport;
    private readonly Lock _lock = new();
    private McpServerOptions? _value;

    public McpServerOptionsProvider(
        IEnumerable<IConfigureOptions<McpServerOptions>> setups,
        IEnumerable<IPostConfigureOptions<McpServerOptions>> postConfigures,
        IEnumerable<IValidateOptions<McpServerOptions>> validations,
        IOptions<HttpServerTransportOptions> transport)
    {
        _factory = new OptionsFactory<McpServerOptions>(setups, postConfigures, validations);
        _transport = transport;
    }

    /// <summary>The service's server options, built on first use (what the SDK serves every session with in stateful mode).</summary>
    public McpServerOptions Value
    {
        get
        {
            if (_value is { } value)
            {
                return value;
            }

            lock (_lock)
            {
                return _value ??= _factory.Create(Options.DefaultName);
            }
        }
    }

    /// <summary>A copy of <see cref="Value"/>; options built anew where the application changes them per request, and for named options.</summary>
    public McpServerOptions Create(string name) =>
        name == Options.DefaultName && _transport.Value.ConfigureSessionOptions is null
            ? (McpServerOptions)ShallowCopy(Value)
            : _factory.Create(name);
}
