using System.Net;
using System.Text;
using System.Text.Json;
using McpServices.AspNetCore.Tests.TestTools;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.AspNetCore;

namespace McpServices.AspNetCore.Tests.Http;

/// <summary>
/// Valid messages with random, often wrong, HTTP headers — protocol version, Accept, Content-Type, Content-Encoding, Origin,
/// credentials, session ids, the 2026-07-28 routing headers — and methods, against a real service with authentication and
/// audit on: every answer is a documented status with a JSON-RPC error or result (never a 500 or the SDK's bare −32603), every
/// <c>tools/call</c> that was sent has exactly one audit record, and the records form one intact chain.
/// </summary>
public sealed class HeaderFuzzTests
{
    private const int Requests = 600;

    private static readonly string[] Bodies =
    [
        """{"jsonrpc":"2.0","id":"ID","method":"tools/call","params":{"name":"read_stock","arguments":{}META}}""",
        """{"jsonrpc":"2.0","id":"ID","method":"tools/call","params":{"name":"reserve","arguments":{"sku":"ABC-1234","quantity":3,"contact":"a@example.com"}META}}""",
        """{"jsonrpc":"2.0","id":"ID","method":"tools/list","params":{META}}""",
        """{"jsonrpc":"2.0","method":"notifications/initialized"}""",
        """{"jsonrpc":"2.0","id":"ID","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}}""",
        """{"jsonrpc":"2.0","id":"ID","method":"server/discover","params":{META}}""",
    ];

    private const string Meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}";

    private static readonly string?[] ProtocolVersions = [null, "2025-11-25", "2026-07-28", "2025-06-18", "", "garbage", "2026-07-28, 2025-11-25", " 2025-11-25 ", "1999-01-01"];
    private static readonly string?[] Accepts = [null, "application/json, text/event-stream", "*/*", "text/event-stream", "application/json", "", "text/*;q=0", "application/*, text/*", "application/json;q=0, text/event-stream;q=0", "x/y"];
    private static readonly string?[] ContentTypes = [null, "application/json", "application/json; charset=utf-8", "application/json; charset=latin1", "text/plain", "application/json; charset=\"UTF-8\"", "application/json;;", "application/json; charset=", "application/problem+json", "application/json; charset=utf-16"];
    private static readonly string?[] Encodings = [null, null, null, "gzip", "identity", "identity, gzip", "", "br"];
    private static readonly string?[] Origins = [null, null, null, "null", "http://evil.example", "", "http://localhost", "http://127.0.0.1", "not a url"];
    private static readonly string?[] SessionIds = [null, null, null, "abc", "", "SESSION", "SESSION", "s p a c e"];
    private static readonly string?[] EventIds = [null, null, null, "x", "0", "SESSION:1", new string('9', 200)];
    private static readonly string?[] Credentials = [null, "TOKEN", "TOKEN", "TOKEN", "Bearer", "Bearer ", "Bearer x.y.z", "Basic YTpi", "Bearer TOKEN, Bearer TOKEN", "bearer TOKEN"];
    private static readonly string?[] RoutingHeaders = [null, null, "tools/call", "tools/list", "read_stock", "reserve", "", "x"];
    private static readonly string?[] Expects = [null, null, null, null, "100-continue", "nonsense"];
    private static readonly string?[] Hosts = [null, null, "evil.example", "localhost", "LOCALHOST:80", "127.0.0.1:1", "[::1]"];

    /// <summary>Seeds 1-2 in each mode in every test run; <c>MCPS_FUZZ_SEEDS=50</c> runs seeds 1-50.</summary>
    public static TheoryData<int, bool> FuzzSeeds
    {
        get
        {
            var seeds = int.TryParse(Environment.GetEnvironmentVariable("MCPS_FUZZ_SEEDS"), out var n) && n > 2 ? n : 2;
            var data = new TheoryData<int, bool>();
            foreach (var stateful in new[] { false, true })
            {
                for (var seed = 1; seed <= seeds; seed++)
                {
                    data.Add(seed, stateful);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(FuzzSeeds))]
    public async Task RandomHeaders_GetDocumentedAnswers_AndEveryCallIsAudited(int seed, bool stateful)
    {
        var random = new Random(seed);
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<SecuredTools>().WithTools<OrderTools>(),
            options: o =>
            {
                o.SessionMode = stateful ? HttpServerSessionMode.Stateful : HttpServerSessionMode.Stateless;
                o.AllowedHosts = ["127.0.0.1", "localhost"];
            },
            configure: b => b.Logging.AddFilter("McpServices.AspNetCore.McpRequestGate", LogLevel.Error), // a warning per refused origin
            authentication: true);
        using var http = server.CreateHttpClient();
        var token = server.Token("inventory:read", "inventory:write");
        await using var session = stateful ? await server.ConnectWithScopesAsync("inventory:read", "inventory:write") : null;
        var problems = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var calls = new List<string>();
        var outcomes = new Dictionary<string, string>();
        var declaredUnread = 0;

        for (var i = 0; i < Requests; i++)
        {
            var id = $"h{i}";
            // A third of the requests get the headers a client sends, but for one: near misses exercise more than random noise.
            var wrong = random.Next(3) == 0 ? random.Next(11) : -1;
            string? Choose(int slot, string?[] values, string? good) => wrong < 0 || slot == wrong ? Pick(values, random) : good;
            var method = random.Next(10) switch { 0 => HttpMethod.Get, 1 => HttpMethod.Delete, 2 when random.Next(4) == 0 => HttpMethod.Put, _ => HttpMethod.Post };
            var template = random.GetItems(Bodies, 1)[0];
            var body = template.Replace("ID", id, StringComparison.Ordinal).Replace("{META}", random.Next(2) == 0 ? "{" + Meta + "}" : "{}", StringComparison.Ordinal)
                .Replace("META", random.Next(2) == 0 ? "," + Meta : string.Empty, StringComparison.Ordinal);
            using var request = new HttpRequestMessage(method, "mcp");
            string? sentBody = null;
            if (method == HttpMethod.Post || random.Next(5) == 0)
            {
                sentBody = body;
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                Set(request.Content.Headers, "Content-Type", Choose(0, ContentTypes, "application/json"));
                Set(request.Content.Headers, "Content-Encoding", Choose(1, Encodings, null));
                if (method == HttpMethod.Post && template.Contains("tools/call", StringComparison.Ordinal))
                {
                    calls.Add(id);
                }
            }

            Set(request.Headers, "MCP-Protocol-Version", Choose(2, ProtocolVersions, "2025-11-25"));
            Set(request.Headers, "Accept", Choose(3, Accepts, "application/json, text/event-stream"));
            Set(request.Headers, "Origin", Choose(4, Origins, null));
            Set(request.Headers, "Mcp-Session-Id", Choose(5, SessionIds, stateful ? "SESSION" : null)?.Replace("SESSION", session?.SessionId ?? "none", StringComparison.Ordinal));
            Set(request.Headers, "Last-Event-ID", Choose(6, EventIds, null)?.Replace("SESSION", session?.SessionId ?? "none", StringComparison.Ordinal));
            Set(request.Headers, "Authorization", Choose(7, Credentials, "TOKEN") is { } credential ? (credential == "TOKEN" ? "Bearer " + token : credential.Replace("TOKEN", token, StringComparison.Ordinal)) : null);
            Set(request.Headers, "Mcp-Method", Choose(8, RoutingHeaders, null));
            Set(request.Headers, "Mcp-Name", Choose(8, RoutingHeaders, null));
            Set(request.Headers, "Expect", Choose(9, Expects, null));
            Set(request.Headers, "Host", Choose(10, Hosts, null));

            var described = Describe(request, sentBody);
            string answer;
            HttpStatusCode status;
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(TimeSpan.FromSeconds(5)); // a GET that opens the session's event stream stays open: its headers are the answer
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
                status = response.StatusCode;
                answer = response.Content.Headers.ContentType?.MediaType == "text/event-stream" && method == HttpMethod.Get
                    ? string.Empty
                    : await response.Content.ReadAsStringAsync(cts.Token);
            }
            catch (HttpRequestException ex)
            {
                problems.Add($"{method} {described}: {ex.Message}");
                continue;
            }

            statuses[(int)status] = statuses.GetValueOrDefault((int)status) + 1;
            outcomes[id] = $"{(int)status} for {method} {described}";

            // A client that waits for 100 Continue and is refused before the body is read (Origin, Host, content type, Accept,
            // size) never sent the call: it is recorded only when its headers declare it (Mcp-Method: tools/call).
            var refusedUnread = status is HttpStatusCode.UnsupportedMediaType or HttpStatusCode.NotAcceptable or HttpStatusCode.RequestEntityTooLarge
                || (status == HttpStatusCode.Forbidden && answer.Contains("\"code\":-32045", StringComparison.Ordinal));
            if (refusedUnread && request.Headers.ExpectContinue == true && method == HttpMethod.Post)
            {
                calls.Remove(id);
                if (request.Headers.TryGetValues("Mcp-Method", out var declared) && declared.Single().Trim() == "tools/call")
                {
                    declaredUnread++; // recorded without the id, which is in the body (whatever the body was)
                }
            }

            if ((int)status >= 500 || answer.Contains("\"code\":-32603", StringComparison.Ordinal))
            {
                problems.Add($"{(int)status} for {method} {described}: {answer[..Math.Min(answer.Length, 300)]}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems.Take(10)));
        Assert.True(statuses.Keys.All(s => s is 200 or 202 or 400 or 401 or 403 or 404 or 405 or 406 or 413 or 415 or 417), string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(statuses.GetValueOrDefault(200) > 0, "No request was served: the fuzz would only exercise refusals.");

        var records = await FuzzAudit.AssertEveryCallRecordedOnceAsync(server.Audit, calls, id => outcomes.GetValueOrDefault(id) ?? string.Empty, ct);
        Assert.Equal(declaredUnread, records.Count(r => !r.GetProperty("request").TryGetProperty("jsonRpcId", out var v) || v.ValueKind == JsonValueKind.Null));
        using var ready = await http.GetAsync("readyz", ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static string? Pick(string?[] values, Random random) => random.GetItems(values, 1)[0];

    private static void Set(System.Net.Http.Headers.HttpHeaders headers, string name, string? value)
    {
        headers.Remove(name);
        if (value is not null)
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }

    private static string Describe(HttpRequestMessage request, string? body) =>
        string.Join("; ", request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .Select(h => $"{h.Key}: {(h.Key == "Authorization" ? "<credential>" : string.Join(",", h.Value))}"))
        + (body is null ? string.Empty : " " + body[..Math.Min(120, body.Length)]);
}
