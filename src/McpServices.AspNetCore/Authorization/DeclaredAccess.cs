using Microsoft.AspNetCore.Authorization;

namespace McpServices.AspNetCore;

/// <summary>
/// What code declares about who may use a tool, prompt or resource: <see cref="RequireScopesAttribute"/>, <c>[Authorize]</c>
/// (roles, policies) and authorization requirements, <c>[AllowAnonymous]</c>. Class-level declarations are defaults that the
/// method refines: its scopes replace the class's, its roles and policies add to them.
/// </summary>
/// <param name="AllowAnonymous">Whether callers need no identity.</param>
/// <param name="MethodAllowsAnonymous">Whether the method itself (not its class) is marked <c>[AllowAnonymous]</c>.</param>
/// <param name="Scopes">The scopes a caller's token must carry.</param>
/// <param name="Policy">The roles, policies and requirements combined, or <see langword="null"/>.</param>
internal sealed record DeclaredAccess(bool AllowAnonymous, bool MethodAllowsAnonymous, string[] Scopes, AuthorizationPolicy? Policy)
{
    /// <param name="what">What is declared, for messages: <c>tool 'adjust_stock'</c>.</param>
    /// <param name="display">Where it is declared, for messages: the method's full name.</param>
    /// <param name="classAttributes">The attributes of the method's class.</param>
    /// <param name="methodAttributes">The attributes of the method, or the metadata of a primitive not built from one.</param>
    /// <param name="fromMethod">Whether the attributes are a method's and its class's (then contradictions are errors).</param>
    /// <param name="policyProvider">Resolves named policies; <see langword="null"/> when authorization services are missing.</param>
    public static DeclaredAccess Read(string what, string display, IEnumerable<object> classAttributes, IEnumerable<object> methodAttributes, bool fromMethod, IAuthorizationPolicyProvider? policyProvider)
    {
        var classList = classAttributes.ToList();
        var methodList = methodAttributes.ToList();
        // [AllowAnonymous] on a class is a default like any other class-level declaration: a method that declares requirements
        // of its own refines it (a public tool class with one admin tool keeps the admin tool protected; ASP.NET Core MVC would
        // let [AllowAnonymous] on the class win and open it). On the method it wins over the class's requirements. Both on the
        // same class or method contradict each other, and startup says so.
        static bool IsRequirement(object attribute) => attribute is RequireScopesAttribute || ToolFactory.IsAuthorizationMetadata(attribute);
        static bool Requires(List<object> attributes) => attributes.Exists(IsRequirement);
        var methodAnonymous = methodList.Any(a => a is IAllowAnonymous);
        var classAnonymous = classList.Any(a => a is IAllowAnonymous);
        var allowAnonymous = methodAnonymous;
        if (fromMethod)
        {
            if ((methodAnonymous && Requires(methodList)) || (classAnonymous && Requires(classList)))
            {
                throw new InvalidOperationException(
                    $"The {what} ({display}) is marked [AllowAnonymous] and also requires scopes, roles or policies on the same " +
                    (methodAnonymous && Requires(methodList) ? "method" : "class") + ". Remove one: [AllowAnonymous] for a public tool, the requirements for a protected one.");
            }

            allowAnonymous = methodAnonymous || (classAnonymous && !Requires(methodList));
            if (methodAnonymous)
            {
                // The method is public: the class's requirements are defaults it replaces.
                classList.RemoveAll(IsRequirement);
            }
        }

        var methodScopes = methodList.OfType<RequireScopesAttribute>().SelectMany(a => a.Scopes).ToArray();
        var scopes = methodScopes.Length > 0 ? methodScopes : classList.OfType<RequireScopesAttribute>().SelectMany(a => a.Scopes).ToArray();

        var authorizeData = classList.Concat(methodList).OfType<IAuthorizeData>().ToArray();
        var requirements = classList.Concat(methodList).OfType<IAuthorizationRequirementData>().SelectMany(r => r.GetRequirements()).ToArray();
        var policies = classList.Concat(methodList).OfType<AuthorizationPolicy>().ToList();
        AuthorizationPolicy? policy = null;
        if (authorizeData.Length > 0 || requirements.Length > 0 || policies.Count > 0)
        {
            if (policyProvider is null)
            {
                throw new InvalidOperationException($"The {what} uses [Authorize] or authorization requirements, but authorization services are missing. Call builder.Services.AddAuthorization().");
            }

            if (requirements.Length > 0)
            {
                policies.Add(new AuthorizationPolicyBuilder().AddRequirements(requirements).Build());
            }

            try
            {
                policy = AuthorizationPolicy.CombineAsync(policyProvider, authorizeData, policies).GetAwaiter().GetResult();
            }
            catch (InvalidOperationException ex)
            {
                throw new InvalidOperationException($"The {what} ({display}) names an authorization policy that is not registered: {ex.Message} Register it with builder.Services.AddAuthorization(o => o.AddPolicy(...)).", ex);
            }
        }

        return new DeclaredAccess(allowAnonymous, methodAnonymous, [.. scopes.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], policy);
    }
}
