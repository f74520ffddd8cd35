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

/// <summary>A public tool class with protected tools: the methods' requirements refine the class's [AllowAnonymous].</summary>
[AllowAnonymous]
public sealed class MostlyPublicTools(InvocationLog log)
{
    public string Hours()
    {
        log.Record("hours");
        return "9-17";
    }

    [Authorize(Roles = "admin")]
    public string Shutdown()
    {
        log.Record("shutdown");
        return "down";
    }

    [RequireScopes("inventory:write")]
    public string Restock()
    {
        log.Record("restock");
        return "restocked";
    }
}

/// <summary>A protected tool class with one public tool: the method's [AllowAnonymous] replaces the class's requirements.</summary>
[RequireScopes("inventory:read")]
[Authorize(Roles = "clerk")]
public sealed class MostlyProtectedTools(InvocationLog log)
{
    public string Stock()
    {
        log.Record("stock");
        return "12";
    }

    [AllowAnonymous]
    public string Status()
    {
        log.Record("status");
        return "ok";
    }
}

/// <summary>Public and protected at once: refused at startup.</summary>
public sealed class ContradictoryTools
{
    [AllowAnonymous]
    [Authorize(Roles = "admin")]
    public string Both() => "?";
}
