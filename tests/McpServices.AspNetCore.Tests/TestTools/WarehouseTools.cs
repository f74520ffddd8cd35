using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;

namespace McpServices.AspNetCore.Tests.TestTools;

public sealed class Transfer
{
    [Required]
    public string? Warehouse { get; set; }

    [Range(1, 100)]
    public int Quantity { get; set; }
}

/// <summary>Resource-based authorization: a caller may move stock only out of a warehouse its token names.</summary>
public sealed class OwnWarehouseRequirement : IAuthorizationRequirement;

public sealed class OwnWarehouseHandler : AuthorizationHandler<OwnWarehouseRequirement, McpToolInvocation>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OwnWarehouseRequirement requirement, McpToolInvocation invocation)
    {
        var owned = context.User.FindAll("warehouse").Select(c => c.Value).ToHashSet();
        if (invocation.IsListing ? owned.Count > 0 : invocation.GetArgument<Transfer>("transfer") is { } t && owned.Contains(t.Warehouse!))
        {
            context.Succeed(requirement);
        }
        else if (!invocation.IsListing)
        {
            context.Fail(new AuthorizationFailureReason(this, "Only your own warehouse."));
        }

        return Task.CompletedTask;
    }
}

[RequireScopes("stock:move")]
public sealed class WarehouseTools(InvocationLog log)
{
    [Authorize(Policy = "OwnWarehouse")]
    public string MoveStock(Transfer transfer)
    {
        log.Record("move_stock");
        return $"moved {transfer.Quantity} from {transfer.Warehouse}";
    }
}
