using System.ComponentModel;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>A public tool, a prompt and a resource that take the caller as a <see cref="ClaimsPrincipal"/> parameter.</summary>
public sealed class CallerAwareTools
{
    [AllowAnonymous]
    [Description("Says who is calling.")]
    public string Whoami(ClaimsPrincipal caller) => Describe(caller);

    internal static string Describe(ClaimsPrincipal caller) =>
        caller.Identity?.IsAuthenticated == true ? $"subject {caller.FindFirst("sub")?.Value ?? caller.FindFirst(ClaimTypes.NameIdentifier)?.Value}" : "anonymous";
}

[McpServerPromptType]
public sealed class CallerAwarePrompts
{
    [McpServerPrompt(Name = "introduce"), Description("Introduces the caller.")]
    public static string Introduce(ClaimsPrincipal caller) => $"Introduce the caller ({CallerAwareTools.Describe(caller)}).";
}

[McpServerResourceType]
public sealed class CallerAwareResources
{
    [McpServerResource(UriTemplate = "me://profile", Name = "profile", MimeType = "text/plain")]
    public static string Profile(ClaimsPrincipal caller) => $"Profile of {CallerAwareTools.Describe(caller)}.";
}
