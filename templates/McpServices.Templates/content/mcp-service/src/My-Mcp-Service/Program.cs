using FluentValidation;
using My_Mcp_Service.Tools;

var builder = WebApplication.CreateBuilder(args);

// Validators for tool arguments (FluentValidation) run before a tool is invoked.
builder.Services.AddValidatorsFromAssemblyContaining<Program>();

// Authentication, per-tool scopes, validation, audit and OpenTelemetry are on by default; settings live in appsettings.json.
builder.AddMcpService()
    .WithTools<TicketTools>();

var app = builder.Build();
//#if (AuthJwt)
app.MapMcpService();   // /mcp, /livez, /readyz, /.well-known/oauth-protected-resource/mcp
//#else
app.MapMcpService();   // /mcp, /livez, /readyz
//#endif
app.Run();

/// <summary>The entry point, visible to the tests (McpServiceFactory&lt;Program&gt;).</summary>
public partial class Program;
