using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using McpServices.AspNetCore;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers tool classes with an MCP service.</summary>
public static class McpServiceToolsBuilderExtensions
{
    /// <summary>
    /// Exposes the tools of <typeparamref name="TTools"/>: its methods marked <see cref="McpServerToolAttribute"/> if it has any,
    /// otherwise every public method (for a plain class, its public instance methods; for a static class, its public static methods).
    /// Tool names default to the method name in snake_case without <c>Async</c>; descriptions come from <c>[Description]</c>.
    /// An instance of <typeparamref name="TTools"/> is created per call with constructor injection from the request's services.
    /// </summary>
    /// <typeparam name="TTools">The tool class.</typeparam>
    /// <param name="builder">The MCP service builder.</param>
    /// <param name="serializerOptions">JSON options for binding arguments and serializing results; the default is the MCP SDK's options.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IMcpServiceBuilder WithTools<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] TTools>(
        this IMcpServiceBuilder builder,
        JsonSerializerOptions? serializerOptions = null)
        => builder.WithTools(typeof(TTools), serializerOptions);

    /// <summary>Exposes the tools of <paramref name="toolType"/>; see <see cref="WithTools{TTools}(IMcpServiceBuilder, JsonSerializerOptions?)"/>.</summary>
    /// <param name="builder">The MCP service builder.</param>
    /// <param name="toolType">The tool class.</param>
    /// <param name="serializerOptions">JSON options for binding arguments and serializing results; the default is the MCP SDK's options.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IMcpServiceBuilder WithTools(
        this IMcpServiceBuilder builder,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] Type toolType,
        JsonSerializerOptions? serializerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(toolType);

        var methods = ToolFactory.GetToolMethods(toolType);
        if (methods.Count == 0)
        {
            // Like an MVC controller, a class that is not static exposes its instance methods; its static ones are helpers.
            var statics = toolType.IsAbstract && toolType.IsSealed
                ? []
                : toolType.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Where(m => !m.IsSpecialName).Select(m => m.Name).Distinct().ToArray();
            throw new InvalidOperationException(statics.Length > 0
                ? $"WithTools({toolType.Name}): the class has no public instance methods and no methods marked [McpServerTool]; its public static methods ({string.Join(", ", statics)}) are tools only of a static class. Make them instance methods, make the class static, or mark them [McpServerTool]."
                : $"WithTools({toolType.Name}): the class has no public methods and no methods marked [McpServerTool]. Add public methods (each becomes a tool) or mark the tool methods with [McpServerTool].");
        }

        if (builder.Services.Any(d => d.ServiceType == typeof(RegisteredToolClass) && d.ImplementationInstance is RegisteredToolClass registered && registered.Type == toolType))
        {
            throw new InvalidOperationException($"WithTools({toolType.Name}) was already called: each tool class is registered once. Remove the second call.");
        }

        builder.Services.AddSingleton(new RegisteredToolClass(toolType));
        var options = serializerOptions ?? McpJsonUtilities.DefaultOptions;
        foreach (var method in methods)
        {
            builder.Services.AddSingleton(services => ToolFactory.Create(toolType, method, services, options));
        }

        return builder;
    }
}
