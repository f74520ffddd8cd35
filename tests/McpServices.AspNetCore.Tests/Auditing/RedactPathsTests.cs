using System.Text.Json;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Tests.Common;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore.Tests.Auditing;

/// <summary>
/// <c>McpService:Audit:RedactPaths</c>: a path that can redact nothing is a typo that would leave the value it meant in the audit
/// trail, so it fails startup (one tool's path) or is a warning (a path for every tool). What a path redacts is in
/// <see cref="AuditRecordTests"/>.
/// </summary>
public sealed class RedactPathsTests
{
    [Fact]
    public async Task ARedactionPathForAToolTheServiceDoesNotHave_FailsStartup()
    {
        // A typo in the tool name would leave the argument unredacted in every record.
        var ex = await Assert.ThrowsAsync<McpServiceConfigurationException>(() => TestServer.StartAsync(b => b.WithTools<SecuredTools>(), o => o.Audit.RedactPaths = ["reed_stock:sku"], authentication: true));

        Assert.Contains("McpService:Audit:RedactPaths 'reed_stock:sku'", ex.Message);
    }

    [Fact]
    public async Task ARedactionPath_NamesItsToolInAnyCase_LikeEveryPerToolSetting()
    {
        // Configuration keys are case-insensitive (MCPSERVICE__AUTHORIZATION__TOOLS__RESET_PASSWORD__DISABLED works), so the tool
        // a path is limited to matches in any case too; its argument names already did.
        await using var server = await TestServer.StartAsync(b => b.WithTools<AccountTools>(), o => o.Audit.RedactPaths = ["RESET_PASSWORD:User"]);
        await using var client = await server.ConnectAsync(cancellationToken: TestContext.Current.CancellationToken);

        await client.CallToolAsync("reset_password", new Dictionary<string, object?> { ["user"] = "bob", ["newPassword"] = "hunter2!" }, cancellationToken: TestContext.Current.CancellationToken);

        var arguments = (await server.Audit.WaitForToolAsync("reset_password", TestContext.Current.CancellationToken)).GetProperty("arguments");
        Assert.Equal("[redacted]", arguments.GetProperty("user").GetString());
        Assert.Equal("[redacted]", arguments.GetProperty("newPassword").GetString());
    }

    [Fact]
    public async Task ARedactionPathThatTheToolsArgumentsCannotHave_FailsStartup_NamingTheArguments()
    {
        // "profle" for "profile": the city would stay in every record. A property of a string cannot be either.
        var ex = await Assert.ThrowsAsync<McpServiceConfigurationException>(() => TestServer.StartAsync(
            b => b.WithTools<AccountTools>(),
            o => o.Audit.RedactPaths = ["register:registration.profle.city", "reset_password:user.name", "register:registration.previous.*.city", "register:registration.previous.0.city"]));

        Assert.Equal(
            "McpService:Audit:RedactPaths names arguments the tool does not have: 'register:registration.profle.city' (the arguments of register: registration, referrer), " +
            "'reset_password:user.name' (the arguments of reset_password: user, newPassword). Fix the paths: as they are, they redact nothing (a path is argument and property names separated by '.', '*' for any property or array index, '**' for any number of them).",
            ex.Message);
    }

    [Fact]
    public async Task ARedactionPathForEveryToolThatNoToolHas_IsAWarning()
    {
        // Clients may send arguments beyond the schema, so a path for every tool may be meant as a safety net: warn, do not fail.
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<AccountTools>(),
            o => o.Audit.RedactPaths = ["registration.profile.city", "*.password", "pasword", "registration.email.domain"],
            configure: b => b.Logging.AddProvider(logs));

        var warning = Assert.Single(logs.Entries, e => e.EventId.Id == 58);
        Assert.StartsWith("McpService:Audit:RedactPaths 'pasword', 'registration.email.domain' match no argument of any tool", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.b", true)]
    [InlineData("a.c", false)]
    [InlineData("a.b.x", false)]
    [InlineData("list.*.b", true)]
    [InlineData("list.3.b", true)]
    [InlineData("list.x.b", false)]
    [InlineData("map.anything", true)]
    [InlineData("map.anything.more", false)]
    [InlineData("either.b", true)]
    [InlineData("either.z", true)]
    [InlineData("either.y", false)]
    [InlineData("open.x.y.z", true)]
    [InlineData("tree.children.*.children.*.b", true)]
    [InlineData("tree.children.*.c", false)]
    [InlineData("A.B", true)] // names match ignoring case, as the SDK's serializer binds them and redaction matches them
    [InlineData("tree.**.b", true)]
    [InlineData("**.anything", true)]
    public void RedactionPaths_MatchAgainstTheInputSchema_FollowingReferencesAndUnions(string path, bool matches)
    {
        using var schema = JsonDocument.Parse("""
            {
              "type": "object",
              "properties": {
                "a": { "type": "object", "properties": { "b": { "type": "string" } } },
                "list": { "type": "array", "items": { "$ref": "#/$defs/node" } },
                "map": { "type": "object", "additionalProperties": { "type": "integer" } },
                "either": { "anyOf": [ { "$ref": "#/$defs/node" }, { "type": "object", "properties": { "z": {} } }, { "type": "null" } ] },
                "open": {},
                "tree": { "$ref": "#/$defs/node" }
              },
              "$defs": {
                "node": { "type": ["object", "null"], "properties": { "b": { "type": "string" }, "children": { "type": "array", "items": { "$ref": "#/$defs/node" } } } }
              }
            }
            """);

        Assert.Equal(matches, Redaction.CanMatch(schema.RootElement, path.Split('.')));
    }
}
