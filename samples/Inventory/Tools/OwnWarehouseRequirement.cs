using Inventory.Domain;
using McpServices.AspNetCore;
using Microsoft.AspNetCore.Authorization;

namespace Inventory.Tools;

/// <summary>A caller may adjust stock only in a warehouse its token names in a <c>warehouse</c> claim; inventory admins anywhere.</summary>
public sealed class OwnWarehouseRequirement : IAuthorizationRequirement
{
    public const string PolicyName = "OwnWarehouse";
    public const string AdminRole = "inventory-admin";
}

/// <summary>A resource-based handler: it sees the tool call's typed arguments through <see cref="McpToolInvocation"/>.</summary>
public sealed class OwnWarehouseHandler : AuthorizationHandler<OwnWarehouseRequirement, McpToolInvocation>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OwnWarehouseRequirement requirement, McpToolInvocation invocation)
    {
        var warehouses = context.User.FindAll("warehouse").Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        if (context.User.IsInRole(OwnWarehouseRequirement.AdminRole))
        {
            context.Succeed(requirement);
        }
        else if (invocation.IsListing)
        {
            // tools/list: show the tool to callers who own at least one warehouse.
            if (warehouses.Count > 0)
            {
                context.Succeed(requirement);
            }
        }
        else if (invocation.GetArgument<StockAdjustment>("adjustment") is { } adjustment)
        {
            if (warehouses.Contains(adjustment.Warehouse))
            {
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new AuthorizationFailureReason(this, $"You may adjust stock only in your own warehouse(s): {(warehouses.Count == 0 ? "none" : string.Join(", ", warehouses.Order()))}."));
            }
        }

        return Task.CompletedTask;
    }
}
