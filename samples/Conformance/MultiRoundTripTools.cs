using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using McpServices.AspNetCore;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Conformance;

/// <summary>
/// Tools for the 2026-07-28 revision: multi round-trip requests (SEP-2322) that hand the client input requests and an
/// integrity-protected <c>requestState</c>, and the stateless diagnostics of SEP-2575.
/// </summary>
[McpServerToolType]
public sealed class MultiRoundTripTools
{
    [McpServerTool(Name = "test_input_required_result_elicitation"), Description("Asks the user for their name, then greets them.")]
    public static string Elicitation(RequestContext<CallToolRequestParams> context)
    {
        var name = Elicited(context.Params, "user_name", "name")
            ?? throw InputRequired(("user_name", AskFor("What is your name?", "name", "string")));
        return $"Hello, {name}!";
    }

    [McpServerTool(Name = "test_input_required_result_sampling"), Description("Asks the client's model a question.")]
    public static string Sampling(RequestContext<CallToolRequestParams> context)
    {
        var answer = Sampled(context.Params, "capital_question")
            ?? throw InputRequired(("capital_question", Sample("What is the capital of France?", 100)));
        return $"Sampling response: {answer}";
    }

    [McpServerTool(Name = "test_input_required_result_list_roots"), Description("Lists the client's roots.")]
    public static string ListRoots(RequestContext<CallToolRequestParams> context)
    {
        var roots = Roots(context.Params, "client_roots")
            ?? throw InputRequired(("client_roots", InputRequest.ForRootsList(new ListRootsRequestParams())));
        return $"Client roots: {string.Join(", ", roots.Select(r => r.Uri))}";
    }

    [McpServerTool(Name = "test_input_required_result_request_state"), Description("Asks for confirmation and carries protected state across the round trip.")]
    public static string RequestState(RequestContext<CallToolRequestParams> context, IMcpRequestStateProtector states)
    {
        const string Purpose = "test_input_required_result_request_state";
        if (context.Params?.RequestState is { } state && Elicited(context.Params, "confirm", "ok") is { } ok)
        {
            var round = states.Unprotect(Purpose, state);
            return $"state-ok: round={round}, confirmed={ok}";
        }

        throw InputRequired(states.Protect(Purpose, "1"), ("confirm", AskFor("Please confirm", "ok", "boolean")));
    }

    [McpServerTool(Name = "test_input_required_result_multiple_inputs"), Description("Asks for a name, a model greeting and the client's roots at once.")]
    public static string MultipleInputs(RequestContext<CallToolRequestParams> context, IMcpRequestStateProtector states)
    {
        const string Purpose = "test_input_required_result_multiple_inputs";
        var p = context.Params;
        if (p?.RequestState is { } state
            && Elicited(p, "user_name", "name") is { } name
            && Sampled(p, "greeting") is { } greeting
            && Roots(p, "client_roots") is { } roots)
        {
            states.Unprotect(Purpose, state);
            return $"name={name}; greeting={greeting}; roots={string.Join(", ", roots.Select(r => r.Uri))}";
        }

        throw InputRequired(
            states.Protect(Purpose, "multiple"),
            ("user_name", AskFor("What is your name?", "name", "string")),
            ("greeting", Sample("Generate a greeting", 50)),
            ("client_roots", InputRequest.ForRootsList(new ListRootsRequestParams())));
    }

    [McpServerTool(Name = "test_input_required_result_multi_round"), Description("Asks two questions in two rounds, carrying the first answer in protected state.")]
    public static string MultiRound(RequestContext<CallToolRequestParams> context, IMcpRequestStateProtector states)
    {
        const string Purpose = "test_input_required_result_multi_round";
        var p = context.Params;
        var state = p?.RequestState is { } s ? states.Unprotect(Purpose, s) : null;
        if (state is not null && state.StartsWith("round2:", StringComparison.Ordinal) && Elicited(p, "step2", "color") is { } color)
        {
            return $"Name: {state["round2:".Length..]}, favorite color: {color}";
        }

        if (state == "round1" && Elicited(p, "step1", "name") is { } name)
        {
            throw InputRequired(states.Protect(Purpose, "round2:" + name), ("step2", AskFor("Step 2: What is your favorite color?", "color", "string")));
        }

        throw InputRequired(states.Protect(Purpose, "round1"), ("step1", AskFor("Step 1: What is your name?", "name", "string")));
    }

    [McpServerTool(Name = "test_input_required_result_tampered_state"), Description("Issues protected state and refuses it when it comes back altered.")]
    public static string TamperedState(RequestContext<CallToolRequestParams> context, IMcpRequestStateProtector states)
    {
        const string Purpose = "test_input_required_result_tampered_state";
        if (context.Params?.RequestState is { } state)
        {
            return $"state-ok: {states.Unprotect(Purpose, state)}";
        }

        throw InputRequired(states.Protect(Purpose, "issued"), ("confirm", AskFor("Please confirm", "ok", "boolean")));
    }

    [McpServerTool(Name = "test_input_required_result_capabilities"), Description("Asks only for the kinds of input the client declared it can give.")]
    public static string Capabilities(McpServer server, RequestContext<CallToolRequestParams> context)
    {
        var p = context.Params;
        var capabilities = server.ClientCapabilities;
        var answers = new List<string>();
        var requests = new List<(string, InputRequest)>();
        if (capabilities?.Elicitation is not null)
        {
            if (Elicited(p, "user_name", "name") is { } name)
            {
                answers.Add($"name={name}");
            }
            else
            {
                requests.Add(("user_name", AskFor("What is your name?", "name", "string")));
            }
        }

        if (capabilities?.Sampling is not null)
        {
            if (Sampled(p, "greeting") is { } greeting)
            {
                answers.Add($"greeting={greeting}");
            }
            else
            {
                requests.Add(("greeting", Sample("Generate a greeting", 50)));
            }
        }

        if (requests.Count > 0)
        {
            throw InputRequired([.. requests]);
        }

        return answers.Count > 0 ? string.Join("; ", answers) : "The client declared neither elicitation nor sampling; nothing to ask.";
    }

    [McpServerTool(Name = "test_missing_capability"), Description("Needs the client's sampling capability; refuses with -32021 when it was not declared.")]
    public static string MissingCapability(McpServer server)
    {
        if (server.ClientCapabilities?.Sampling is null)
        {
            throw new MissingRequiredClientCapabilityException(new ClientCapabilities { Sampling = new SamplingCapability() });
        }

        return "The client declared sampling.";
    }

    [McpServerTool(Name = "test_streaming_elicitation"), Description("Elicits through the server API; on 2026-07-28 the answer arrives as an input-required result.")]
    public static async Task<string> StreamingElicitation(McpServer server, CancellationToken cancellationToken)
    {
        var result = await server.ElicitAsync(AskFor("What is your name?", "name", "string").ElicitationParams!, cancellationToken);
        return $"Elicitation: action={result.Action}";
    }

    [McpServerTool(Name = "test_logging_tool"), Description("Logs through the client logger: messages are sent only when the request asked for a log level.")]
    public static string LoggingTool(McpServer server)
    {
        var logger = server.AsClientLoggerProvider().CreateLogger("conformance");
        logger.LogInformation("test_logging_tool ran");
        return "Logged.";
    }

    internal static InputRequest AskFor(string message, string property, string type) => InputRequest.ForElicitation(new ElicitRequestParams
    {
        Message = message,
        RequestedSchema = new ElicitRequestParams.RequestSchema
        {
            Properties =
            {
                [property] = type == "boolean" ? new ElicitRequestParams.BooleanSchema() : new ElicitRequestParams.StringSchema(),
            },
            Required = [property],
        },
    });

    private static InputRequest Sample(string text, int maxTokens) => InputRequest.ForSampling(new CreateMessageRequestParams
    {
        Messages = [new SamplingMessage { Role = Role.User, Content = [new TextContentBlock { Text = text }] }],
        MaxTokens = maxTokens,
    });

    internal static InputRequiredException InputRequired(params (string Key, InputRequest Request)[] requests) => InputRequired(null, requests);

    internal static InputRequiredException InputRequired(string? state, params (string Key, InputRequest Request)[] requests) =>
        new(requests.ToDictionary(r => r.Key, r => r.Request), state);

    /// <summary>The accepted value of <paramref name="property"/> from an elicitation answer; null when missing or malformed (ask again).</summary>
    internal static string? Elicited(RequestParams? parameters, string key, string property)
    {
        var result = Answer(parameters, key, InputResponse.ElicitResultJsonTypeInfo);
        return result is { Action: "accept", Content: { } content } && content.TryGetValue(property, out var value)
            && value.ValueKind is JsonValueKind.String or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number
                ? value.ToString()
                : null;
    }

    private static string? Sampled(RequestParams? parameters, string key) =>
        Answer(parameters, key, InputResponse.CreateMessageResultJsonTypeInfo) is { } result
            ? result.Content.OfType<TextContentBlock>().FirstOrDefault()?.Text ?? string.Empty
            : null;

    private static IList<Root>? Roots(RequestParams? parameters, string key) =>
        Answer(parameters, key, InputResponse.ListRootsResultJsonTypeInfo) is { Roots: { } roots } ? roots : null;

    /// <summary>The client's answer to the input request <paramref name="key"/>; null when missing or malformed, so the tool asks again.</summary>
    private static T? Answer<T>(RequestParams? parameters, string key, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (parameters?.InputResponses?.TryGetValue(key, out var response) != true || response is not { RawValue.ValueKind: JsonValueKind.Object })
        {
            return null;
        }

        try
        {
            return response.Deserialize(typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
