using ModelContextProtocol.AspNetCore;

namespace McpServices.AspNetCore;

/// <summary>
/// Options of an MCP service, bound from the <c>McpService</c> configuration section and validated at startup.
/// </summary>
public sealed class McpServiceOptions
{
    /// <summary>The configuration section the options are bound from: <c>McpService</c>.</summary>
    public const string SectionName = "McpService";

    /// <summary>
    /// Gets or sets the service name: lowercase letters, digits and <c>-</c>, at most 63 characters, starting with a letter and ending with a letter or digit (a Kubernetes Service name).
    /// It names the service in <c>serverInfo.name</c>, telemetry, audit records, the container image and Kubernetes objects.
    /// </summary>
    /// <value>The default value is the application (entry assembly) name in kebab-case, for example <c>Contoso.Inventory</c> becomes <c>contoso-inventory</c>.</value>
    public string? Name { get; set; }

    /// <summary>
    /// Gets or sets the service version (SemVer 2.0). It appears as <c>serverInfo.version</c> and everywhere else the service names its version.
    /// </summary>
    /// <value>The default value is the application assembly's informational version without build metadata (the project's <c>&lt;Version&gt;</c>).</value>
    public string? Version { get; set; }

    /// <summary>Gets or sets a human-readable description of the service, shown to clients and in the self-description.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Description { get; set; }

    /// <summary>Gets or sets the path of the MCP (Streamable HTTP) endpoint.</summary>
    /// <value>The default value is <c>/mcp</c>.</value>
    public string Path { get; set; } = "/mcp";

    /// <summary>Gets or sets the path of the liveness endpoint.</summary>
    /// <value>The default value is <c>/livez</c>.</value>
    public string LivenessPath { get; set; } = "/livez";

    /// <summary>Gets or sets the path of the readiness endpoint.</summary>
    /// <value>The default value is <c>/readyz</c>.</value>
    public string ReadinessPath { get; set; } = "/readyz";

    /// <summary>
    /// Gets or sets how the transport tracks state between requests.
    /// <see cref="HttpServerSessionMode.Stateless"/> lets any replica serve any request;
    /// choose <see cref="HttpServerSessionMode.Stateful"/> only for services that send server-to-client requests (sampling, elicitation)
    /// to clients on the 2025-11-25 protocol, and route clients to replicas with session affinity.
    /// </summary>
    /// <value>The default value is <see cref="HttpServerSessionMode.Stateless"/>.</value>
    public HttpServerSessionMode SessionMode { get; set; } = HttpServerSessionMode.Stateless;

    /// <summary>Gets or sets the largest accepted request body, in bytes. Larger requests are answered with HTTP 413.</summary>
    /// <value>The default value is 1 MiB (1048576).</value>
    public long MaxRequestBodySize { get; set; } = 1024 * 1024;

    /// <summary>
    /// Gets or sets the origins (<c>scheme://host[:port]</c>) browsers may call the MCP endpoint from.
    /// A request carrying any other <c>Origin</c> header is refused with HTTP 403 (DNS-rebinding protection).
    /// Requests without an <c>Origin</c> header (agents, servers, command-line clients) are not affected;
    /// a loopback origin is accepted when the request itself targets a loopback host.
    /// </summary>
    /// <value>The default value is empty: no cross-origin browser access.</value>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Gets or sets the host names (without port) the MCP endpoint answers to; <c>*.example.com</c> matches sub-domains.
    /// A request for any other <c>Host</c> is refused with HTTP 403. Set it to the names clients use to reach the service.
    /// </summary>
    /// <value>The default value is empty: any host.</value>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>
    /// Gets or sets how long shutdown waits for in-flight tool calls to finish. New calls are refused from the moment shutdown starts,
    /// and readiness reports unhealthy so load balancers stop routing.
    /// </summary>
    /// <value>The default value is 25 seconds.</value>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// Gets or sets a value indicating whether a <c>tools/call</c> may carry arguments its tool does not declare, or members an
    /// argument's type does not have, and a <c>prompts/get</c> arguments its prompt does not list, which are then ignored (as the
    /// MCP SDK does). By default such a call is invalid, naming each and the name it most likely meant, and the tool does not run:
    /// a model that misnames an argument would otherwise get a result computed without it. The tools' schemas then say so
    /// (<c>"additionalProperties": false</c>); a prompt is answered with −32602.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowUnknownArguments { get; set; }

    /// <summary>Gets the authentication settings (<c>McpService:Authentication</c>).</summary>
    public McpServiceAuthenticationOptions Authentication { get; } = new();

    /// <summary>Gets the per-tool authorization overrides (<c>McpService:Authorization</c>).</summary>
    public McpServiceAuthorizationOptions Authorization { get; } = new();

    /// <summary>Gets the rate limits (<c>McpService:RateLimits</c>).</summary>
    public McpServiceRateLimitOptions RateLimits { get; } = new();

    /// <summary>Gets the time limits for tool calls (<c>McpService:Timeouts</c>).</summary>
    public McpServiceTimeoutOptions Timeouts { get; } = new();

    /// <summary>Gets how multi round-trip <c>requestState</c> is protected (<c>McpService:RequestState</c>).</summary>
    public McpServiceRequestStateOptions RequestState { get; } = new();

    /// <summary>Gets the audit trail settings (<c>McpService:Audit</c>).</summary>
    public McpServiceAuditOptions Audit { get; } = new();

    /// <summary>Gets the OpenTelemetry settings (<c>McpService:Telemetry</c>).</summary>
    public McpServiceTelemetryOptions Telemetry { get; } = new();
}
