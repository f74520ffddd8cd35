using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace McpServices.AspNetCore;

/// <summary>
/// Plugs McpServices into every <see cref="McpServerOptions"/> the SDK creates (once per request when stateless, so it must stay cheap):
/// the service identity as <c>serverInfo</c>, the tool-call pipeline as the outermost call-tool filter, the resource URI in
/// <c>resources/read</c> errors, the missing and undeclared arguments in <c>prompts/get</c> errors, and the authorization of
/// prompts and resources (outermost, so that a refused request is judged on nothing else).
/// </summary>
internal sealed class McpServerOptionsSetup(ServiceIdentity identity, ToolCallPipeline pipeline, PrimitiveAuthorizer primitives, IOptions<McpServiceOptions> serviceOptions) : IPostConfigureOptions<McpServerOptions>
{
    private readonly McpRequestFilter<GetPromptRequestParams, GetPromptResult> _authorizePrompt = primitives.GetPromptFilter;
    private readonly McpRequestFilter<ReadResourceRequestParams, ReadResourceResult> _authorizeRead = primitives.ReadResourceFilter;
    private readonly McpRequestFilter<ListPromptsRequestParams, ListPromptsResult> _listPrompts = primitives.ListPromptsFilter;
    private readonly McpRequestFilter<ListResourcesRequestParams, ListResourcesResult> _listResources = primitives.ListResourcesFilter;
    private readonly McpRequestFilter<ListResourceTemplatesRequestParams, ListResourceTemplatesResult> _listTemplates = primitives.ListResourceTemplatesFilter;
    private readonly McpRequestFilter<CompleteRequestParams, CompleteResult> _authorizeCompletion = primitives.CompleteFilter;
    private readonly McpRequestFilter<SubscribeRequestParams, EmptyResult> _authorizeSubscription = primitives.SubscribeFilter;

    private readonly McpRequestFilter<GetPromptRequestParams, GetPromptResult> _promptFilter = PromptArgumentsFilter.Create(serviceOptions.Value.AllowUnknownArguments);

    private readonly Implementation _serverInfo = new()
    {
        Name = identity.Name,
        Version = identity.Version,
        Description = identity.Description,
    };

    public void PostConfigure(string? name, McpServerOptions options)
    {
        options.ServerInfo = _serverInfo;
        var filters = options.Filters.Request;
        filters.CallToolFilters.Insert(0, pipeline.CallToolFilter);
        filters.ListToolsFilters.Insert(0, pipeline.ListToolsFilter);
        filters.ReadResourceFilters.Insert(0, ResourceReadFilter.Instance);
        filters.ReadResourceFilters.Insert(0, _authorizeRead);
        filters.GetPromptFilters.Insert(0, _promptFilter);
        filters.GetPromptFilters.Insert(0, _authorizePrompt);
        filters.ListPromptsFilters.Insert(0, _listPrompts);
        filters.ListResourcesFilters.Insert(0, _listResources);
        filters.ListResourceTemplatesFilters.Insert(0, _listTemplates);
        filters.CompleteFilters.Insert(0, _authorizeCompletion);
        filters.SubscribeToResourcesFilters.Insert(0, _authorizeSubscription);
    }
}
