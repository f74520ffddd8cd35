using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

var builder = WebApplication.CreateBuilder(args);
builder.AddMcpService().WithTools<GreetingTools>();   // options from the "McpService" configuration section
var app = builder.Build();
app.MapMcpService();                                  // POST /mcp, GET /livez, GET /readyz
app.Run();

public class GreetingTools                            // a plain class: its public methods become tools
{
    [Description("Greets someone by name.")]
    public string Greet([Required, StringLength(50)] string name) => $"Hello, {name}!";
}
