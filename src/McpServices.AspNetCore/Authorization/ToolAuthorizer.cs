using System.Collections.Frozen;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;

namespace McpServices.AspNetCore;

/// <summary>What a tool requires of its callers, after code declarations and configuration overrides are combined.</summary>
internal sealed record ToolAccess(bool AllowAnonymous, bool Disabled, string[] RequiredScopes, AuthorizationPolicy? Policy)
{
    public string[] MissingScopes(IReadOnlySet<string> granted)
    {
        if (RequiredScopes.Length == 0)
        {
            return [];
        }

        var missing = new List<string>();
        foreach (var scope in RequiredScopes)
        {
            if (!granted.Contains(scope))
            {
                missing.Add(scope);
            }
        }

        return [.. missing];
    }
}

/// <summary>
/// Per-tool authorization. Code declares requirements (<see cref="RequireScopesAttribute"/>, <c>[Authorize(Roles/Policy)]</c>,
/// <c>[AllowAnonymous]</c>; class-level declarations are defaults that methods refine); configuration adds scopes or disables a tool
/// (<c>McpService:Authorization:Tools:&lt;tool&gt;</c>) and takes effect when configuration reloads.
/// </summary>
internal sealed class ToolAuthorizer : IDisposable
{
    private readonly ToolCatalog _catalog;
    private readonly McpServiceSettings _settings;
    private readonly IAuthorizationPolicyProvider? _policyProvider;
    private readonly FrozenDictionary<string, DeclaredAccess> _declared;
    private volatile FrozenDictionary<string, ToolAccess> _access = FrozenDictionary<string, ToolAccess>.Empty;

    public ToolAuthorizer(ToolCatalog catalog, McpServiceSettings settings, IServiceProvider services)
    {
        _catalog = catalog;
        _settings = settings;
        _policyProvider = services.GetService<IAuthorizationPolicyProvider>();
        _declared = catalog.Tools.ToFrozenDictionary(t => t.Name, Declare, StringComparer.Ordinal);
        Rebuild();
        _settings.Changed += Rebuild;
    }

    public bool AuthenticationEnabled => _settings.Current.Authentication.Enabled;

    /// <summary>Whether any tool may be called without authentication (then the endpoint accepts anonymous requests).</summary>
    public bool HasAnonymousTools { get; private set; }

    /// <summary>Every scope any tool requires, ordered; the protected resource metadata's <c>scopes_supported</c>.</summary>
    public IReadOnlyList<string> AllScopes { get; private set; } = [];

    public ToolAccess GetAccess(ToolDescriptor tool) =>
        _access.TryGetValue(tool.Name, out var access) ? access : new ToolAccess(false, false, [], null);

    /// <summary>Whether <paramref name="caller"/> may see <paramref name="tool"/>: <c>tools/list</c> shows each caller only the tools it may call.</summary>
    public async ValueTask<bool> IsVisibleAsync(ToolDescriptor tool, CallerIdentity caller, ClaimsPrincipal? user, IServiceProvider? services)
    {
        var access = GetAccess(tool);
        if (access.Disabled)
        {
            return false;
        }

        if (!AuthenticationEnabled || access.AllowAnonymous)
        {
            return true;
        }

        if (!caller.IsAuthenticated || access.MissingScopes(caller.Scopes).Length > 0)
        {
            return false;
        }

        if (access.Policy is null || services is null)
        {
            return true;
        }

        var result = await AuthorizeAsync(user ?? new ClaimsPrincipal(new ClaimsIdentity()), access, McpToolInvocationFactory.ForListing(tool, services)).ConfigureAwait(false);
        return result.Succeeded;
    }

    /// <summary>
    /// The tool a call to the unknown <paramref name="name"/> most likely meant (<c>get_stock</c> for <c>Get_Stock</c> or
    /// <c>get_stocks</c>: at most two edits away, ignoring case), when the caller may see it — a suggestion must not reveal a tool
    /// <c>tools/list</c> hides from this caller; otherwise <see langword="null"/>. Names longer than 64 characters get none.
    /// </summary>
    public async ValueTask<string?> SuggestToolAsync(string? name, CallerIdentity caller, ClaimsPrincipal? user, IServiceProvider? services)
    {
        if (string.IsNullOrEmpty(name) || name.Length > ArgumentError.MaxUndeclaredNameShown
            || NameSuggestion.Closest(name, _catalog.Tools.Select(t => t.Name)) is not { } closest || _catalog.Find(closest) is not { } tool)
        {
            return null;
        }

        return await IsVisibleAsync(tool, caller, user, services).ConfigureAwait(false) ? closest : null;
    }

    /// <summary>Evaluates the tool's roles and policies for a call (or for <c>tools/list</c>) with the typed-argument resource.</summary>
    public async ValueTask<AuthorizationResult> AuthorizeAsync(ClaimsPrincipal user, ToolAccess access, McpToolInvocation invocation)
    {
        if (access.Policy is null || access.AllowAnonymous)
        {
            return AuthorizationResult.Success();
        }

        var authorization = invocation.Services.GetRequiredService<IAuthorizationService>();
        return await authorization.AuthorizeAsync(user, invocation, access.Policy).ConfigureAwait(false);
    }

    /// <summary>What a caller refused by roles or policies is told (−32041): the authorization handlers' reasons, when they give any.</summary>
    /// <param name="action">What was refused: <c>call the tool 'x'</c>.</param>
    /// <param name="refusal">The failed authorization.</param>
    public static string RefusalMessage(string action, AuthorizationResult refusal)
    {
        var reasons = refusal.Failure?.FailureReasons.Select(r => r.Message).Where(m => !string.IsNullOrWhiteSpace(m)).ToArray() ?? [];
        return reasons.Length > 0 ? $"You are not allowed to {action}: {string.Join(" ", reasons)}" : $"You are not allowed to {action}.";
    }

    public void Dispose() => _settings.Changed -= Rebuild;

    private void Rebuild()
    {
        var overrides = _settings.Current.Authorization.Tools;
        var access = new Dictionary<string, ToolAccess>(StringComparer.Ordinal);
        foreach (var tool in _catalog.Tools)
        {
            var declared = _declared[tool.Name];
            overrides.TryGetValue(tool.Name, out var configured);
            var scopes = declared.Scopes.Concat(configured?.RequiredScopes ?? []).Where(s => !string.IsNullOrWhiteSpace(s))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

            // Configuration only tightens: a tool that requires scopes is not anonymous, whatever the code says.
            var anonymous = declared.AllowAnonymous && scopes.Length == 0;
            access[tool.Name] = new ToolAccess(anonymous, configured?.Disabled == true, scopes, declared.Policy);
        }

        _access = access.ToFrozenDictionary(StringComparer.Ordinal);
        HasAnonymousTools = access.Values.Any(a => a.AllowAnonymous && !a.Disabled);
        AllScopes = access.Values.SelectMany(a => a.RequiredScopes).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Unknown tool names in configuration overrides (typos must not silently leave a tool unprotected).</summary>
    public IReadOnlyList<string> UnknownOverrides(McpServiceOptions options) =>
        options.Authorization.Tools.Keys.Where(name => _catalog.FindConfigured(name) is null).Order(StringComparer.Ordinal).ToArray();

    private DeclaredAccess Declare(ToolDescriptor tool) => tool.Source is { } source
        ? DeclaredAccess.Read($"tool '{tool.Name}'", tool.DisplaySource, source.ToolType.GetCustomAttributes(inherit: true), source.Method.GetCustomAttributes(inherit: true), fromMethod: true, _policyProvider)
        : DeclaredAccess.Read($"tool '{tool.Name}'", tool.DisplaySource, [], tool.Tool.Metadata, fromMethod: false, _policyProvider);
}

/// <summary>Builds the typed-argument resource for a tool.</summary>
internal static class McpToolInvocationFactory
{
    public static McpToolInvocation ForCall(ToolDescriptor tool, IDictionary<string, System.Text.Json.JsonElement>? arguments, IServiceProvider services) =>
        new(tool.Name, arguments, tool.Source?.SerializerOptions ?? McpJsonUtilities.DefaultOptions, services, isListing: false);

    public static McpToolInvocation ForListing(ToolDescriptor tool, IServiceProvider services) =>
        new(tool.Name, arguments: null, tool.Source?.SerializerOptions ?? McpJsonUtilities.DefaultOptions, services, isListing: true);
}
