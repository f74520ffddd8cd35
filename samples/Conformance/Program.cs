using System.Collections.Concurrent;
using System.Text.Json;
using Conformance;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

var builder = WebApplication.CreateBuilder(args);

// Resource subscriptions, per session (the suite runs this server stateful: sampling and elicitation are server-to-client requests).
var subscriptions = new ConcurrentDictionary<string, ConcurrentDictionary<string, byte>>(StringComparer.Ordinal);

builder.AddMcpService()
    .WithTools<EverythingTools>()
    .WithTools<MultiRoundTripTools>()
    .WithPrompts<EverythingPrompts>()
    .WithResources<EverythingResources>()
    .WithMcpServer(mcp => mcp
        .WithTools([new JsonSchema202012Tool()])
        .WithSubscribeToResourcesHandler((context, _) =>
        {
            var session = context.Server.SessionId ?? throw new McpProtocolException("Subscriptions need a session: this server runs stateless (McpService:SessionMode).", McpErrorCode.InvalidRequest);
            if (context.Params?.Uri is { } uri)
            {
                subscriptions.GetOrAdd(session, _ => new(StringComparer.Ordinal)).TryAdd(uri, 0);
            }

            return ValueTask.FromResult(new EmptyResult());
        })
        .WithUnsubscribeFromResourcesHandler((context, cancellationToken) =>
        {
            if (context.Server.SessionId is { } session && context.Params?.Uri is { } uri && subscriptions.TryGetValue(session, out var uris))
            {
                uris.TryRemove(uri, out _);
            }

            return ValueTask.FromResult(new EmptyResult());
        })
        .WithCompleteHandler((context, _) =>
        {
            // Suggest values for prompt arguments and template parameters that start with what was typed.
            var typed = context.Params?.Argument.Value ?? string.Empty;
            string[] candidates = context.Params?.Argument.Name switch
            {
                "arg1" or "arg2" => ["alpha", "beta", "gamma"],
                "id" => ["1", "2", "3"],
                _ => [],
            };
            var values = candidates.Where(c => c.StartsWith(typed, StringComparison.OrdinalIgnoreCase)).ToList();
            return ValueTask.FromResult(new CompleteResult { Completion = new Completion { Values = values, Total = values.Count, HasMore = false } });
        })
        .WithSetLoggingLevelHandler(async (context, cancellationToken) =>
        {
            if (context.Params?.Level is not { } level)
            {
                throw new McpProtocolException("Missing required argument 'level'.", McpErrorCode.InvalidParams);
            }

            await context.Server.SendNotificationAsync(
                NotificationMethods.LoggingMessageNotification,
                new LoggingMessageNotificationParams { Level = LoggingLevel.Info, Logger = "conformance", Data = JsonSerializer.SerializeToElement($"Log level set to: {level}") },
                cancellationToken: cancellationToken);
            return new EmptyResult();
        }));

var app = builder.Build();
app.MapMcpService();
app.Run();
