using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using McpServices.AspNetCore;
using ModelContextProtocol.Server;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds prompts, resources and other MCP server features to an MCP service. They are served through the same endpoint and
/// HTTP stage as tools (Origin and Host checks, body limit, authentication).
/// </summary>
public static class McpServiceServerBuilderExtensions
{
    /// <summary>Exposes the prompts of <typeparamref name="TPrompts"/> (its methods marked <see cref="McpServerPromptAttribute"/>).</summary>
    /// <typeparam name="TPrompts">The prompt class.</typeparam>
    /// <param name="builder">The MCP service builder.</param>
    /// <param name="serializerOptions">JSON options for arguments and results; the default is the MCP SDK's options.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IMcpServiceBuilder WithPrompts<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] TPrompts>(
        this IMcpServiceBuilder builder,
        JsonSerializerOptions? serializerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMcpServer().WithPrompts<TPrompts>(serializerOptions);
        return builder;
    }

    /// <summary>Exposes the resources and resource templates of <typeparamref name="TResources"/> (its methods marked <see cref="McpServerResourceAttribute"/>).</summary>
    /// <typeparam name="TResources">The resource class.</typeparam>
    /// <param name="builder">The MCP service builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IMcpServiceBuilder WithResources<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] TResources>(
        this IMcpServiceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMcpServer().WithResources<TResources>();
        return builder;
    }

    /// <summary>
    /// Configures the underlying MCP SDK server directly — for features McpServices does not wrap, such as completion, resource
    /// subscriptions or the logging-level handler: <c>.WithMcpServer(mcp => mcp.WithCompleteHandler(…))</c>.
    /// Do not call the SDK's <c>AddAuthorizationFilters()</c>: McpServices authorizes tool calls itself.
    /// </summary>
    /// <param name="builder">The MCP service builder.</param>
    /// <param name="configure">Configures the SDK's server builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IMcpServiceBuilder WithMcpServer(this IMcpServiceBuilder builder, Action<IMcpServerBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        configure(builder.Services.AddMcpServer());
        return builder;
    }
}
