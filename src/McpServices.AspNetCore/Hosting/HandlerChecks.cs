using System.Reflection;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Startup checks of the service's tools, prompts and resources as code declares them: what the MCP SDK accepts when it creates
/// them but fails on every call, at run time, with an internal error — or serves in a way their code does not say. Each check
/// names every offending handler and what to do. Run by <see cref="McpServiceStartupCheck"/> when the host starts.
/// </summary>
internal static class HandlerChecks
{
    /// <param name="server">The SDK's options: the tools, prompts and resources it serves.</param>
    /// <param name="prompts">The prompts registered in the service collection, before the SDK drops duplicates.</param>
    /// <param name="resources">The resources registered in the service collection, before the SDK drops duplicates.</param>
    /// <param name="services">Tells registered services; without it the checks that need it are skipped.</param>
    public static void Run(McpServerOptions server, IEnumerable<McpServerPrompt> prompts, IEnumerable<McpServerResource> resources, IServiceProviderIsService? services)
    {
        CheckNoDuplicates(prompts, resources);
        var handlers = Handler.All(server);
        CheckNoAsyncStreamResults(handlers);
        CheckPromptAndResourceResults(handlers);
        CheckToolResultsCanBeWritten(handlers);
        CheckNoHttpParameters(handlers, services);
        if (services is not null)
        {
            CheckClassesCanBeCreated(handlers, services);
            CheckParametersCanBeBound(handlers, services);
            CheckResourceParametersAreInTheirTemplates(handlers, services);
            CheckArgumentsCanBeRead(handlers, services);
        }
    }

    /// <summary>
    /// Fails when two registered prompts have the same name, or two resources the same URI (template): the SDK keeps the first it
    /// is given and drops the other without a word, as it does for tools (which <see cref="ToolCatalog"/> checks).
    /// </summary>
    private static void CheckNoDuplicates(IEnumerable<McpServerPrompt> prompts, IEnumerable<McpServerResource> resources)
    {
        var duplicates = prompts.Select(p => (Kind: "prompt name", Key: p.ProtocolPrompt.Name, p.Metadata))
            .Concat(resources.Select(r => (Kind: r.IsTemplated ? "resource URI template" : "resource URI", Key: r.ProtocolResourceTemplate.UriTemplate, r.Metadata)))
            .GroupBy(item => (item.Kind, item.Key))
            .Where(group => group.Count() > 1)
            .Select(group => $"The {group.Key.Kind} '{group.Key.Key}' is declared {(group.Count() == 2 ? "twice" : $"{group.Count()} times")}, by {string.Join(" and by ", group.Select(item => Source(item.Metadata)))}");
        Fail(duplicates, ". The MCP SDK would serve the first and drop the others silently: rename one (the Name of its [McpServerPrompt], the UriTemplate of its [McpServerResource]).");

        static string Source(IReadOnlyList<object> metadata) =>
            metadata.OfType<MethodInfo>().FirstOrDefault() is { } method ? $"{method.DeclaringType?.Name}.{method.Name}" : "a hand-written one";
    }

    /// <summary>
    /// Fails when a method returns <see cref="IAsyncEnumerable{T}"/> (directly or in a task). The SDK accepts such a method and
    /// names it like an async one, but cannot use its result: a tool's is serialized synchronously, which System.Text.Json
    /// refuses for async streams, and a prompt's or resource's is no type it knows.
    /// </summary>
    private static void CheckNoAsyncStreamResults(IReadOnlyList<Handler> handlers)
    {
        var streaming = handlers
            .Where(h => h.Method is not null && IsAsyncStream(h.Method.ReturnType))
            .Select(h => $"{h.Label} returns {TypeShapes.DisplayName(h.Method!.ReturnType)}");
        Fail(streaming,
            ", which the MCP SDK cannot turn into a result: every call would fail. An MCP result is sent whole, " +
            "not streamed, so collect the items and return them (for example Task<List<T>>; a tool can also return content blocks, " +
            "IEnumerable<ContentBlock>), and report progress along the way with an IProgress<ProgressNotificationValue> parameter.");

        static bool IsAsyncStream(Type type) => UnwrapTask(type) is { } result
            && ((result.IsGenericType && result.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>))
                || result.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>)));
    }

    /// <summary>What the SDK turns into a prompt's result (ModelContextProtocol 2.4.0, <c>AIFunctionMcpServerPrompt</c>).</summary>
    private static readonly Type[] PromptResults =
        [typeof(ModelContextProtocol.Protocol.GetPromptResult), typeof(string), typeof(ModelContextProtocol.Protocol.PromptMessage),
         typeof(IEnumerable<ModelContextProtocol.Protocol.PromptMessage>), typeof(ChatMessage), typeof(IEnumerable<ChatMessage>)];

    /// <summary>What the SDK turns into a resource's contents (ModelContextProtocol 2.4.0, <c>AIFunctionMcpServerResource</c>).</summary>
    private static readonly Type[] ResourceResults =
        [typeof(ModelContextProtocol.Protocol.ReadResourceResult), typeof(ModelContextProtocol.Protocol.ResourceContents), typeof(TextContent),
         typeof(DataContent), typeof(string), typeof(IEnumerable<ModelContextProtocol.Protocol.ResourceContents>), typeof(IEnumerable<AIContent>),
         typeof(IEnumerable<string>)];

    /// <summary>
    /// Fails when a prompt or resource method is declared to return what the SDK cannot turn into a result — nothing, a number,
    /// a record, a <c>byte[]</c>: unlike a tool's, a prompt's and a resource's results are not serialized as JSON, and every
    /// <c>prompts/get</c> or <c>resources/read</c> would fail with an internal error ("Unknown result type").
    /// </summary>
    private static void CheckPromptAndResourceResults(IReadOnlyList<Handler> handlers)
    {
        var unusable = handlers
            .Where(h => h.Kind != "tool" && h.Method is not null)
            .Select(h => (Handler: h, Result: UnwrapTask(h.Method!.ReturnType), Accepted: h.Kind == "prompt" ? PromptResults : ResourceResults))
            .Where(item => item.Result is null || !item.Accepted.Any(a => a.IsAssignableFrom(item.Result) || item.Result.IsAssignableFrom(a)))
            .Select(item => $"{item.Handler.Label} returns {(item.Result is null ? "nothing" : TypeShapes.DisplayName(item.Result))}, which the MCP SDK cannot turn into " +
                (item.Handler.Kind == "prompt"
                    ? "a prompt: return a string, a PromptMessage, a list of them or a GetPromptResult"
                    : "resource contents: return a string (serialize a value to JSON yourself), a ResourceContents (BlobResourceContents.FromBytes for binary), a list of them or a ReadResourceResult"));
        Fail(unusable, ". Every request for it would fail.");
    }

    /// <summary>
    /// Fails when a method takes an <c>HttpContext</c>, <c>HttpRequest</c> or <c>HttpResponse</c> that is not a registered
    /// service. The SDK binds its own types and DI services only: it would publish the parameter as an argument for the caller
    /// to send (for a tool, a schema of the whole HttpContext object graph), and the call would fail.
    /// </summary>
    private static void CheckNoHttpParameters(IReadOnlyList<Handler> handlers, IServiceProviderIsService? services)
    {
        var http = handlers.SelectMany(h => h.Parameters
            .Where(p => IsHttpType(p.ParameterType) && services?.IsService(p.ParameterType) != true)
            .Select(p => $"{h.Label} takes the {p.ParameterType.Name} parameter '{p.Name}'"));
        Fail(http,
            ", which the MCP SDK does not bind: it would ask the caller to send it as an argument. A handler runs for an " +
            "MCP request: take the caller as a ClaimsPrincipal parameter, or, when it needs the HTTP request itself, inject IHttpContextAccessor " +
            "(builder.Services.AddHttpContextAccessor()) into its class.");
    }

    /// <summary>
    /// Fails when the class of an instance method (created for each call, with constructor injection) has no public constructor
    /// whose parameters the request's services can all supply. A missing registration is a startup error, as one that the host's
    /// own validation finds — not a failure of every call once a caller tries.
    /// </summary>
    private static void CheckClassesCanBeCreated(IReadOnlyList<Handler> handlers, IServiceProviderIsService services)
    {
        var uncreatable = handlers
            .Where(h => h.CreatedPerCall && !h.TargetType.IsValueType)
            .GroupBy(h => h.TargetType)
            .Select(group => (Type: group.Key, Handlers: group, Problem: ConstructionProblem(group.Key, services)))
            .Where(item => item.Problem is not null)
            .Select(item => $"The class {item.Type.Name} (the {string.Join(" and ", item.Handlers.GroupBy(h => h.Kind).Select(Names))}) cannot be created for a call: {item.Problem}");
        Fail(uncreatable,
            " Register what its constructor needs in the service collection (builder.Services.AddScoped<IService, Service>()), " +
            "or give the parameter a default value.",
            separator: " ");

        static string Names(IGrouping<string, Handler> kind) =>
            $"{kind.Key}{(kind.Count() > 1 ? "s" : string.Empty)} {string.Join(", ", kind.Select(h => $"'{h.Name}'"))}";
    }

    /// <summary>
    /// Fails when a method parameter can be bound neither as a service nor from the caller's arguments: a
    /// <c>[FromKeyedServices]</c> parameter whose keyed service is not registered, or a parameter of an interface or abstract type
    /// that is not a registered service — the SDK then publishes it as an argument (a service whose registration was forgotten
    /// becomes a required object in the input schema), which JSON cannot create.
    /// </summary>
    private static void CheckParametersCanBeBound(IReadOnlyList<Handler> handlers, IServiceProviderIsService services)
    {
        var unbindable = handlers.SelectMany(h => h.Parameters
            .Select(p => (Parameter: p, Problem: BindingProblem(p, services, h.SerializerOptions)))
            .Where(p => p.Problem is not null)
            .Select(p => $"{h.Label} takes the parameter '{p.Parameter.Name}' of type {TypeShapes.DisplayName(p.Parameter.ParameterType)}, {p.Problem}"));
        Fail(unbindable,
            ". Register the service (builder.Services.AddScoped<IService, Service>(), or AddKeyedScoped for a keyed one) " +
            "to have it injected, or give an argument a concrete type.");

        static string? BindingProblem(ParameterInfo parameter, IServiceProviderIsService services, JsonSerializerOptions serializer)
        {
            var type = parameter.ParameterType;
            if (parameter.HasDefaultValue || IsBoundBySdk(type) || type == typeof(AIFunctionArguments))
            {
                return null;
            }

            if (KeyOf(parameter) is { } keyed)
            {
                return services is IServiceProviderIsKeyedService keyedServices && !keyedServices.IsKeyedService(type, keyed.Key)
                    ? $"the service keyed '{keyed.Key}', which is not registered"
                    : null;
            }

            if ((!type.IsInterface && !type.IsAbstract) || services.IsService(type) || IsHttpType(type))
            {
                return null;
            }

            // The serializer creates collection interfaces (IReadOnlyList<T>, IDictionary<K, V>), polymorphic base types and
            // types with a converter; not another interface or abstract class.
            return TypeInfo(serializer, type) is { Kind: JsonTypeInfoKind.Object, CreateObject: null, PolymorphismOptions: null }
                ? "which is not a registered service, so the SDK asks the caller to send it as an argument, and JSON cannot create an " + (type.IsInterface ? "interface" : "abstract class")
                : null;
        }
    }

    /// <summary>
    /// Fails when an argument of a tool or prompt — at any depth of its type — is of a type the serializer silently empties or
    /// cannot create: a value tuple (its elements are fields, which System.Text.Json does not read, so the tool got default
    /// values whatever the caller sent), or a class without a constructor the serializer can use (<c>IPAddress</c>; an interface
    /// or abstract member type). The SDK publishes such an argument all the same.
    /// </summary>
    private static void CheckArgumentsCanBeRead(IReadOnlyList<Handler> handlers, IServiceProviderIsService services)
    {
        var unreadable = handlers
            .Where(h => h.Kind is "tool" or "prompt")
            .SelectMany(h => h.Parameters
                .Where(p => !IsBoundBySdk(p.ParameterType) && p.ParameterType != typeof(AIFunctionArguments) && KeyOf(p) is null
                    && !services.IsService(p.ParameterType) && !IsHttpType(p.ParameterType)
                    && !(p.HasDefaultValue && (p.ParameterType.IsInterface || p.ParameterType.IsAbstract)))
                .Select(p => (Parameter: p, Problem: UnusablePart(p.ParameterType, p.Name!, h.SerializerOptions, [], reading: true)))
                .Where(p => p.Problem is not null)
                .Select(p => $"{h.Label} takes the argument '{p.Parameter.Name}', {p.Problem}"));
        Fail(unreadable, ". Declare what a caller sends as types JSON reads both ways: strings, numbers, records and classes with settable properties, lists.");
    }

    /// <summary>
    /// The first part of a type that the serializer cannot read (for an argument) or write (for a result), described with its
    /// path, or <see langword="null"/>. A value tuple is neither: its elements are fields, which System.Text.Json skips both ways.
    /// </summary>
    private static string? UnusablePart(Type type, string path, JsonSerializerOptions serializer, HashSet<Type> visited, bool reading)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (!visited.Add(type))
        {
            return null;
        }

        if (TypeInfo(serializer, type) is not { } info)
        {
            return null;
        }

        var where = path.Contains('.', StringComparison.Ordinal) || path.Contains('[', StringComparison.Ordinal) ? $"whose member {path}" : "whose value";
        if (info.Kind == JsonTypeInfoKind.Object && info.Properties.Count == 0
            && type.IsGenericType && type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true)
        {
            // Unless the options include fields (or a converter handles tuples), the serializer sees no members at all.
            return reading
                ? $"{where} is a tuple ({TypeShapes.DisplayName(type)}): its elements are fields, which JSON does not read, so the handler would get default values whatever the caller sends"
                : $"{where} is a tuple ({TypeShapes.DisplayName(type)}): its elements are fields, which JSON does not write, so the caller would get {{}} instead of them";
        }

        if (!reading && info.Kind == JsonTypeInfoKind.Object && typeof(Stream).IsAssignableFrom(type))
        {
            return $"{where} is a stream ({TypeShapes.DisplayName(type)}), which JSON cannot write: every call would fail";
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when info.PolymorphismOptions is { } polymorphism:
                return polymorphism.DerivedTypes.Select(d => UnusablePart(d.DerivedType, path, serializer, visited, reading)).FirstOrDefault(p => p is not null);
            case JsonTypeInfoKind.Object:
                if (reading && !CanCreate(type))
                {
                    var what = type.IsInterface ? "an interface" : type.IsAbstract ? "an abstract class" : "a class without a public parameterless constructor, a single public constructor or one marked [JsonConstructor]";
                    return $"{where} is {TypeShapes.DisplayName(type)}, {what}, which JSON cannot create: every call that sends it would fail";
                }

                return info.Properties.Where(p => reading ? p.Set is not null || p.AssociatedParameter is not null : p.Get is not null)
                    .Select(p => UnusablePart(p.PropertyType, $"{path}.{p.Name}", serializer, visited, reading))
                    .FirstOrDefault(p => p is not null);
            case JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary when info.ElementType is { } element:
                return UnusablePart(element, $"{path}[]", serializer, visited, reading);
            default:
                return null;
        }

        // System.Text.Json's constructor rule: one marked [JsonConstructor], else a public parameterless one, else the only public one.
        static bool CanCreate(Type type) =>
            !type.IsInterface && !type.IsAbstract
            && (type.IsValueType
                || type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Any(c => c.IsDefined(typeof(System.Text.Json.Serialization.JsonConstructorAttribute)))
                || type.GetConstructor(Type.EmptyTypes) is not null
                || type.GetConstructors().Length == 1);
    }

    /// <summary>
    /// Fails when a tool's result — at any depth of its declared type — is one the serializer silently empties or cannot write: a
    /// value tuple (the caller got <c>{}</c>), a stream (every call failed). Results the SDK converts itself (text, content
    /// blocks, a <c>CallToolResult</c>) are not serialized and pass.
    /// </summary>
    private static void CheckToolResultsCanBeWritten(IReadOnlyList<Handler> handlers)
    {
        var unwritable = handlers
            .Where(h => h.Kind == "tool" && h.Method is not null)
            .Select(h => (Handler: h, Result: UnwrapTask(h.Method!.ReturnType)))
            .Where(item => item.Result is not null && !IsConvertedBySdk(item.Result))
            .Select(item => (item.Handler, Problem: UnusablePart(item.Result!, "result", item.Handler.SerializerOptions, [], reading: false)))
            .Where(item => item.Problem is not null)
            .Select(item => $"{item.Handler.Label} returns {TypeShapes.DisplayName(item.Handler.Method!.ReturnType)}, {item.Problem}");
        Fail(unwritable, ". Return a record or class with properties, a list, text, or content blocks (ImageContentBlock, EmbeddedResourceBlock for bytes).");

        static bool IsConvertedBySdk(Type type) =>
            type == typeof(string) || type == typeof(object) || typeof(ModelContextProtocol.Protocol.CallToolResult).IsAssignableFrom(type)
            || typeof(ModelContextProtocol.Protocol.ContentBlock).IsAssignableFrom(type) || typeof(AIContent).IsAssignableFrom(type)
            || typeof(IEnumerable<ModelContextProtocol.Protocol.ContentBlock>).IsAssignableFrom(type) || typeof(IEnumerable<AIContent>).IsAssignableFrom(type);
    }

    private static Type? UnwrapTask(Type type) =>
        type == typeof(void) || type == typeof(Task) || type == typeof(ValueTask) ? null
        : type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>)) ? type.GetGenericArguments()[0]
        : type;

    /// <summary>
    /// Fails when a resource method takes a parameter — neither a service nor one with a default value — that its URI template
    /// has no variable for: the SDK binds a resource's parameters from the variables of the requested URI only, so every read
    /// would fail ("Missing a value for the required parameter").
    /// </summary>
    private static void CheckResourceParametersAreInTheirTemplates(IReadOnlyList<Handler> handlers, IServiceProviderIsService services)
    {
        var unmatched = handlers
            .Where(h => h.UriTemplate is not null)
            .SelectMany(h => h.Parameters
                .Where(p => !p.HasDefaultValue && !IsBoundBySdk(p.ParameterType) && KeyOf(p) is null && !services.IsService(p.ParameterType)
                    && !TemplateVariables(h.UriTemplate!).Contains(p.Name!))
                .Select(p => $"{h.Label} takes the parameter '{p.Name}', which its URI template '{h.UriTemplate}' has no variable for"));
        Fail(unmatched,
            ": the SDK binds a resource's parameters from the requested URI's variables, so every read would fail. Name a template variable as " +
            "the parameter (for example {id} for the parameter id), or give the parameter a default value.");

        // RFC 6570 expressions: {var}, {+var}, {#var}, {?a,b}, {/path*}, {var:3}.
        static HashSet<string> TemplateVariables(string template) =>
            System.Text.RegularExpressions.Regex.Matches(template, @"\{([^}]*)\}")
                .SelectMany(m => m.Groups[1].Value.TrimStart('+', '#', '.', '/', ';', '?', '&').Split(','))
                .Select(v => v.Split(':')[0].TrimEnd('*').Trim())
                .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Why <see cref="ActivatorUtilities"/> — which the SDK and McpServices create handler classes with — could not create the type
    /// from the request's services, or <see langword="null"/> when it can: it uses the constructor marked
    /// <see cref="ActivatorUtilitiesConstructorAttribute"/>, or else any public constructor whose parameters are all services
    /// (or have default values).
    /// </summary>
    private static string? ConstructionProblem(Type type, IServiceProviderIsService services)
    {
        var constructors = type.GetConstructors();
        if (constructors.Length == 0)
        {
            return "it has no public constructor.";
        }

        var marked = constructors.Where(c => c.IsDefined(typeof(ActivatorUtilitiesConstructorAttribute), inherit: false)).ToArray();
        var missing = (marked.Length == 1 ? marked : constructors)
            .Select(c => c.GetParameters().Where(p => !CanSupply(p)).ToArray())
            .OrderBy(m => m.Length)
            .First();
        return missing.Length == 0
            ? null
            : $"its constructor needs {string.Join(", ", missing.Select(Describe))}, which {(missing.Length == 1 ? "is" : "are")} not registered.";

        bool CanSupply(ParameterInfo parameter) =>
            parameter.HasDefaultValue || IsBoundBySdk(parameter.ParameterType) || (KeyOf(parameter) is { } keyed
                ? services is IServiceProviderIsKeyedService keyedServices && keyedServices.IsKeyedService(parameter.ParameterType, keyed.Key)
                : services.IsService(parameter.ParameterType));

        static string Describe(ParameterInfo parameter) => KeyOf(parameter) is { } keyed
            ? $"{TypeShapes.DisplayName(parameter.ParameterType)} {parameter.Name} (the service keyed '{keyed.Key}')"
            : $"{TypeShapes.DisplayName(parameter.ParameterType)} {parameter.Name}";
    }

    /// <summary>
    /// What a request's services supply besides the application's registrations: the MCP SDK's server, request context, progress
    /// reporter and caller, and the framework's cancellation token and service provider.
    /// </summary>
    private static bool IsBoundBySdk(Type type) =>
        type == typeof(McpServer) || type == typeof(ClaimsPrincipal) || type == typeof(IProgress<ProgressNotificationValue>)
        || type == typeof(CancellationToken) || type == typeof(IServiceProvider)
        || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(RequestContext<>));

    /// <summary>The serializer's contract for the type, or <see langword="null"/> when it has none (the type is not supported).</summary>
    private static JsonTypeInfo? TypeInfo(JsonSerializerOptions serializer, Type type)
    {
        try
        {
            return serializer.GetTypeInfo(type);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private static FromKeyedServicesAttribute? KeyOf(ParameterInfo parameter) =>
        parameter.GetCustomAttribute<FromKeyedServicesAttribute>(inherit: false);

    private static bool IsHttpType(Type type) =>
        typeof(HttpContext).IsAssignableFrom(type) || typeof(HttpRequest).IsAssignableFrom(type) || typeof(HttpResponse).IsAssignableFrom(type);

    /// <summary>Throws with every problem found, joined, followed by what to do; nothing when there is none.</summary>
    private static void Fail(IEnumerable<string> problems, string advice, string separator = "; ")
    {
        var found = problems.ToArray();
        if (found.Length > 0)
        {
            throw new InvalidOperationException($"{string.Join(separator, found)}{advice}");
        }
    }

    /// <summary>A tool, resource, resource template or prompt, with the method it was created from (when it was).</summary>
    private sealed record Handler(string Kind, string Name, IReadOnlyList<object> Metadata, object Primitive, string? UriTemplate = null)
    {
        public MethodInfo? Method { get; } = Metadata.OfType<MethodInfo>().FirstOrDefault();

        /// <summary>
        /// Whether an instance of the method's class is created for each call: always for McpServices' tool classes; for what the
        /// SDK created, when its function has a factory for the instance (WithTools&lt;T&gt;(), WithPrompts&lt;T&gt;()), not when
        /// it was given a target instance or a delegate. Unknown (an SDK whose internals differ) counts as no.
        /// </summary>
        public bool CreatedPerCall => Method is { IsStatic: false }
            && (Metadata.OfType<ToolSource>().Any() || (SdkInternals.FunctionOf(Primitive) is { } function && SdkInternals.CreatesInstancePerCall(function)));

        /// <summary>The class created for a call: the one given to <c>WithTools</c> (a method may be inherited), else the method's.</summary>
        public Type TargetType => Metadata.OfType<ToolSource>().FirstOrDefault()?.ToolType ?? Method!.ReflectedType!;

        /// <summary>The options the handler's arguments are read and its result written with.</summary>
        public JsonSerializerOptions SerializerOptions => Metadata.OfType<ToolSource>().FirstOrDefault()?.SerializerOptions ?? SdkInternals.FunctionOf(Primitive)?.JsonSerializerOptions ?? McpJsonUtilities.DefaultOptions;

        public IEnumerable<ParameterInfo> Parameters => Method?.GetParameters() ?? [];

        public string Label => $"The {Kind} '{Name}' ({Method?.DeclaringType?.Name}.{Method?.Name})";

        public static IReadOnlyList<Handler> All(McpServerOptions server) =>
            (server.ToolCollection ?? []).Select(t => new Handler("tool", t.ProtocolTool.Name, t.Metadata, t))
                .Concat((server.ResourceCollection ?? []).Select(r => new Handler(r.IsTemplated ? "resource template" : "resource", r.ProtocolResourceTemplate.Name, r.Metadata, r, r.ProtocolResourceTemplate.UriTemplate)))
                .Concat((server.PromptCollection ?? []).Select(p => new Handler("prompt", p.ProtocolPrompt.Name, p.Metadata, p)))
                .ToArray();
    }
}
