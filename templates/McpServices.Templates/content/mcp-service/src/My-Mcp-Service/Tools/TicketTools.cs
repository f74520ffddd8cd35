using System.Collections.Concurrent;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using McpServices.AspNetCore;
using ModelContextProtocol.Server;

namespace My_Mcp_Service.Tools;

/// <summary>
/// Example tools: replace them with yours. They show a read scope and a write scope, argument validation
/// (DataAnnotations, checked before the tool runs), a [Sensitive] argument (redacted in audit records) and a ToolException
/// (a failure message meant for the caller).
/// </summary>
[McpServerToolType]
[RequireScopes("tickets:read")]
public sealed class TicketTools
{
    private static readonly ConcurrentDictionary<string, Ticket> Tickets = new(StringComparer.Ordinal)
    {
        ["TCK-1001"] = new("TCK-1001", "Printer on floor 2 is jammed", "open", "facilities"),
        ["TCK-1002"] = new("TCK-1002", "VPN disconnects every hour", "open", "network"),
    };

    private static readonly ConcurrentDictionary<string, string> Reporters = new(StringComparer.Ordinal);
    private static int _lastTicketNumber = 1002;

    [McpServerTool(Name = "search_tickets", Title = "Search tickets", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Finds tickets whose title contains the query.")]
    public static IReadOnlyList<Ticket> SearchTickets(
        [Description("Text to look for in ticket titles."), Required, StringLength(100, MinimumLength = 2)] string query,
        [Description("At most this many tickets, 1 to 50."), Range(1, 50)] int limit = 10) =>
        [.. Tickets.Values.Where(t => t.Title.Contains(query, StringComparison.OrdinalIgnoreCase)).OrderBy(t => t.Id, StringComparer.Ordinal).Take(limit)];

    [McpServerTool(Name = "get_ticket", Title = "Get ticket", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Returns one ticket by id.")]
    public static Ticket GetTicket([Description("The ticket id, for example TCK-1001."), RegularExpression("^TCK-[0-9]{4}$")] string id) =>
        Tickets.TryGetValue(id, out var ticket) ? ticket : throw new ToolException($"There is no ticket {id}.", "ticket_not_found");

    [McpServerTool(Name = "open_ticket", Title = "Open ticket", Destructive = false, OpenWorld = false)]
    [RequireScopes("tickets:write")]
    [Description("Opens a ticket for a team and returns it.")]
    public static Ticket OpenTicket(
        [Description("What is wrong, in one line."), Required, StringLength(120, MinimumLength = 5)] string title,
        [Description("The team that handles it."), AllowedValues("facilities", "network", "workplace")] string team,
        [Description("E-mail address of the person who reported it (kept out of audit records)."), EmailAddress, Sensitive] string reporterEmail)
    {
        var ticket = new Ticket($"TCK-{Interlocked.Increment(ref _lastTicketNumber)}", title, "open", team);
        Tickets[ticket.Id] = ticket;
        Reporters[ticket.Id] = reporterEmail;
        return ticket;
    }
}

/// <summary>A ticket.</summary>
/// <param name="Id">The ticket id.</param>
/// <param name="Title">What is wrong.</param>
/// <param name="Status">open or closed.</param>
/// <param name="Team">The team that handles it.</param>
public sealed record Ticket(string Id, string Title, string Status, string Team);
