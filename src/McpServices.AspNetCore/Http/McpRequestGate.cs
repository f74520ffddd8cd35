using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// The HTTP stage in front of the MCP endpoint. In order: Host and Origin checks (DNS-rebinding protection), content type and coding, Accept,
/// body size limit (the body is read once into a pooled buffer), authentication (401 with the specification's challenge), the
/// message's shape (a member given twice: 400; <c>params</c> MCP never sends: −32602), then, for <c>tools/call</c>, the admission
/// checks that must be answered with an HTTP status before the SDK starts its response stream: draining (503) and the tool's
/// scopes (403 <c>insufficient_scope</c>). In stateless mode, a tool, method or prompt the service does not have is answered here
/// with the SDK's own error, so that invented names never reach the SDK's metrics. A last line of defence turns unexpected
/// failures, of the SDK or of this stage, into a JSON-RPC error without details.
/// </summary>
internal sealed partial class McpRequestGate
{
    internal const string EnvelopeItemKey = "McpServices.JsonRpcEnvelope";

    /// <summary>How much of a body that is too large the HTTP stage reads to tell whether it is a <c>tools/call</c>.</summary>
    private const int TooLargePrefixBytes = 16 * 1024;

    /// <summary>Kestrel's message for a body that ends early (<c>RequestRejectionReason.UnexpectedEndOfRequestContent</c>, internal).</summary>
    private const string UnexpectedEndOfBody = "Unexpected end of request content";

    private int _defaultSchemeIsOurs;
    private readonly OriginPolicy _originPolicy;
    private readonly long _maxBodySize;
    private readonly string _tooLargeMessage;
    private readonly ShutdownCoordinator _shutdown;
    private readonly ToolCallCompletion _completion;
    private readonly ToolCatalog _catalog;
    private readonly McpMethodCatalog _methods;
    private readonly ToolAuthorizer _authorizer;
    private readonly PrimitiveAuthorizer _primitives;
    private readonly IOptions<McpServerOptions> _serverOptions;
    private readonly ProtectedResourceMetadata _metadata;
    private readonly AuditTrail _audit;
    private readonly string _apiKeyHeader;
    private readonly HttpServerSessionMode _sessionMode;
    private readonly StatefulSessions? _sessions;
    private readonly ILogger _logger;
    private readonly RepeatedRefusals _repeatedRefusals;
    private readonly ResourceUrls _resourceUrls;
    private readonly LogLevel _refusedCredentialLevel;

    public McpRequestGate(
        IOptions<McpServiceOptions> options,
        ShutdownCoordinator shutdown,
        ToolCallCompletion completion,
        ToolCatalog catalog,
        McpMethodCatalog methods,
        ToolAuthorizer authorizer,
        PrimitiveAuthorizer primitives,
        IOptions<McpServerOptions> serverOptions,
        ProtectedResourceMetadata metadata,
        AuditTrail audit,
        StatefulSessions sessions,
        IOptions<HttpServerTransportOptions> transport,
        RepeatedRefusals repeatedRefusals,
        ResourceUrls resourceUrls,
        IHostEnvironment environment,
        ILogger<McpRequestGate> logger)
    {
        // In Development the caller is the developer, with tokens of their own: why one was refused is worth seeing.
        _refusedCredentialLevel = environment.IsDevelopment() ? LogLevel.Information : LogLevel.Debug;
        _repeatedRefusals = repeatedRefusals;
        _resourceUrls = resourceUrls;
        _originPolicy = new OriginPolicy(options.Value);
        _maxBodySize = options.Value.MaxRequestBodySize;
        _tooLargeMessage = $"Payload Too Large: the request body exceeds the limit of {_maxBodySize} bytes.";
        _apiKeyHeader = options.Value.Authentication.ApiKeyHeader;
        _sessionMode = options.Value.SessionMode;
        // With a migration handler, a session this instance does not have may live on another one: the SDK's answer stands.
#pragma warning disable MCP9006 // obsolete with stateful mode itself, which McpServices offers for clients that need it
        _sessions = _sessionMode != HttpServerSessionMode.Stateless && transport.Value.SessionMigrationHandler is null ? sessions : null;
#pragma warning restore MCP9006
        _shutdown = shutdown;
        _completion = completion;
        _catalog = catalog;
        _methods = methods;
        _authorizer = authorizer;
        _primitives = primitives;
        _serverOptions = serverOptions;
        _metadata = metadata;
        _audit = audit;
        _logger = logger;
    }

    /// <summary>The <see cref="HttpContext.Items"/> key that says a request reached the HTTP stage (<see cref="ApplicationRefusals"/>).</summary>
    internal const string ReachedItemKey = "McpServices.Reached";

    public RequestDelegate Wrap(RequestDelegate next) => context => InvokeAsync(context, next);

    private async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        context.Items[ReachedItemKey] = null;
        try
        {
            await GateAsync(context, next).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // A failure of the HTTP stage itself (a bug): the documented internal error, never Kestrel's empty 500.
            LogUnhandled(_logger, ex);
            context.Response.Clear();
            await WriteInternalErrorAsync(context).ConfigureAwait(false);
        }
    }

    private const string NotAcceptable = "Not Acceptable: Client must accept both application/json and text/event-stream";

    /// <summary>
    /// Whether the client accepts both answers Streamable HTTP may give to a POST (MCP requires it to list both), as the SDK
    /// decides it: media ranges such as <c>*/*</c> count, parameters do not. The header clients send is recognized without parsing.
    /// </summary>
    private static bool AcceptsBothResponseTypes(HttpRequest request)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 1 && accept[0] is { } single
            && (single.Equals("application/json, text/event-stream", StringComparison.OrdinalIgnoreCase) || single.Equals("text/event-stream, application/json", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        var ranges = request.GetTypedHeaders().Accept;
        return ranges.Any(range => range.MatchesMediaType("application/json")) && ranges.Any(range => range.MatchesMediaType("text/event-stream"));
    }

    /// <summary>
    /// MCP messages are UTF-8 JSON. A body declared in another character set is refused: the SDK would transcode it from that
    /// character set while this stage reads UTF-8, and the two must never read different messages (the scopes checked here
    /// are those of the tool this stage reads). A UTF-8 charset however spelled (<c>UTF-8</c>, <c>"utf-8"</c>, <c>utf8</c>) is
    /// accepted and removed, because ASP.NET Core's JSON reader, which the SDK uses, fails on the quoted and unhyphenated spellings.
    /// </summary>
    private static bool AcceptCharset(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (contentType is null || !contentType.Contains(';', StringComparison.Ordinal)
            || contentType.Equals("application/json; charset=utf-8", StringComparison.OrdinalIgnoreCase) // what .NET clients send
            || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            return true;
        }

        var declared = mediaType.Charset;
        var charset = Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(declared);
        if (!charset.HasValue || declared.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        mediaType.Charset = null;
        request.ContentType = mediaType.ToString();
        return true;
    }

    /// <summary>The SDK's codes for the same answers to a GET or POST: a request without a session id (−32000), an unknown session (−32001).</summary>
    private const int SdkBadRequest = -32000, SdkSessionNotFound = -32001;

    /// <summary>
    /// A DELETE that ends a stateful session. The SDK checks the protocol version and the caller and ends the session, but answers
    /// 200 when there was no session to end; the transport requires 404 for a session that has ended (the client then knows to
    /// start a new one) and the SDK's own 400 for a missing <c>Mcp-Session-Id</c>, as it answers a GET without one.
    /// </summary>
    private async Task EndSessionAsync(HttpContext context, RequestDelegate next)
    {
        var sessionId = context.Request.Headers[McpHeaders.SessionId].ToString();
        var known = sessionId.Length > 0 && _sessions!.Contains(sessionId);
        await InvokeNextAsync(context, next).ConfigureAwait(false);
        if (known || context.Response.HasStarted || context.Response.StatusCode != StatusCodes.Status200OK)
        {
            return; // ended, or refused by the SDK (unsupported protocol version, another caller's session)
        }

        if (sessionId.Length == 0)
        {
            await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status400BadRequest, SdkBadRequest, "Bad Request: Mcp-Session-Id header is required for DELETE requests.", id: null).ConfigureAwait(false);
        }
        else
        {
            await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status404NotFound, SdkSessionNotFound, "Session not found", id: null).ConfigureAwait(false);
        }
    }

    /// <summary>The documented internal error, answering the request's id when the HTTP stage could read it.</summary>
    private static Task WriteInternalErrorAsync(HttpContext context) =>
        JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status500InternalServerError, McpServiceErrorCodes.InternalError, "Internal error.", id: (context.Items[EnvelopeItemKey] as JsonRpcEnvelope)?.Id);

    private async Task GateAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!_originPolicy.IsHostAllowed(request.Host))
        {
            _repeatedRefusals.Log(_logger, HostRefusals, request.Host.Value ?? string.Empty);
            await RefuseUnreadAsync(context, StatusCodes.Status403Forbidden, "Forbidden: the request's Host is not served here.", ToolCallOutcome.Denied, "host_not_allowed").ConfigureAwait(false);
            return;
        }

        if (_authorizer.AuthenticationEnabled && !_resourceUrls.CanNameResource(request))
        {
            // Without a Host the resource URL would come out as "http:///mcp": in the challenges, and as the audience tokens
            // are checked against.
            await RefuseUnreadAsync(context, StatusCodes.Status400BadRequest, ResourceUrls.NoHostMessage, ToolCallOutcome.Invalid, "missing_host").ConfigureAwait(false);
            return;
        }

        var origin = request.Headers.Origin;
        if (origin.Count > 0 && !_originPolicy.IsOriginAllowed(origin.ToString(), request.Host))
        {
            _repeatedRefusals.Log(_logger, OriginRefusals, origin.ToString());
            await RefuseUnreadAsync(context, StatusCodes.Status403Forbidden, "Forbidden: the request's Origin is not allowed.", ToolCallOutcome.Denied, "origin_not_allowed").ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            if (!await AuthenticateAsync(context, envelope: null, body: default).ConfigureAwait(false))
            {
                return;
            }

            if (UnservedVersion(context) is { } unserved)
            {
                await RefuseUnservedVersionAsync(context, envelope: null, body: default, unserved).ConfigureAwait(false);
            }
            else if (HttpMethods.IsDelete(request.Method) && _sessions is not null)
            {
                await EndSessionAsync(context, next).ConfigureAwait(false);
            }
            else
            {
                await InvokeNextAsync(context, next).ConfigureAwait(false);
            }

            return;
        }

        if (!request.HasJsonContentType())
        {
            await RefuseUnreadAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type: the request body must be a JSON-RPC message with Content-Type application/json.", ToolCallOutcome.Invalid, "unsupported_media_type").ConfigureAwait(false);
            return;
        }

        if (!AcceptCharset(request))
        {
            await RefuseUnreadAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type: the request body must be UTF-8 JSON; send Content-Type application/json without a charset, or with charset=utf-8.", ToolCallOutcome.Invalid, "unsupported_media_type").ConfigureAwait(false);
            return;
        }

        if (!IsUnencoded(request.Headers.ContentEncoding))
        {
            // Compressed bodies are not decoded (a small body could expand past every limit); RFC 9110 §15.5.16: say which codings work.
            context.Response.Headers.AcceptEncoding = "identity";
            await RefuseUnreadAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type: the request body has a Content-Encoding; send it uncompressed (no Content-Encoding, or identity).", ToolCallOutcome.Invalid, "unsupported_media_type").ConfigureAwait(false);
            return;
        }

        if (!AcceptsBothResponseTypes(request))
        {
            // The SDK refuses these too, but before reading the message: its answer has no id, and the call had no record of its own.
            await RefuseUnreadAsync(context, StatusCodes.Status406NotAcceptable, NotAcceptable, ToolCallOutcome.Invalid, "not_acceptable").ConfigureAwait(false);
            return;
        }

        // The gate enforces the limit itself: it stops reading past it, and closes the connection of a body it refuses (Kestrel
        // would otherwise drain the rest). Kestrel's own limit would end the read before the gate saw how the body starts.
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        if (request.ContentLength > _maxBodySize)
        {
            await RefuseTooLargeAsync(context, prefix: null).ConfigureAwait(false);
            return;
        }

        byte[]? buffer = null;
        try
        {
            (buffer, var length, var tooLarge, var failure) = await ReadBodyAsync(request, context.RequestAborted).ConfigureAwait(false);
            if (failure is not null)
            {
                await RefuseUnreadableAsync(context, buffer.AsMemory(0, Math.Min(length, TooLargePrefixBytes)), failure).ConfigureAwait(false);
                return;
            }

            if (tooLarge)
            {
                // The start of what was read is enough to tell a tools/call.
                await RefuseTooLargeAsync(context, buffer.AsMemory(0, Math.Min(length, TooLargePrefixBytes))).ConfigureAwait(false);
                return;
            }

            // The SDK reads the buffered body again: as a stream, or (ReadFromJsonAsync) as a pipe over the same bytes, without copies.
            request.Body = new MemoryStream(buffer, 0, length, writable: false);
            var body = new ReadOnlyMemory<byte>(buffer, 0, length);
            context.Features.Set<IRequestBodyPipeFeature>(new BufferedBodyPipe(body));
            var envelope = JsonRpcEnvelope.TryRead(body.Span);
            if (envelope is not null)
            {
                envelope.ProtocolVersion = request.Headers[McpHeaders.ProtocolVersion];
                context.Items[EnvelopeItemKey] = envelope;
            }

            if (envelope is not { IsToolCall: true })
            {
                if (await AuthenticateAsync(context, envelope, body).ConfigureAwait(false) && await CheckMessageAsync(context, envelope, body).ConfigureAwait(false)
                    && await CheckMethodAsync(context, envelope, body).ConfigureAwait(false) && await CheckPrimitiveScopesAsync(context, envelope).ConfigureAwait(false))
                {
                    await InvokeNextAsync(context, next).ConfigureAwait(false);
                }

                return;
            }

            // Every tools/call gets exactly one audit record. Admission reserves its place in the audit buffer first, so under
            // FailClosed a call that cannot be audited never starts.
            if (!_audit.TryAdmit(context))
            {
                await RefuseUnavailableAsync(context, envelope, body, "audit_unavailable", retryAfterSeconds: 5,
                    "The service cannot record an audit trail right now and does not accept tool calls until it can; retry later.").ConfigureAwait(false);
                return;
            }

            try
            {
                await HandleToolCallAsync(context, next, envelope, body).ConfigureAwait(false);
            }
            catch (Exception) when (!ToolCallCompletion.IsCompleted(context) && !context.RequestAborted.IsCancellationRequested)
            {
                // The HTTP stage itself failed (a bug, or a failing authentication service): the call never ran; it is recorded
                // as failed, and the exception becomes the documented internal error above.
                Refuse(context, envelope, body, ToolCallOutcome.Failed, "internal_error", "The service failed before the call ran.");
                throw;
            }
            finally
            {
                if (!ToolCallCompletion.IsCompleted(context))
                {
                    if (context.RequestAborted.IsCancellationRequested)
                    {
                        // The client went away before the SDK handed the call to the pipeline: the tool never ran.
                        Refuse(context, envelope, body, ToolCallOutcome.Cancelled, "client_disconnected", "The client closed the connection before the call ran.");
                    }
                    else
                    {
                        RecordTransportRejection(context, envelope, body);
                    }
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Records a <c>tools/call</c> the SDK's transport answered itself, before the pipeline saw it: a session of another caller
    /// (403), an unknown or ended session (404), protocol headers it does not accept (400).
    /// </summary>
    private void RecordTransportRejection(HttpContext context, JsonRpcEnvelope envelope, ReadOnlyMemory<byte> body)
    {
        var status = context.Response.StatusCode;
        switch (status)
        {
            case StatusCodes.Status403Forbidden:
                Refuse(context, envelope, body, ToolCallOutcome.Denied, "session_forbidden", "The MCP session was started by another caller; the transport refused the request (HTTP 403).");
                break;
            case StatusCodes.Status404NotFound:
                Refuse(context, envelope, body, ToolCallOutcome.Invalid, "session_not_found", "The MCP session does not exist or has ended (HTTP 404).");
                break;
            default:
                var reason = status == StatusCodes.Status400BadRequest ? TransportRejection.Describe(context.Request, envelope, body.Span, _sessionMode) : null;
                Refuse(context, envelope, body, status >= 500 ? ToolCallOutcome.Failed : ToolCallOutcome.Invalid, "rejected_by_transport",
                    reason is null ? $"The MCP transport rejected the request (HTTP {status})." : $"The MCP transport rejected the request (HTTP {status}): {reason}.");
                break;
        }
    }

    private static bool IsUnencoded(StringValues contentEncoding)
    {
        foreach (var value in contentEncoding)
        {
            foreach (var coding in (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The HTTP stage of an admitted <c>tools/call</c>: authentication (401), message shape (400, −32602), draining (503), scopes (403), then the SDK.</summary>
    private async Task HandleToolCallAsync(HttpContext context, RequestDelegate next, JsonRpcEnvelope envelope, ReadOnlyMemory<byte> body)
    {
        if (!await AuthenticateAsync(context, envelope, body).ConfigureAwait(false) || !await CheckMessageAsync(context, envelope, body).ConfigureAwait(false))
        {
            return;
        }

        if (!_shutdown.TryEnter())
        {
            await RefuseUnavailableAsync(context, envelope, body, "service_unavailable", retryAfterSeconds: 1,
                "The service is shutting down and does not accept new tool calls; retry, another replica will serve the call.").ConfigureAwait(false);
            return;
        }

        try
        {
            var tool = _catalog.Find(envelope.Name);
            if (tool is null && _sessionMode == HttpServerSessionMode.Stateless
                && TransportRejection.Describe(context.Request, envelope, body.Span, _sessionMode) is null)
            {
                await RefuseUnknownToolAsync(context, envelope, body).ConfigureAwait(false);
            }
            else if (tool is null || await CheckScopesAsync(context, envelope, body, tool).ConfigureAwait(false))
            {
                await InvokeNextAsync(context, next).ConfigureAwait(false);
            }
        }
        finally
        {
            _shutdown.Exit();
        }
    }

    /// <summary>
    /// Authenticates the caller with the McpServices scheme. Returns <see langword="false"/> after answering 401: a credential was
    /// presented and is invalid, or none was presented and the request needs one (any request when no tool is anonymous;
    /// a call to a tool that is not anonymous).
    /// </summary>
    private async Task<bool> AuthenticateAsync(HttpContext context, JsonRpcEnvelope? envelope, ReadOnlyMemory<byte> body)
    {
        if (!_authorizer.AuthenticationEnabled)
        {
            return true;
        }

        if (ApiKeyAuthenticationHandler.DescribeTwoCredentials(context.Request.Headers, _apiKeyHeader) is { } twoCredentials)
        {
            Refuse(context, envelope, body, ToolCallOutcome.Invalid, "two_credentials", AuthenticationChallenges.TwoCredentialsMessage(twoCredentials));
            await AuthenticationChallenges.WriteTwoCredentialsAsync(context, _metadata.MetadataUrlFor(context.Request), twoCredentials, envelope?.Id).ConfigureAwait(false);
            return false;
        }

        var result = await IdentifyCallerAsync(context).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return true;
        }

        var presented = IsCredentialPresented(context.Request.Headers);

        if (presented && context.Features.Get<IdentityProviderStatus.UnavailableFeature>() is not null)
        {
            LogIdentityProviderUnavailable(_logger);
            Refuse(context, envelope, body, ToolCallOutcome.Unavailable, "identity_provider_unavailable", AuthenticationChallenges.IdentityProviderUnavailableMessage);
            await AuthenticationChallenges.WriteIdentityProviderUnavailableAsync(context, envelope?.Id).ConfigureAwait(false);
            return false;
        }

        if (presented)
        {
            if (_logger.IsEnabled(_refusedCredentialLevel))
            {
                LogAuthenticationFailed(_logger, _refusedCredentialLevel, AuthenticationFailures.Describe(result.Failure));
            }
            await RefuseUnauthenticatedAsync(context, envelope, body, invalidToken: true).ConfigureAwait(false);
            return false;
        }

        // Without credentials: a call to an anonymous tool, and what a client needs to find and call one — the session's own
        // requests, notifications and answers, when the service has anonymous tools. Resources, prompts and completions are
        // never anonymous: they have no per-item rule, and one public tool must not expose them.
        var allowed = envelope switch
        {
            { IsToolCall: true } => _catalog.Find(envelope.Name) is { } tool && _authorizer.GetAccess(tool).AllowAnonymous,
            null => _authorizer.HasAnonymousTools, // GET (the session's stream) and DELETE (ending it)
            _ => _authorizer.HasAnonymousTools && envelope.IsNeededForAnonymousTools,
        };
        if (allowed)
        {
            return true;
        }

        await RefuseUnauthenticatedAsync(context, envelope, body, invalidToken: false).ConfigureAwait(false);
        return false;
    }

    /// <summary>The 401 challenge, and the record of a tool call refused by it with the message the caller receives.</summary>
    private Task RefuseUnauthenticatedAsync(HttpContext context, JsonRpcEnvelope? envelope, ReadOnlyMemory<byte> body, bool invalidToken)
    {
        var metadataUrl = _metadata.MetadataUrlFor(context.Request);
        Refuse(context, envelope, body, ToolCallOutcome.Denied, invalidToken ? "invalid_token" : "authentication_required", AuthenticationChallenges.UnauthorizedMessage(context, metadataUrl, invalidToken));
        return AuthenticationChallenges.WriteUnauthorizedAsync(context, metadataUrl, invalidToken, envelope?.Id);
    }

    /// <summary>Authenticates with the McpServices scheme and, when that succeeds, makes the caller the request's user.</summary>
    private async ValueTask<AuthenticateResult> IdentifyCallerAsync(HttpContext context)
    {
        var result = _resourceUrls.ChangedSinceTokenJudged(context)
            ? await AuthenticateTokenAgainAsync(context).ConfigureAwait(false)
            : context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult is { Succeeded: true } previous && await IsDefaultAuthenticateSchemeAsync(context).ConfigureAwait(false)
                ? previous // the authentication middleware already ran this scheme for this request
                : await context.AuthenticateAsync(McpServiceAuthenticationDefaults.Scheme).ConfigureAwait(false);
        if (result.Succeeded)
        {
            context.User = _sessionMode == HttpServerSessionMode.Stateless ? result.Principal : StatefulSessionUser.For(result.Principal);
            CallerIdentity.Reset(context);
        }

        return result;
    }

    /// <summary>
    /// Judges the bearer token again, against the resource URL the client addressed, when the authentication middleware judged
    /// it before the application's middleware changed the request's scheme, host or path base (<c>UseForwardedHeaders()</c>,
    /// <c>UsePathBase()</c>): the token is for <c>https://tools.example.com/inventory/mcp</c>, not for the pod's
    /// <c>http://10.1.2.3:8080/mcp</c>. ASP.NET Core remembers each scheme's result for the request, so this runs a handler of
    /// its own.
    /// </summary>
    private static async Task<AuthenticateResult> AuthenticateTokenAgainAsync(HttpContext context)
    {
        var handlers = new AuthenticationHandlerProvider(context.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>());
        return await handlers.GetHandlerAsync(context, McpServiceAuthenticationDefaults.BearerScheme).ConfigureAwait(false) is { } handler
            ? await handler.AuthenticateAsync().ConfigureAwait(false)
            : AuthenticateResult.NoResult();
    }

    /// <summary>
    /// Whether the request carries a credential this service accepts: a bearer token (a JWT or an API key) or the API key header.
    /// Another scheme (<c>Basic</c>, <c>Digest</c>, …) counts as no credential, so its 401 carries no error code (RFC 6750 §3.1).
    /// </summary>
    private bool IsCredentialPresented(IHeaderDictionary headers) =>
        headers[_apiKeyHeader].Count > 0 || ApiKeyAuthenticationHandler.HasBearer(headers);

    /// <summary>Whether the application's default authenticate scheme is McpServices' own (so the middleware's result is ours).</summary>
    private async ValueTask<bool> IsDefaultAuthenticateSchemeAsync(HttpContext context)
    {
        var known = Volatile.Read(ref _defaultSchemeIsOurs);
        if (known != 0)
        {
            return known > 0;
        }

        var schemes = context.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>();
        var scheme = await schemes.GetDefaultAuthenticateSchemeAsync().ConfigureAwait(false);
        var ours = scheme?.Name == McpServiceAuthenticationDefaults.Scheme;
        Volatile.Write(ref _defaultSchemeIsOurs, ours ? 1 : -1);
        return ours;
    }

    /// <summary>
    /// Answers a message the SDK would answer with a bare internal error or an error that names its internals, or that parsers
    /// could read differently: a body that is not valid JSON (HTTP 400, −32700), a member given twice or a request id that is
    /// neither a string nor an integer (HTTP 400, −32600), on a fully stateful service a protocol version it does not speak (HTTP
    /// 400, −32022, see <see cref="UnservedVersion"/>), <c>params</c> that MCP never sends (−32602: not an object, a
    /// <c>tools/call</c> without a tool name, arguments that are not an object). A <c>tools/call</c> sent as a notification is
    /// accepted (202) and not run; other notifications with such params go on to the SDK.
    /// </summary>
    private async Task<bool> CheckMessageAsync(HttpContext context, JsonRpcEnvelope? envelope, ReadOnlyMemory<byte> body)
    {
        if (envelope?.ParseError is { } parseError)
        {
            var unparsable = "Parse error: the request body is not valid JSON: " + parseError;
            Refuse(context, envelope, body, ToolCallOutcome.Invalid, "parse_error", unparsable);
            await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status400BadRequest, McpServiceErrorCodes.ParseError, unparsable, id: envelope.Id).ConfigureAwait(false);
            return false;
        }

        if (envelope?.InvalidRequest is { } ambiguity)
        {
            var invalid = "Bad Request: " + ambiguity;
            Refuse(context, envelope, body, ToolCallOutcome.Invalid, "invalid_request", invalid);
            await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status400BadRequest, (int)ModelContextProtocol.McpErrorCode.InvalidRequest, invalid, id: envelope.Id).ConfigureAwait(false);
            return false;
        }

        if (UnservedVersion(context) is { } unserved)
        {
            await RefuseUnservedVersionAsync(context, envelope, body, unserved).ConfigureAwait(false);
            return false;
        }

        if (envelope is { IsToolCall: true, IsNotification: true })
        {
            // JSON-RPC forbids answering a notification, and the SDK ignores it: nothing runs, and the record says why.
            Refuse(context, envelope, body, ToolCallOutcome.Invalid, "invalid_request", "tools/call was sent as a notification (without an id), so it was not run.");
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return false;
        }

        if (envelope is not null && envelope.ProtocolVersion != McpProtocolVersions.Mrtr && TransportRejection.MirroredHeaderMismatch(context.Request, envelope) is { } mismatch
            && TransportRejection.Describe(context.Request, envelope, body.Span, _sessionMode) is null)
        {
            // 2026-07-28 requests are checked by the transport; before that revision nothing would check these headers. A request
            // the transport refuses anyway (an unsupported version, a missing session) keeps the transport's answer.
            Refuse(context, envelope, body, ToolCallOutcome.Invalid, "header_mismatch", mismatch);
            await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status400BadRequest, (int)ModelContextProtocol.McpErrorCode.HeaderMismatch, mismatch, id: envelope.Id).ConfigureAwait(false);
            return false;
        }

        if (envelope is not { Id: not null } || (envelope.InvalidParams ?? envelope.FindRepeatedArgument(body.Span)) is not { } problem)
        {
            return true;
        }

        var message = "Invalid params: " + problem;
        Refuse(context, envelope, body, ToolCallOutcome.Invalid, "invalid_params", message);
        await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status200OK, (int)ModelContextProtocol.McpErrorCode.InvalidParams, message, id: envelope.Id).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// On a fully stateful service, the request's <c>MCP-Protocol-Version</c> when the service does not speak it; else
    /// <see langword="null"/>. The HTTP stage answers such a request as the transport would (HTTP 400, −32022, its message,
    /// <c>data: { supported, requested }</c>), but without 2026-07-28 in
    /// <c>supported</c>: ModelContextProtocol.AspNetCore 2.4.0 lists it there although such a service refuses it, and a client
    /// picks its next attempt from that list. The other modes keep the transport's answer, whose list is right for them (on a
    /// stateless service it is the versions <c>server/discover</c> lists, as the 2026-07-28 conformance suite requires; clients of
    /// the earlier versions negotiate with <c>initialize</c>).
    /// </summary>
    private string? UnservedVersion(HttpContext context) =>
        _sessionMode == HttpServerSessionMode.Stateful ? TransportRejection.UnservedVersion(context.Request, _sessionMode) : null;

    /// <summary>Answers a request whose protocol version the service does not speak (<see cref="UnservedVersion"/>), and records a tool call.</summary>
    private Task RefuseUnservedVersionAsync(HttpContext context, JsonRpcEnvelope? envelope, ReadOnlyMemory<byte> body, string version)
    {
        Refuse(context, envelope, body, ToolCallOutcome.Invalid, "rejected_by_transport",
            $"The MCP transport rejected the request (HTTP 400): {TransportRejection.NotSpoken(version, _sessionMode)}.");
        return JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status400BadRequest, (int)ModelContextProtocol.McpErrorCode.UnsupportedProtocolVersion,
            $"Bad Request: The MCP-Protocol-Version header value '{version}' is not supported.", writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("supported");
                foreach (var served in McpProtocolVersions.Served(_sessionMode))
                {
                    writer.WriteStringValue(served);
                }

                writer.WriteEndArray();
                writer.WriteString("requested", version);
                writer.WriteEndObject();
            }, id: envelope?.Id);
    }

    /// <summary>Answers 403 <c>insufficient_scope</c> when the caller's token lacks a scope the tool requires.</summary>
    private async Task<bool> CheckScopesAsync(HttpContext context, JsonRpcEnvelope envelope, ReadOnlyMemory<byte> body, ToolDescriptor tool)
    {
        if (!_authorizer.AuthenticationEnabled)
        {
            return true;
        }

        var access = _authorizer.GetAccess(tool);
        if (access.RequiredScopes.Length == 0 || access.AllowAnonymous)
        {
            return true;
        }

        var missing = access.MissingScopes(CallerIdentity.Of(context).Scopes);
        if (missing.Length == 0)
        {
            return true;
        }

        var what = $"tool '{tool.Name}'";
        var scopes = Advertised(access.RequiredScopes, missing);
        Refuse(context, envelope, body, ToolCallOutcome.Denied, "insufficient_scope", AuthenticationChallenges.InsufficientScopeMessage(what, scopes.Required, scopes.Missing));
        await WriteInsufficientScopeAsync(context, scopes, what, envelope.Id).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Answers 403 <c>insufficient_scope</c> when the caller's token lacks a scope the prompt a <c>prompts/get</c> gets, or the
    /// resource a <c>resources/read</c> reads, requires (<see cref="PrimitiveAuthorizer"/>); the prompt and the resource are
    /// found as the SDK finds them.
    /// </summary>
    private async Task<bool> CheckPrimitiveScopesAsync(HttpContext context, JsonRpcEnvelope? envelope)
    {
        if (envelope is null || envelope.IsNotification || !_primitives.Enabled)
        {
            return true;
        }

        var options = _serverOptions.Value;
        var access = envelope.Method switch
        {
            JsonRpcEnvelope.PromptsGet when PrimitiveAuthorizer.FindPrompt(options, envelope.Name) is { } prompt => _primitives.For(prompt),
            JsonRpcEnvelope.ResourcesRead when envelope.Uri is { } uri && PrimitiveAuthorizer.FindResource(options, uri) is { } resource => _primitives.For(resource),
            _ => null,
        };
        if (access is not { RequiredScopes.Length: > 0 } || access.MissingScopes(CallerIdentity.Of(context).Scopes) is not { Length: > 0 } missing)
        {
            return true;
        }

        await WriteInsufficientScopeAsync(context, Advertised(access.RequiredScopes, missing), access.What, envelope.Id).ConfigureAwait(false);
        return false;
    }

    /// <summary>The 403 <c>insufficient_scope</c> challenge, with the scopes as clients request them (<see cref="Advertised"/>).</summary>
    private Task WriteInsufficientScopeAsync(HttpContext context, (string[] Required, string[] Missing) scopes, string what, string? id) =>
        AuthenticationChallenges.WriteInsufficientScopeAsync(context, _metadata.MetadataUrlFor(context.Request), scopes.Required, scopes.Missing, what, id);

    /// <summary>Scopes as clients request them (after the scope prefix): in the challenge, its message and the call's record.</summary>
    private (string[] Required, string[] Missing) Advertised(string[] required, string[] missing) =>
        ([.. required.Select(_metadata.Advertised)], [.. missing.Select(_metadata.Advertised)]);

    /// <summary>
    /// Answers a request for a method the service does not have, or a prompt it does not have, as the SDK would (−32601 "Method
    /// 'x' is not available." — with HTTP 404 on 2026-07-28, as that revision requires — or −32602 "Unknown prompt: 'x'"), and
    /// accepts a notification of a method it does not have (202) without handing either to the SDK: the SDK's
    /// <c>mcp.server.operation.duration</c> metric would take the invented name as an attribute value. Also answers a list
    /// request with a cursor the service cannot have issued (−32602), which the SDK would answer with an empty page. Only in
    /// stateless mode and where the transport would accept the request, as for unknown tools (see <see cref="RefuseUnknownToolAsync"/>).
    /// </summary>
    private async Task<bool> CheckMethodAsync(HttpContext context, JsonRpcEnvelope? envelope, ReadOnlyMemory<byte> body)
    {
        if (envelope?.Method is not { } method || _sessionMode != HttpServerSessionMode.Stateless
            || _methods.Refusal(method, envelope.Name, envelope.HasCursor) is not { } refusal
            || TransportRejection.Describe(context.Request, envelope, body.Span, _sessionMode) is not null)
        {
            return true;
        }

        if (envelope.IsNotification)
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return false;
        }

        var status = refusal.Code == (int)ModelContextProtocol.McpErrorCode.MethodNotFound && envelope.ProtocolVersion == McpProtocolVersions.Mrtr
            ? StatusCodes.Status404NotFound
            : StatusCodes.Status200OK;
        var message = refusal.Message;
        if (method == JsonRpcEnvelope.PromptsGet && refusal.Code == (int)ModelContextProtocol.McpErrorCode.InvalidParams
            && await _primitives.SuggestPromptAsync(_serverOptions.Value, envelope.Name, context.User, context.RequestServices).ConfigureAwait(false) is { } suggestion)
        {
            message = PrimitiveAuthorizer.UnknownPromptMessage(envelope.Name, suggestion);
        }

        await JsonRpcErrorWriter.WriteAsync(context, status, refusal.Code, message, id: envelope.Id).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Answers a call to a tool the service does not have as the SDK would (−32602 "Unknown tool: 'x'."), without handing it to
    /// the SDK: the SDK's <c>mcp.server.operation.duration</c> metric would take the caller's tool name as an attribute value,
    /// so every invented name would add time series until the metric's cardinality limit pushed the real tools' into overflow.
    /// Only where the SDK's transport would accept the request (it answers its own objections first), and only in stateless mode:
    /// with sessions, the transport answers an unknown or ended session with 404, which a client needs to see first.
    /// </summary>
    private async Task RefuseUnknownToolAsync(HttpContext context, JsonRpcEnvelope envelope, ReadOnlyMemory<byte> body)
    {
        var suggestion = await _authorizer.SuggestToolAsync(envelope.Name, CallerIdentity.Of(context), context.User, context.RequestServices).ConfigureAwait(false);
        var message = ToolCatalog.UnknownToolMessage(envelope.Name, suggestion);
        Refuse(context, envelope, body, ToolCallOutcome.Invalid, "unknown_tool", message);
        await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status200OK, (int)ModelContextProtocol.McpErrorCode.InvalidParams, message, id: envelope.Id).ConfigureAwait(false);
    }

    /// <summary>Audits the call as <c>unavailable</c> and answers 503 with <c>Retry-After</c>.</summary>
    private Task RefuseUnavailableAsync(HttpContext context, JsonRpcEnvelope envelope, ReadOnlyMemory<byte> body, string errorCode, int retryAfterSeconds, string message)
    {
        Refuse(context, envelope, body, ToolCallOutcome.Unavailable, errorCode, message);
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, McpServiceErrorCodes.Unavailable, message, id: envelope.Id);
    }

    /// <summary>Records a tool call refused at the HTTP stage, so it is audited like any other; other requests need no record.</summary>
    private void Refuse(HttpContext context, JsonRpcEnvelope? envelope, ReadOnlyMemory<byte> body, ToolCallOutcome outcome, string errorCode, string message)
    {
        if (envelope is not { IsToolCall: true })
        {
            return;
        }

        var call = ToolCall.FromEnvelope(envelope, body.Span, context);
        call.Tool = _catalog.Find(envelope.Name);
        call.SetOutcome(outcome, errorCode, message);
        _completion.Complete(call);
    }

    private async Task InvokeNextAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            await WriteReadFailureAsync(context, ex).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (JsonException ex) when (!context.Response.HasStarted && context.Items[EnvelopeItemKey] is JsonRpcEnvelope { Method: JsonRpcEnvelope.Initialize } envelope)
        {
            // The SDK reads initialize params against the MCP schema before it dispatches (to compare protocol versions), and
            // throws on a member of the wrong type deeper than the HTTP stage checks: the client's mistake, not a server error.
            context.Response.Clear();
            await JsonRpcErrorWriter.WriteAsync(context, StatusCodes.Status200OK, (int)ModelContextProtocol.McpErrorCode.InvalidParams,
                $"Invalid params: the initialize params do not match the MCP schema (at {ex.Path ?? "$"}).", id: envelope.Id).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            LogUnhandled(_logger, ex);
            context.Response.Clear();
            await WriteInternalErrorAsync(context).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the whole body into a pooled buffer, which the caller returns to the pool. When the body exceeds the limit, reading
    /// stops and <c>TooLarge</c> is set; when it cannot be read to its end (the client went away, sent it too slowly or in
    /// broken chunks), <c>Failure</c> says why. Either way the buffer then holds the bytes read so far.
    /// </summary>
    private async Task<(byte[] Buffer, int Length, bool TooLarge, Exception? Failure)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = (int)Math.Min(_maxBodySize, Array.MaxLength - 1);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 4096, 1, limit) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, (long)limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return (buffer, length, false, null);
                }

                length += read;
                if (length > limit)
                {
                    return (buffer, length, true, null);
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // A server limit below ours (one the application set) ended the read.
            return (buffer, length, true, null);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or OperationCanceledException or IOException)
        {
            return (buffer, length, false, ex);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// Answers a body that could not be read to its end — sent more slowly than the server's minimum data rate (408), in broken
    /// chunks (400) — or nobody, when the client closed the connection in the middle of it. When what arrived shows a
    /// <c>tools/call</c>, the call is audited all the same (<c>invalid</c> / <c>request_timeout</c> or <c>unreadable_body</c>,
    /// <c>cancelled</c> / <c>client_disconnected</c>), without arguments.
    /// </summary>
    private async Task RefuseUnreadableAsync(HttpContext context, ReadOnlyMemory<byte> prefix, Exception failure)
    {
        // A body that ends before its Content-Length (or last chunk) means the client closed or reset the connection. Kestrel
        // reports that as a 400, or as an aborted request when it noticed the closed connection first: the same for the record.
        if (context.RequestAborted.IsCancellationRequested || failure is not BadHttpRequestException bad
            || bad.Message.StartsWith(UnexpectedEndOfBody, StringComparison.Ordinal))
        {
            await RecordUnreadToolCallAsync(context, prefix, ToolCallOutcome.Cancelled, "client_disconnected", "The client closed the connection before the request body arrived.").ConfigureAwait(false);
            return;
        }

        var (code, message) = ReadFailure(bad);
        var envelope = await RecordUnreadToolCallAsync(context, prefix, ToolCallOutcome.Invalid, code, message).ConfigureAwait(false);
        CloseConnection(context);
        await JsonRpcErrorWriter.WriteAsync(context, bad.StatusCode, McpServiceErrorCodes.RequestRejected, message, id: envelope?.Id).ConfigureAwait(false);
    }

    /// <summary>The audit code and the answer for a body the server could not read (other than one over the size limit).</summary>
    private static (string Code, string Message) ReadFailure(BadHttpRequestException ex) => ex.StatusCode == StatusCodes.Status408RequestTimeout
        ? ("request_timeout", "Request Timeout: the request body arrived more slowly than the server's minimum data rate.")
        : ("unreadable_body", $"Bad Request: the request body could not be read: {ex.Message}");

    private Task WriteReadFailureAsync(HttpContext context, BadHttpRequestException ex) =>
        ex.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? WriteTooLargeAsync(context)
            : JsonRpcErrorWriter.WriteAsync(context, ex.StatusCode, McpServiceErrorCodes.RequestRejected, ReadFailure(ex).Message);

    /// <summary>
    /// Answers 413. A body that is too large is not read, except for its first bytes: when they show a <c>tools/call</c>, the
    /// call is audited (<c>invalid</c>, <c>payload_too_large</c>, with the caller when its credential is valid, without arguments).
    /// </summary>
    private async Task RefuseTooLargeAsync(HttpContext context, ReadOnlyMemory<byte>? prefix)
    {
        var envelope = await RecordUnreadToolCallAsync(context, prefix, ToolCallOutcome.Invalid, "payload_too_large", _tooLargeMessage).ConfigureAwait(false);
        CloseConnection(context);
        await WriteTooLargeAsync(context, envelope?.Id).ConfigureAwait(false);
    }

    /// <summary>
    /// Answers a request refused before its body is read: Host or Origin not allowed (403), content type or coding the stage does
    /// not read (415), answer types the client does not accept (406). A <c>tools/call</c> among them is audited all the same — a DNS-rebinding attempt is a refused call — and
    /// the answer carries its id.
    /// </summary>
    private async Task RefuseUnreadAsync(HttpContext context, int status, string message, ToolCallOutcome outcome, string errorCode)
    {
        var envelope = await RecordUnreadToolCallAsync(context, prefix: null, outcome, errorCode, message).ConfigureAwait(false);
        await JsonRpcErrorWriter.WriteAsync(context, status, McpServiceErrorCodes.RequestRejected, message, id: envelope?.Id).ConfigureAwait(false);
    }

    /// <summary>
    /// Recognizes a <c>tools/call</c> in a body the stage refuses without reading it all — from <paramref name="prefix"/>, or
    /// from the first 16 KiB it reads now (its <c>method</c> comes before the bulk of its arguments, as clients send it; a
    /// compressed body shows nothing) — and audits it with the caller when its credential is valid, without arguments.
    /// Returns what was read of the message, for its id.
    /// </summary>
    private async Task<JsonRpcEnvelope?> RecordUnreadToolCallAsync(HttpContext context, ReadOnlyMemory<byte>? prefix, ToolCallOutcome outcome, string errorCode, string message)
    {
        var request = context.Request;
        if (prefix is null)
        {
            if (!HttpMethods.IsPost(request.Method))
            {
                return null;
            }

            // A client that waits for "100 Continue" before sending the body is answered without it: that is what it asked for,
            // and reading would make the server send 100 Continue and the client the body. A client that has gone can no longer
            // be read from (its connection is aborted). Only a call its headers declare (Mcp-Method and Mcp-Name, which
            // 2026-07-28 clients send) is recorded, with what they say.
            if (request.Headers.Expect.ToString().Contains("100-continue", StringComparison.OrdinalIgnoreCase) || context.RequestAborted.IsCancellationRequested)
            {
                if (JsonRpcEnvelope.DeclaredToolCall(request.Headers[McpHeaders.Method].ToString(), request.Headers[McpHeaders.Name].ToString()) is not { } declared)
                {
                    return null;
                }

                if (_authorizer.AuthenticationEnabled)
                {
                    await IdentifyCallerAsync(context).ConfigureAwait(false);
                }

                Refuse(context, declared, default, outcome, errorCode, message);
                return null; // the answer has no id: the body that holds it was not received
            }

            prefix = await ReadPrefixAsync(context).ConfigureAwait(false);
            if (prefix.Value.Length == TooLargePrefixBytes && !context.Response.HasStarted)
            {
                CloseConnection(context); // the rest is not worth reading to keep the connection
            }
        }

        var envelope = JsonRpcEnvelope.ReadPrefix(prefix.Value.Span);
        if (envelope is { IsToolCall: true })
        {
            if (_authorizer.AuthenticationEnabled)
            {
                await IdentifyCallerAsync(context).ConfigureAwait(false); // for the record only: the answer is the same either way
            }

            Refuse(context, envelope, default, outcome, errorCode, message);
        }

        return envelope;
    }

    /// <summary>
    /// Audits a <c>tools/call</c> that the application's own middleware answered, or failed on, before it reached the MCP
    /// endpoint (<see cref="ApplicationRefusals"/>): the outcome follows the status the client received.
    /// </summary>
    internal async Task RecordAnsweredByApplicationAsync(HttpContext context, bool failed)
    {
        try
        {
            var (outcome, errorCode, message) = AnsweredByApplication(context, failed);
            await RecordUnreadToolCallAsync(context, prefix: null, outcome, errorCode, message).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The application's answer stands whatever happens here; the failure to record it is an error for operators.
            LogApplicationAnswerNotRecorded(_logger, ex);
        }
    }

    private static (ToolCallOutcome Outcome, string ErrorCode, string Message) AnsweredByApplication(HttpContext context, bool failed)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return (ToolCallOutcome.Cancelled, "client_disconnected", "The client closed the connection before the request reached the MCP endpoint.");
        }

        var status = failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        var outcome = status switch
        {
            StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => ToolCallOutcome.Denied,
            StatusCodes.Status429TooManyRequests => ToolCallOutcome.RateLimited,
            StatusCodes.Status503ServiceUnavailable => ToolCallOutcome.Unavailable,
            >= 500 => ToolCallOutcome.Failed,
            _ => ToolCallOutcome.Invalid,
        };
        var reason = ReasonPhrases.GetReasonPhrase(status);
        return (outcome, "refused_by_application",
            $"HTTP {status}{(reason.Length > 0 ? " " + reason : "")}, from the application's middleware before the MCP endpoint; the tool did not run.");
    }

    /// <summary>Ends an HTTP/1.x connection after the answer, instead of letting the server read the rest of the body to reuse it.</summary>
    private static void CloseConnection(HttpContext context)
    {
        // HTTP/2 and HTTP/3 end only the stream (and forbid the header).
        if (HttpProtocol.IsHttp10(context.Request.Protocol) || HttpProtocol.IsHttp11(context.Request.Protocol))
        {
            context.Response.Headers.Connection = "close";
        }
    }

    /// <summary>Reads up to <see cref="TooLargePrefixBytes"/> of a body the stage refuses without reading it all.</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadPrefixAsync(HttpContext context)
    {
        var prefix = new byte[TooLargePrefixBytes];
        var length = 0;
        try
        {
            int read;
            while (length < prefix.Length && (read = await context.Request.Body.ReadAsync(prefix.AsMemory(length), context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                length += read;
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or OperationCanceledException or IOException)
        {
            // The client went away, or sent a malformed body: what was read is all there is.
        }

        return prefix.AsMemory(0, length);
    }

    private Task WriteTooLargeAsync(HttpContext context, string? id = null) =>
        JsonRpcErrorWriter.WriteAsync(
            context,
            StatusCodes.Status413PayloadTooLarge,
            McpServiceErrorCodes.RequestRejected,
            _tooLargeMessage,
            writeData: w =>
            {
                w.WriteStartObject();
                w.WriteNumber("maxRequestBodySize", _maxBodySize);
                w.WriteEndObject();
            },
            id: id);

    // Warning the first time a value is refused and then every 5 minutes, Debug in between (RepeatedRefusals): events 1 and 2.
    private static readonly RepeatedRefusals.Messages HostRefusals = new(
        "host", new EventId(1, "HostRefused"), "Refused an MCP request for host '{Host}'", "it is not in McpService:AllowedHosts");

    private static readonly RepeatedRefusals.Messages OriginRefusals = new(
        "origin", new EventId(2, "OriginRefused"), "Refused an MCP request from origin '{Origin}'", "it is not in McpService:AllowedOrigins (DNS-rebinding protection)");

    [LoggerMessage(EventId = 4, Message = "MCP request refused with 401: {Reason}")]
    private static partial void LogAuthenticationFailed(ILogger logger, LogLevel level, string reason);

    [LoggerMessage(5, LogLevel.Debug, "MCP request refused with 503: its bearer token cannot be checked while the identity provider's metadata cannot be read (event 44 has the cause).")]
    private static partial void LogIdentityProviderUnavailable(ILogger logger);

    [LoggerMessage(6, LogLevel.Error, "A tools/call that the application's middleware answered before the MCP endpoint could not be audited.")]
    private static partial void LogApplicationAnswerNotRecorded(ILogger logger, Exception exception);

    [LoggerMessage(3, LogLevel.Error, "Unhandled exception while serving an MCP request; the client received a JSON-RPC internal error without details.")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);
}
