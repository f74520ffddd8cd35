using Microsoft.Extensions.Options;

namespace McpServices.AspNetCore;

/// <summary>The resolved identity of the running service: one name and one version used everywhere.</summary>
internal sealed class ServiceIdentity
{
    public ServiceIdentity(IOptions<McpServiceOptions> options)
    {
        var value = options.Value;
        Name = value.Name!;
        Version = value.Version!;
        Description = value.Description;
        InstanceId = Guid.NewGuid().ToString("D");
        HostName = Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.GetEnvironmentVariable("HOSTNAME") ?? Environment.MachineName;
    }

    public string Name { get; }

    public string Version { get; }

    public string? Description { get; }

    /// <summary>Unique per process, as OpenTelemetry recommends for <c>service.instance.id</c>.</summary>
    public string InstanceId { get; }

    /// <summary>The pod (or machine) name, when the environment provides one.</summary>
    public string HostName { get; }
}
