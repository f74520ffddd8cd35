using System.Security.Claims;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Gives a request without an authenticated caller an anonymous <see cref="ClaimsPrincipal"/>, as ASP.NET Core gives
/// <c>HttpContext.User</c>. The SDK sets a request's user only when the caller is authenticated and binds a handler's
/// <see cref="ClaimsPrincipal"/> parameter from it, so a public tool (<c>[AllowAnonymous]</c>), or any tool, prompt or resource of
/// a service with authentication off, failed every anonymous call with "No service of the requested type was found.".
/// </summary>
internal static class AnonymousCaller
{
    public static void Ensure(MessageContext request) =>
        request.User ??= new ClaimsPrincipal(new ClaimsIdentity());
}
