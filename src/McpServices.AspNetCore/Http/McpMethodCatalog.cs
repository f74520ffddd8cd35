using System.Collections.Frozen;
using System.Reflection;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// The JSON-RPC methods and prompt names the service answers, so that the HTTP stage can answer a name a caller invents before the
/// SDK sees it. The SDK's <c>mcp.server.operation.duration</c> metric takes the request's method (<c>mcp.method.name</c>) and
/// prompt name (<c>gen_ai.prompt.name</c>) as attribute values whatever they are, so every invented name would add time series
/// until the metric's cardinality limit pushed the real ones into overflow. Known: every method the SDK names
/// (<see cref="RequestMethods"/>, <see cref="NotificationMethods"/>, read from the SDK so that a new release's methods are known
/// with it) and the application's own request and notification handlers. Nothing is judged where the application may answer
/// a name itself: any method when it has incoming message filters (they see every message), any prompt name when it has its
/// own <c>prompts/get</c> handler or filters.
/// </summary>
internal sealed class McpMethodCatalog
{
    /// <summary>The methods that list a collection page by page (<c>params.cursor</c>, <c>nextCursor</c>).</summary>
    private static readonly FrozenSet<string> ListMethods = new[]
    {
        RequestMethods.ToolsList, RequestMethods.PromptsList, RequestMethods.ResourcesList, RequestMethods.ResourcesTemplatesList,
    }.ToFrozenSet(StringComparer.Ordinal);

    private readonly IOptions<McpServerOptions> _options;
    private readonly Lazy<Snapshot> _snapshot;

    public McpMethodCatalog(IOptions<McpServerOptions> options)
    {
        // Methods, handlers and filters are read once, on first use (the SDK's options are complete once the host has started).
        // Prompt names are looked up in the options' prompt collection at each request: it is the collection every stateless
        // request's server serves (McpServerOptionsProvider), so a prompt added or removed while the service runs is judged as
        // the SDK serves it.
        _options = options;
        _snapshot = new Lazy<Snapshot>(() => Snapshot.Of(options.Value));
    }

    /// <summary>
    /// How the SDK would refuse the message, when it names a method the service does not have (−32601, "Method 'x' is not
    /// available.") or a prompt it does not have (−32602, "Unknown prompt: 'x'"), and how the specification has a list request
    /// with a cursor the service cannot have issued refused (−32602, where the SDK would answer an empty page); otherwise
    /// <see langword="null"/>. A <c>prompts/get</c> is judged only when the service's prompts are its registered ones: an
    /// application's own <c>prompts/get</c> handler can answer any name.
    /// </summary>
    /// <param name="method">The request's method.</param>
    /// <param name="name">Its <c>params.name</c>.</param>
    /// <param name="cursor">Whether it has a <c>params.cursor</c>: a list method's request for a page after the first.</param>
    public (int Code, string Message)? Refusal(string method, string? name, bool cursor)
    {
        var snapshot = _snapshot.Value;
        if (snapshot.MessageFilters)
        {
            return null;
        }

        if (!snapshot.Methods.Contains(method))
        {
            return ((int)McpErrorCode.MethodNotFound, $"Method '{method}' is not available.");
        }

        // The SDK lists a collection whole on the first page and issues no nextCursor, so a cursor was made up or is meant for
        // another server; the SDK would answer it with an empty page, which a client takes for "nothing (more) here". The
        // specification asks for −32602. An application's own list handler or filter may page, and judges its cursors itself.
        if (cursor && ListMethods.Contains(method) && !snapshot.PagedLists.Contains(method))
        {
            return ((int)McpErrorCode.InvalidParams,
                $"Invalid params: params.cursor is not a cursor this service issued. It returns the whole list in one page, without a nextCursor: send {method} without a cursor.");
        }

        if (method != JsonRpcEnvelope.PromptsGet || snapshot.PromptHandler)
        {
            return null;
        }

        // As the SDK's server decides: prompts are served when the options have a prompt collection or declare the capability.
        var prompts = _options.Value.PromptCollection;
        if (prompts is null && !snapshot.PromptsDeclared)
        {
            return ((int)McpErrorCode.MethodNotFound, $"Method '{method}' is not available.");
        }

        if (!snapshot.PromptFilters && (name is null || prompts is null || !prompts.TryGetPrimitive(name, out _)))
        {
            return ((int)McpErrorCode.InvalidParams, PrimitiveAuthorizer.UnknownPromptMessage(name, suggestion: null));
        }

        return null;
    }

    /// <param name="Methods">The methods the SDK names and the application's own.</param>
    /// <param name="PagedLists">The list methods the application answers or filters itself (its handler or filter may issue cursors).</param>
    /// <param name="PromptsDeclared">Whether the options declare the prompts capability or a <c>prompts/list</c> handler (the SDK then serves <c>prompts/get</c> without a prompt collection).</param>
    /// <param name="PromptHandler">Whether the application has its own <c>prompts/get</c> handler (the SDK calls it for names it does not have).</param>
    /// <param name="PromptFilters">Whether the application has <c>prompts/get</c> filters (they may answer names the SDK does not have).</param>
    /// <param name="MessageFilters">Whether the application has incoming message filters (they may answer any message).</param>
    private sealed record Snapshot(FrozenSet<string> Methods, FrozenSet<string> PagedLists, bool PromptsDeclared, bool PromptHandler, bool PromptFilters, bool MessageFilters)
    {
        /// <summary>The assemblies whose filters only check or wrap (McpServices' own, the MCP SDK's): they answer no name themselves.</summary>
        private static readonly Assembly[] OwnAssemblies = [typeof(McpMethodCatalog).Assembly, typeof(McpServerOptions).Assembly, typeof(HttpServerTransportOptions).Assembly];

        private static bool IsApplications(Delegate filter) => !OwnAssemblies.Contains(filter.Method.DeclaringType?.Assembly);

        public static Snapshot Of(McpServerOptions options)
        {
            var methods = new HashSet<string>(StringComparer.Ordinal);
            foreach (var type in new[] { typeof(RequestMethods), typeof(NotificationMethods) })
            {
                foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
                {
                    if (field.IsLiteral && field.GetRawConstantValue() is string method)
                    {
                        methods.Add(method);
                    }
                }
            }

            // The application's own request handlers: an evaluation API of the SDK (MCPEXP002), only read here, so that a service
            // using it keeps its methods.
#pragma warning disable MCPEXP002
            foreach (var handler in options.RequestHandlers ?? [])
#pragma warning restore MCPEXP002
            {
                methods.Add(handler.Method);
            }

            foreach (var handler in options.Handlers.NotificationHandlers ?? [])
            {
                methods.Add(handler.Key);
            }

            var handlers = options.Handlers;
            var filters = options.Filters.Request;
            (string Method, bool Paged)[] lists =
            [
                (RequestMethods.ToolsList, handlers.ListToolsHandler is not null || filters.ListToolsFilters.Any(IsApplications)),
                (RequestMethods.PromptsList, handlers.ListPromptsHandler is not null || filters.ListPromptsFilters.Any(IsApplications)),
                (RequestMethods.ResourcesList, handlers.ListResourcesHandler is not null || filters.ListResourcesFilters.Any(IsApplications)),
                (RequestMethods.ResourcesTemplatesList, handlers.ListResourceTemplatesHandler is not null || filters.ListResourceTemplatesFilters.Any(IsApplications)),
            ];
            return new Snapshot(
                methods.ToFrozenSet(StringComparer.Ordinal),
                lists.Where(l => l.Paged).Select(l => l.Method).ToFrozenSet(StringComparer.Ordinal),
                options.Capabilities?.Prompts is not null || options.Handlers.ListPromptsHandler is not null,
                options.Handlers.GetPromptHandler is not null,
                options.Filters.Request.GetPromptFilters.Any(IsApplications),
                options.Filters.Message.IncomingFilters.Any(IsApplications));
        }
    }
}
