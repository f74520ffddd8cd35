using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FluentValidation;
using McpServices.AspNetCore.Tests.TestTools;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>
/// Mutated JSON-RPC messages against a real service with authentication, scopes, validation and audit on: whatever arrives, the
/// answer is a documented status with a JSON-RPC error or result — never a 500, never the SDK's bare −32603, never a response
/// cut off — and the service keeps serving. (The first run of this found bodies that are not UTF-8 reaching the SDK.)
/// </summary>
public sealed partial class MessageFuzzTests
{
    [System.Text.RegularExpressions.GeneratedRegex(@"f[0-9]+")]
    private static partial System.Text.RegularExpressions.Regex FuzzId();

    private const int Messages = 1500;

    private static readonly JsonNode?[] Values =
    [
        null, true, false, 0, -1, 1.5, 1e308, JsonValue.Create(decimal.MaxValue), "", new string('x', 300), "\u0000", "\U0001F600",
        new JsonArray(), new JsonObject(), new JsonArray(1, new JsonArray(2, new JsonArray(3))), new JsonObject { ["a"] = new JsonObject { ["b"] = new JsonObject() } },
        "NaN", "tools/call", "reserve", "read_stock", "ref/prompt", "ref/resource", "notes://welcome", "greet",
        "orders://7", "orders://abc", "orders://99999999999999999999", "orders://%41", "orders://", "days://2026-11-30", "days://2026-13-45",
        "colors://Red", "colors://Purple", "colors://1e9", "orders://{id}",
    ];

    private static readonly string[] Names = ["extra", "method", "id", "params", "name", "arguments", "_meta", "sku", "quantity", "order", "lines", "progressToken", "cursor", "uri", "ref", "argument", "context", "type", "value", "level", "shipment", "carrier", "parcels", "extras", "root", "children"];

    private static readonly string[] Seeds =
    [
        """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"reserve","arguments":{"sku":"ABC-1234","quantity":3,"contact":"a@example.com"}}}""",
        """{"jsonrpc":"2.0","id":"s","method":"tools/call","params":{"name":"place_order","arguments":{"order":{"customerEmail":"a@example.com","lines":[{"sku":"ABC-1234","quantity":1}]}},"_meta":{"progressToken":1}}}""",
        """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_stock","arguments":{}}}""",
        """{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"x"}}""",
        """{"jsonrpc":"2.0","method":"notifications/initialized"}""",
        """{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ann","tone":"warmly"}}}""",
        """{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"notes://welcome"}}""",
        """{"jsonrpc":"2.0","id":10,"method":"resources/read","params":{"uri":"orders://7"}}""",
        """{"jsonrpc":"2.0","id":11,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"orders://{id}"},"argument":{"name":"id","value":"1"}}}""",
        """{"jsonrpc":"2.0","id":6,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"name","value":"A"},"context":{"arguments":{"tone":"warm"}}}}""",
        """{"jsonrpc":"2.0","id":7,"method":"logging/setLevel","params":{"level":"info"}}""",
        """{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"ship","arguments":{"shipment":{"reference":"R-1","carrier":"Post","parcels":[{"sku":"ABC-1234","quantity":2,"note":null}],"extras":{"gift":{"sku":"XYZ-0001","quantity":1}}}}}}""",
        """{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"file","arguments":{"root":{"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]}}}}""",
    ];

    /// <summary>Seeds 1-3 in every test run; <c>MCPS_FUZZ_SEEDS=50</c> runs seeds 1-50 (for a longer search on a workstation).</summary>
    public static TheoryData<int> FuzzSeeds => [.. Enumerable.Range(1, int.TryParse(Environment.GetEnvironmentVariable("MCPS_FUZZ_SEEDS"), out var n) && n > 3 ? n : 3)];

    [Theory]
    [MemberData(nameof(FuzzSeeds))]
    public Task MutatedMessages_GetDocumentedAnswers_AndTheServiceKeepsServing(int seed) => FuzzAsync(seed, stateful: false);

    /// <summary>The same in stateful mode, every message sent in one client's session: the SDK's paths differ there.</summary>
    [Theory]
    [MemberData(nameof(FuzzSeeds))]
    public Task MutatedMessages_InAStatefulSession_GetDocumentedAnswers(int seed) => FuzzAsync(seed, stateful: true);

    private static async Task FuzzAsync(int seed, bool stateful)
    {
        var random = new Random(seed);
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<OrderTools>().WithTools<SecuredTools>().WithTools<ShipmentTools>().WithPrompts<GreetingPrompts>().WithResources<NoteResources>().WithResources<TypedResources>()
                .WithMcpServer(mcp => mcp.WithCompleteHandler((_, _) => ValueTask.FromResult(new ModelContextProtocol.Protocol.CompleteResult { Completion = new() { Values = ["Ann"] } }))),
            options: o => o.SessionMode = stateful ? ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateful : ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateless,
            configure: b => b.Services.AddValidatorsFromAssemblyContaining<OrderValidator>(),
            authentication: true);
        using var http = server.CreateHttpClient();
        var token = server.Token("inventory:read", "inventory:write");
        await using var session = stateful ? await server.ConnectWithScopesAsync("inventory:read", "inventory:write") : null;
        var problems = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var calls = new List<string>();
        var sent = new Dictionary<string, int>();
        var servedNewer = 0;

        for (var i = 0; i < Messages; i++)
        {
            // On 2026-07-28 a request carries its protocol version and the client's capabilities in params._meta, and its method and
            // tool, prompt or resource in headers; without them the SDK refuses it before anything else could be exercised.
            var newer = !stateful && random.Next(3) == 0;
            var seedMessage = JsonNode.Parse(random.GetItems(Seeds, 1)[0])!;
            if (newer && seedMessage["params"] is JsonObject seedParams)
            {
                seedParams["_meta"] = new JsonObject { ["io.modelcontextprotocol/protocolVersion"] = "2026-07-28", ["io.modelcontextprotocol/clientCapabilities"] = new JsonObject() };
            }

            var node = Mutate(seedMessage, random);
            if (node is JsonObject { } message && message.ContainsKey("id") && random.NextDouble() < 0.8)
            {
                message["id"] = $"f{i}"; // an id of its own, to find the call's audit record
            }

            var body = Encoding.UTF8.GetBytes(node?.ToJsonString() ?? "null");
            if (random.NextDouble() < 0.3)
            {
                body = MutateBytes(body, random);
            }

            if (AuditedCallId(body) is { } callId)
            {
                calls.Add(callId);
            }

            foreach (System.Text.RegularExpressions.Match id in FuzzId().Matches(Encoding.UTF8.GetString(body)))
            {
                sent[id.Value] = sent.GetValueOrDefault(id.Value) + 1; // a byte mutation can turn one message's id into another's
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "mcp") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Accept.ParseAdd("application/json, text/event-stream");
            request.Headers.Add("MCP-Protocol-Version", newer ? "2026-07-28" : "2025-11-25");
            if (newer && node is JsonObject sent2026)
            {
                AddHeader(request, "Mcp-Method", sent2026["method"]);
                AddHeader(request, "Mcp-Name", sent2026["params"] is JsonObject p ? p["name"] ?? p["uri"] : null);
            }
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (session is not null)
            {
                request.Headers.Add("Mcp-Session-Id", session.SessionId);
            }

            string answer;
            HttpStatusCode status;
            try
            {
                using var response = await http.SendAsync(request, ct);
                status = response.StatusCode;
                answer = await response.Content.ReadAsStringAsync(ct); // a response cut off mid-stream throws here
            }
            catch (HttpRequestException ex)
            {
                problems.Add($"{Convert.ToHexString(body.AsSpan(0, Math.Min(body.Length, 200)))}: {ex.Message}");
                continue;
            }

            statuses[(int)status] = statuses.GetValueOrDefault((int)status) + 1;
            if (newer && status == HttpStatusCode.OK && answer.Contains("\"result\"", StringComparison.Ordinal))
            {
                servedNewer++;
            }
            if ((int)status >= 500 || answer.Contains("\"code\":-32603", StringComparison.Ordinal))
            {
                problems.Add($"{(int)status} for {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 200)))}: {answer[..Math.Min(answer.Length, 200)]}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems.Take(10)));
        Assert.True(stateful || servedNewer > 0, "No 2026-07-28 request was served: the fuzz would only exercise the SDK's refusals.");
        Assert.True(statuses.Keys.All(s => s is 200 or 202 or 400 or 403 or 404), string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        using var ready = await http.GetAsync("readyz", ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // Every tools/call the service could read has one audit record, whatever became of it.
        await FuzzAudit.AssertEveryCallRecordedOnceAsync(server.Audit, calls.Where(id => sent[id] == 1).ToArray(), _ => string.Empty, ct);
    }

    private static void AddHeader(HttpRequestMessage request, string name, JsonNode? value)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0 && text.All(c => c is >= ' ' and <= '~'))
        {
            request.Headers.TryAddWithoutValidation(name, text);
        }
    }

    /// <summary>The fuzz id of a body that is one JSON object, a <c>tools/call</c> request (with <c>jsonrpc</c> "2.0") with an id of its own.</summary>
    private static string? AuditedCallId(byte[] body)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            return null;
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            var root = document.RootElement;
            return root.ValueKind == System.Text.Json.JsonValueKind.Object
                && root.TryGetProperty("method", out var method) && method.ValueKind == System.Text.Json.JsonValueKind.String && method.ValueEquals("tools/call")
                && root.TryGetProperty("id", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String && id.GetString() is { } value && FuzzId().Match(value) is { Success: true } match && match.Length == value.Length
                ? value
                : null;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null; // not JSON, or an id that is not Unicode (an unpaired surrogate escape)
        }
    }

    private static JsonNode? Mutate(JsonNode? node, Random random)
    {
        switch (node)
        {
            case JsonObject obj:
                var roll = random.NextDouble();
                if (obj.Count > 0 && roll < 0.3)
                {
                    var key = obj.ElementAt(random.Next(obj.Count)).Key;
                    var action = random.NextDouble();
                    if (action < 0.3)
                    {
                        obj.Remove(key);
                    }
                    else
                    {
                        obj[key] = action < 0.7 ? Value(random) : Mutate(obj[key], random)?.DeepClone();
                    }
                }
                else if (roll < 0.5)
                {
                    obj[random.GetItems(Names, 1)[0]] = Value(random);
                }
                else
                {
                    foreach (var key in obj.Select(p => p.Key).ToArray())
                    {
                        if (random.NextDouble() < 0.5)
                        {
                            obj[key] = Mutate(obj[key], random)?.DeepClone();
                        }
                    }
                }

                return obj;
            case JsonArray array:
                if (random.NextDouble() < 0.3)
                {
                    array.Add(Value(random));
                }

                return array;
            default:
                return random.NextDouble() < 0.2 ? Value(random) : node;
        }
    }

    private static JsonNode? Value(Random random) => random.GetItems(Values, 1)[0]?.DeepClone();

    private static byte[] MutateBytes(byte[] body, Random random)
    {
        var bytes = body.ToList();
        ReadOnlySpan<byte> inserts = "{}[]\",:\\ 0a\u0000"u8;
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(4))
            {
                case 0 when bytes.Count > 0: bytes.RemoveAt(Math.Min(at, bytes.Count - 1)); break;
                case 1: bytes.Insert(at, inserts[random.Next(inserts.Length)]); break;
                case 2: bytes.Insert(at, (byte)random.Next(0x80, 0x100)); break; // not UTF-8 on its own
                default: if (bytes.Count > 0) { bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256); } break;
            }
        }

        return [.. bytes];
    }
}

/// <summary>Resource templates whose variables the SDK converts to typed parameters.</summary>
[ModelContextProtocol.Server.McpServerResourceType]
public sealed class TypedResources
{
    [ModelContextProtocol.Server.McpServerResource(UriTemplate = "orders://{id}", Name = "order", MimeType = "text/plain")]
    public static string Order(int id) => $"Order {id}.";

    [ModelContextProtocol.Server.McpServerResource(UriTemplate = "days://{day}", Name = "day", MimeType = "text/plain")]
    public static string Day(DateOnly day) => $"Day {day:O}.";

    [ModelContextProtocol.Server.McpServerResource(UriTemplate = "colors://{color}", Name = "color", MimeType = "text/plain")]
    public static string Color(ConsoleColor color) => $"Color {color}.";
}
