using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>What a prompt or resource requires of its callers.</summary>
/// <param name="What">What it is, for messages: <c>prompt 'summarize'</c>, <c>resource 'orders://{id}'</c>.</param>
/// <param name="RequiredScopes">The scopes a caller's token must carry, ordered.</param>
/// <param name="Policy">Its roles, policies and requirements combined, or <see langword="null"/>.</param>
internal sealed record PrimitiveAccess(string What, string[] RequiredScopes, AuthorizationPolicy? Policy)
{
    public static readonly PrimitiveAccess None = new(string.Empty, [], null);

    public string[] MissingScopes(IReadOnlySet<string> granted) => [.. RequiredScopes.Where(s => !granted.Contains(s))];
}

/// <summary>
/// Authorization of prompts and resources, declared in code as for tools: <see cref="RequireScopesAttribute"/> and
/// <c>[Authorize]</c> (roles, policies) on the method or its class. Prompts and resources are never anonymous (one public tool
/// must not open them), so <c>[AllowAnonymous]</c> on their method is an error and on their class it opens only the class's
/// tools. Missing scopes are answered at the HTTP stage with the specification's 403 <c>insufficient_scope</c> challenge
/// (<see cref="McpRequestGate"/>). These filters check again inside the SDK; evaluate roles and policies, whose resource is the
/// request's params (<see cref="GetPromptRequestParams"/>, <see cref="ReadResourceRequestParams"/>, <see cref="CompleteRequestParams"/>,
/// <see cref="SubscribeRequestParams"/>; <see langword="null"/> when listing); hold completions of their arguments and
/// subscriptions to their updates to the same rules; and show each caller only the prompts, resources and templates it may
/// use. Without them, the SDK (which McpServices does not let evaluate authorization: <c>AddAuthorizationFilters()</c>) fails
/// every request on a prompt or resource marked <c>[Authorize]</c>, and nothing reads <see cref="RequireScopesAttribute"/>.
/// </summary>
internal sealed class PrimitiveAuthorizer(ToolAuthorizer tools, McpServiceSettings settings, IServiceProvider services)
{
    private readonly ConditionalWeakTable<object, PrimitiveAccess> _access = [];
    private readonly IAuthorizationPolicyProvider? _policyProvider = services.GetService<IAuthorizationPolicyProvider>();

    public bool Enabled => tools.AuthenticationEnabled;

    public PrimitiveAccess For(McpServerPrompt prompt) =>
        _access.GetValue(prompt, _ => Declare($"prompt '{prompt.ProtocolPrompt.Name}'", prompt, prompt.Metadata));

    public PrimitiveAccess For(McpServerResource resource) =>
        _access.GetValue(resource, _ => Declare($"resource '{resource.ProtocolResourceTemplate.UriTemplate}'", resource, resource.Metadata));

    /// <summary>Reads every registered prompt's and resource's declarations, so that a mistake in them stops startup.</summary>
    public void Check(McpServerOptions options)
    {
        foreach (var prompt in options.PromptCollection ?? [])
        {
            For(prompt);
        }

        foreach (var resource in options.ResourceCollection ?? [])
        {
            For(resource);
        }
    }

    /// <summary>
    /// Every scope a tool, prompt or resource requires, ordered: the protected resource metadata's <c>scopes_supported</c> and the
    /// self-description's <c>authentication.scopes</c>.
    /// </summary>
    public IReadOnlyList<string> AllScopes(McpServerOptions options) =>
        [.. tools.AllScopes
            .Concat((options.PromptCollection ?? []).SelectMany(p => For(p).RequiredScopes))
            .Concat((options.ResourceCollection ?? []).SelectMany(r => For(r).RequiredScopes))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The prompt a <c>prompts/get</c> (or a completion's <c>ref/prompt</c>) names.</summary>
    public static McpServerPrompt? FindPrompt(McpServerOptions options, string? name) =>
        name is not null && options.PromptCollection is { } prompts && prompts.TryGetPrimitive(name, out var prompt) ? prompt : null;

    /// <summary>
    /// What a <c>prompts/get</c> of a prompt the service does not have is answered (−32602), as the SDK words it — but a name
    /// longer than MCP allows for a tool is quoted cut (<see cref="BoundedText"/>), where the SDK echoes it whole.
    /// </summary>
    public static string UnknownPromptMessage(string? name, string? suggestion) =>
        suggestion is null
            ? $"Unknown prompt: '{BoundedText.Cut(name, BoundedText.MaxNameLength)}'"
            : $"Unknown prompt: '{BoundedText.Cut(name, BoundedText.MaxNameLength)}'; did you mean '{suggestion}'?";

    /// <summary>
    /// The prompt a <c>prompts/get</c> of the unknown <paramref name="name"/> most likely meant (at most two edits away, ignoring
    /// case), when <paramref name="user"/> may use it — one <c>prompts/list</c> shows it; otherwise <see langword="null"/>, as
    /// for tools (<see cref="ToolAuthorizer.SuggestToolAsync"/>). Names longer than 64 characters get none.
    /// </summary>
    public ValueTask<string?> SuggestPromptAsync(McpServerOptions options, string? name, ClaimsPrincipal? user, IServiceProvider? requestServices) =>
        SuggestAsync(name, ArgumentError.MaxUndeclaredNameShown, (options.PromptCollection ?? []).Select(p => p.ProtocolPrompt.Name),
            closest => FindPrompt(options, closest) is { } prompt ? For(prompt) : null, user, requestServices);

    /// <summary>The resource a <c>resources/read</c> of <paramref name="uri"/> reads, found as the SDK finds it.</summary>
    public static McpServerResource? FindResource(McpServerOptions options, string uri)
    {
        if (options.ResourceCollection is not { } resources)
        {
            return null;
        }

        if (resources.TryGetPrimitive(uri, out var exact) && !exact.IsTemplated)
        {
            return exact;
        }

        foreach (var resource in resources)
        {
            if (resource.IsMatch(uri))
            {
                return resource;
            }
        }

        return null;
    }

    public McpRequestFilter<GetPromptRequestParams, GetPromptResult> GetPromptFilter => next => async (request, cancellationToken) =>
    {
        if ((request.MatchedPrimitive as McpServerPrompt ?? FindPrompt(request.Server.ServerOptions, request.Params?.Name)) is { } prompt)
        {
            await AuthorizeAsync(request, For(prompt), request.Params).ConfigureAwait(false);
            return await next(request, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await next(request, cancellationToken).ConfigureAwait(false);
        }
        catch (McpProtocolException ex) when (ex.ErrorCode == McpErrorCode.InvalidParams && request.Params?.Name is { } name
            && ex.Message == $"Unknown prompt: '{name}'")
        {
            // The SDK's answer for a prompt it does not have (with sessions: the HTTP stage answers it in stateless mode), in its
            // words: kept when there is nothing to suggest and the name is short enough to quote whole.
            var suggestion = await SuggestPromptAsync(request.Server.ServerOptions, name, request.User, request.Services).ConfigureAwait(false);
            if (suggestion is null && name.Length <= BoundedText.MaxNameLength)
            {
                throw;
            }

            throw new McpProtocolException(UnknownPromptMessage(name, suggestion), McpErrorCode.InvalidParams);
        }
    };

    /// <summary>What a <c>resources/read</c> of a URI the service does not have is answered, as the SDK words it.</summary>
    public static string UnknownResourceMessage(string? uri, string? suggestion) =>
        suggestion is null ? $"Unknown resource URI: '{uri}'" : $"Unknown resource URI: '{uri}'; did you mean '{suggestion}'?";

    /// <summary>
    /// The resource a <c>resources/read</c> of the unknown <paramref name="uri"/> most likely meant: the URI of a resource (not a
    /// template) at most two edits away, ignoring case, when <paramref name="user"/> may read it — one <c>resources/list</c> shows
    /// it; otherwise <see langword="null"/>, as for prompts and tools. URIs longer than 256 characters get none.
    /// </summary>
    public ValueTask<string?> SuggestResourceAsync(McpServerOptions options, string? uri, ClaimsPrincipal? user, IServiceProvider? requestServices) =>
        SuggestAsync(uri, MaxUriSuggestedFor, (options.ResourceCollection ?? []).Where(r => !r.IsTemplated).Select(r => r.ProtocolResourceTemplate.UriTemplate),
            closest => options.ResourceCollection is { } resources && resources.TryGetPrimitive(closest, out var resource) ? For(resource) : null, user, requestServices);

    /// <summary>The longest URI a caller sends that gets a suggestion: finding one costs the product of the two URIs' lengths.</summary>
    private const int MaxUriSuggestedFor = NameSuggestion.MaxStackLength;

    /// <summary>
    /// The known name closest to <paramref name="name"/> (<see cref="NameSuggestion.Closest"/>) when <paramref name="user"/> may
    /// use what it names; otherwise, or for a name longer than <paramref name="maxLength"/>, <see langword="null"/>.
    /// </summary>
    private async ValueTask<string?> SuggestAsync(string? name, int maxLength, IEnumerable<string> known, Func<string, PrimitiveAccess?> accessOf, ClaimsPrincipal? user, IServiceProvider? requestServices)
    {
        if (string.IsNullOrEmpty(name) || name.Length > maxLength || NameSuggestion.Closest(name, known) is not { } closest || accessOf(closest) is not { } access)
        {
            return null;
        }

        user ??= new ClaimsPrincipal(new ClaimsIdentity());
        return await MayUseAsync(access, user, CallerIdentity.Create(user, remoteAddress: null).Scopes, requestServices).ConfigureAwait(false) ? closest : null;
    }

    public McpRequestFilter<ReadResourceRequestParams, ReadResourceResult> ReadResourceFilter => next => async (request, cancellationToken) =>
    {
        if ((request.MatchedPrimitive as McpServerResource ?? (request.Params?.Uri is { } uri ? FindResource(request.Server.ServerOptions, uri) : null)) is { } resource)
        {
            await AuthorizeAsync(request, For(resource), request.Params).ConfigureAwait(false);
            return await next(request, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await next(request, cancellationToken).ConfigureAwait(false);
        }
        catch (McpProtocolException ex) when (ex.ErrorCode is McpErrorCode.ResourceNotFound or McpErrorCode.InvalidParams
            && request.Params?.Uri is { } unknown && ex.Message == UnknownResourceMessage(unknown, suggestion: null))
        {
            // The SDK's answer for a URI that no resource or template matches: −32002, or −32602 from protocol 2026-07-28 on.
            if (await SuggestResourceAsync(request.Server.ServerOptions, unknown, request.User, request.Services).ConfigureAwait(false) is not { } suggestion)
            {
                throw;
            }

            var answer = new McpProtocolException(UnknownResourceMessage(unknown, suggestion), ex.ErrorCode);
            foreach (System.Collections.DictionaryEntry entry in ex.Data)
            {
                answer.Data[entry.Key] = entry.Value;
            }

            throw answer;
        }
    };

    /// <summary>Subscribing to a resource's updates needs what reading it needs.</summary>
    public McpRequestFilter<SubscribeRequestParams, EmptyResult> SubscribeFilter => next => async (request, cancellationToken) =>
    {
        if (request.Params?.Uri is { } uri && FindResource(request.Server.ServerOptions, uri) is { } resource)
        {
            await AuthorizeAsync(request, For(resource), request.Params).ConfigureAwait(false);
        }

        return await next(request, cancellationToken).ConfigureAwait(false);
    };

    /// <summary>
    /// Completing an argument of a prompt or resource template needs what using it needs: the completions may reveal what it
    /// would (a template's ids, a prompt's options).
    /// </summary>
    public McpRequestFilter<CompleteRequestParams, CompleteResult> CompleteFilter => next => async (request, cancellationToken) =>
    {
        var options = request.Server.ServerOptions;
        var access = request.Params?.Ref switch
        {
            PromptReference { Name: var name } when FindPrompt(options, name) is { } prompt => For(prompt),
            ResourceTemplateReference { Uri: { } template } when options.ResourceCollection is { } resources && resources.TryGetPrimitive(template, out var resource) => For(resource),
            _ => null,
        };
        if (access is not null)
        {
            await AuthorizeAsync(request, access, request.Params).ConfigureAwait(false);
        }

        return await next(request, cancellationToken).ConfigureAwait(false);
    };

    public McpRequestFilter<ListPromptsRequestParams, ListPromptsResult> ListPromptsFilter =>
        ListFilter<ListPromptsRequestParams, ListPromptsResult, Prompt>(r => r.Prompts, (o, p) => FindPrompt(o, p.Name) is { } prompt ? For(prompt) : null);

    public McpRequestFilter<ListResourcesRequestParams, ListResourcesResult> ListResourcesFilter =>
        ListFilter<ListResourcesRequestParams, ListResourcesResult, Resource>(r => r.Resources, (o, r) => o.ResourceCollection is { } all && all.TryGetPrimitive(r.Uri, out var resource) ? For(resource) : null);

    public McpRequestFilter<ListResourceTemplatesRequestParams, ListResourceTemplatesResult> ListResourceTemplatesFilter =>
        ListFilter<ListResourceTemplatesRequestParams, ListResourceTemplatesResult, ResourceTemplate>(r => r.ResourceTemplates, (o, t) => o.ResourceCollection is { } all && all.TryGetPrimitive(t.UriTemplate, out var resource) ? For(resource) : null);

    /// <summary>A list filter that removes the items the caller may not use (an item the service did not register stays).</summary>
    private McpRequestFilter<TParams, TResult> ListFilter<TParams, TResult, TItem>(Func<TResult, IList<TItem>> items, Func<McpServerOptions, TItem, PrimitiveAccess?> accessOf) =>
        next => async (request, cancellationToken) =>
        {
            request.Items[SdkInternals.AuthorizationFilterInvokedKey] = true;
            var result = await next(request, cancellationToken).ConfigureAwait(false);
            var options = request.Server.ServerOptions;
            await RemoveRefusedAsync(request, items(result), item => accessOf(options, item)).ConfigureAwait(false);
            return result;
        };

    private PrimitiveAccess Declare(string what, object primitive, IReadOnlyList<object> metadata)
    {
        var method = SdkInternals.FunctionOf(primitive)?.UnderlyingMethod;
        var display = method is not null ? $"{method.DeclaringType?.FullName}.{method.Name}" : what;
        var declared = method is not null
            ? DeclaredAccess.Read(what, display, method.DeclaringType?.GetCustomAttributes(inherit: true) ?? [], method.GetCustomAttributes(inherit: true), fromMethod: true, _policyProvider)
            : DeclaredAccess.Read(what, display, [], metadata, fromMethod: false, _policyProvider);
        if (declared.MethodAllowsAnonymous)
        {
            throw new InvalidOperationException(
                $"The {what} ({display}) is marked [AllowAnonymous], but prompts and resources always need an authenticated caller: one public tool must not open them. " +
                "Remove [AllowAnonymous]; [RequireScopes] and [Authorize] say who may use it.");
        }

        return declared.Scopes.Length == 0 && declared.Policy is null ? PrimitiveAccess.None : new PrimitiveAccess(what, declared.Scopes, declared.Policy);
    }

    private async ValueTask AuthorizeAsync(MessageContext request, PrimitiveAccess access, object? resource)
    {
        request.Items[SdkInternals.AuthorizationFilterInvokedKey] = true;
        if (!Enabled || (access.RequiredScopes.Length == 0 && access.Policy is null))
        {
            return;
        }

        var user = request.User ?? new ClaimsPrincipal(new ClaimsIdentity());
        var missing = access.MissingScopes(CallerIdentity.Create(user, remoteAddress: null).Scopes);
        if (missing.Length > 0)
        {
            // The HTTP stage answers this with 403 and the challenge; this is the same refusal for a request it did not judge
            // (a completion, a subscription), with the same message and data.
            var authentication = settings.Current.Authentication;
            string[] required = [.. access.RequiredScopes.Select(authentication.Advertised)];
            string[] lacking = [.. missing.Select(authentication.Advertised)];
            throw new McpProtocolException(AuthenticationChallenges.InsufficientScopeMessage(access.What, required, lacking), (McpErrorCode)McpServiceErrorCodes.InsufficientScope)
            {
                Data = { ["requiredScopes"] = JsonArrayOf(required), ["missingScopes"] = JsonArrayOf(lacking) },
            };
        }

        if (access.Policy is not null && await AuthorizeAsync(user, access.Policy, request.Services, resource).ConfigureAwait(false) is { Succeeded: false } refusal)
        {
            throw new McpProtocolException(ToolAuthorizer.RefusalMessage($"use the {access.What}", refusal), (McpErrorCode)McpServiceErrorCodes.Forbidden);
        }
    }

    private async ValueTask RemoveRefusedAsync<T>(MessageContext request, IList<T> items, Func<T, PrimitiveAccess?> accessOf)
    {
        if (!Enabled)
        {
            return;
        }

        var user = request.User ?? new ClaimsPrincipal(new ClaimsIdentity());
        var scopes = CallerIdentity.Create(user, remoteAddress: null).Scopes;
        for (var i = items.Count - 1; i >= 0; i--)
        {
            if (accessOf(items[i]) is { } access && !await MayUseAsync(access, user, scopes, request.Services).ConfigureAwait(false))
            {
                items.RemoveAt(i);
            }
        }
    }

    /// <summary>Whether a list shows the caller the prompt or resource: it has the scopes, and its roles and policies allow it.</summary>
    private async ValueTask<bool> MayUseAsync(PrimitiveAccess access, ClaimsPrincipal user, IReadOnlySet<string> scopes, IServiceProvider? requestServices) =>
        !Enabled || (access.MissingScopes(scopes).Length == 0
            && (access.Policy is null || (await AuthorizeAsync(user, access.Policy, requestServices, resource: null).ConfigureAwait(false)).Succeeded));

    private static JsonElement JsonArrayOf(string[] values) =>
        JsonSerializer.SerializeToElement(new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]), McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonNode)));

    private static Task<AuthorizationResult> AuthorizeAsync(ClaimsPrincipal user, AuthorizationPolicy policy, IServiceProvider? services, object? resource) =>
        (services ?? throw new InvalidOperationException("The MCP request has no service provider.")).GetRequiredService<IAuthorizationService>().AuthorizeAsync(user, resource, policy);
}
