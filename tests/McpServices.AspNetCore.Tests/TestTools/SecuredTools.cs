using Microsoft.AspNetCore.Authorization;

namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>Class-level scope as the default; methods refine it.</summary>
[RequireScopes("inventory:read")]
public sealed class SecuredTools(InvocationLog log)
{
    public string ReadStock()
    {
        log.Record("read_stock");
        return "read";
    }

    [RequireScopes("inventory:write", "inventory:audit")]
    public string WriteStock()
    {
        log.Record("write_stock");
        return "written";
    }

    [Authorize(Roles = "admin")]
    public string Purge()
    {
        log.Record("purge");
        return "purged";
    }
}

/// <summary>A public tool next to protected ones.</summary>
public sealed class PublicTools(InvocationLog log)
{
    [AllowAnonymous]
    public string Ping()
    {
        log.Record("ping");
        return "pong";
    }
}
