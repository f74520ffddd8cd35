using System.ComponentModel;
using System.Globalization;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>A tool that asks the user to confirm before it acts (a multi round-trip request) and keeps the pending amount in protected state.</summary>
[McpServerToolType]
public sealed class TransferTools(InvocationLog log)
{
    public const string Purpose = "transfer";

    [McpServerTool(Name = "transfer"), Description("Transfers an amount after the user confirms it.")]
    public string Transfer(RequestContext<CallToolRequestParams> context, IMcpRequestStateProtector states, [Description("The amount.")] int amount)
    {
        if (context.Params?.RequestState is { } state
            && context.Params.InputResponses?.TryGetValue("confirm", out var answer) == true
            && answer?.Deserialize(InputResponse.ElicitResultJsonTypeInfo) is { Action: "accept" })
        {
            var pending = states.Unprotect(Purpose, state);
            log.Record("transfer");
            return $"Transferred {pending}.";
        }

        throw new InputRequiredException(
            new Dictionary<string, InputRequest>
            {
                ["confirm"] = InputRequest.ForElicitation(new ElicitRequestParams
                {
                    Message = $"Transfer {amount}?",
                    RequestedSchema = new ElicitRequestParams.RequestSchema { Properties = { ["ok"] = new ElicitRequestParams.BooleanSchema() } },
                }),
            },
            states.Protect(Purpose, amount.ToString(CultureInfo.InvariantCulture)));
    }
}

/// <summary>Resources for the resource error tests.</summary>
[McpServerResourceType]
public sealed class NoteResources
{
    [McpServerResource(UriTemplate = "notes://welcome", Name = "welcome", MimeType = "text/plain")]
    public static string Welcome() => "Welcome.";

    [McpServerResource(UriTemplate = "notes://customers/{id}", Name = "customer-note", MimeType = "text/plain")]
    public static string Customer(string id) => $"Notes on customer {id}.";
}

/// <summary>Resource templates with typed variables, and one that fails on its own while parsing.</summary>
[McpServerResourceType]
public sealed class OrderResources
{
    [McpServerResource(UriTemplate = "orders://{id}", Name = "order", MimeType = "text/plain")]
    public static string Order(int id) => $"Order {id}.";

    [McpServerResource(UriTemplate = "ledger://{entry}", Name = "ledger-entry", MimeType = "text/plain")]
    public static string Entry(string entry) => $"Entry {int.Parse(entry, CultureInfo.InvariantCulture)}.";
}
