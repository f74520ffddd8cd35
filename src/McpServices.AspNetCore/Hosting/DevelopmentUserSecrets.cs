using System.Reflection;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.UserSecrets;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace McpServices.AspNetCore;

/// <summary>
/// In Development the host reads the user secrets with reload on change — but only if their folder exists when the application
/// starts: otherwise it watches nothing. A service fresh from <c>dotnet new mcp-service</c> has no such folder until
/// <c>dotnet user-jwts create</c> makes it, while the service may already run; this creates the folder and puts a watching
/// source in place of the host's, at the same precedence, so that the signing key is read as soon as it is written.
/// </summary>
internal static class DevelopmentUserSecrets
{
    private const string FileName = "secrets.json";

    public static void WatchEvenIfMissing(IHostApplicationBuilder builder)
    {
        if (!builder.Environment.IsDevelopment() || string.IsNullOrEmpty(builder.Environment.ApplicationName))
        {
            return;
        }

        try
        {
            var assembly = Assembly.Load(new AssemblyName(builder.Environment.ApplicationName));
            if (assembly.GetCustomAttribute<UserSecretsIdAttribute>() is not { } id)
            {
                return;
            }

            var folder = Path.GetDirectoryName(PathHelper.GetSecretsPathFromSecretsId(id.UserSecretsId))!;
            var sources = builder.Configuration.Sources;
            var index = -1;
            for (var i = 0; i < sources.Count; i++)
            {
                if (sources[i] is JsonConfigurationSource { Path: FileName, ReloadOnChange: true })
                {
                    index = i;
                }
            }

            if (index < 0 || Directory.Exists(folder))
            {
                return; // no user secrets source, or one whose folder existed when it was added, which it watches
            }

            Directory.CreateDirectory(folder);
            sources[index] = new JsonConfigurationSource
            {
                FileProvider = new PhysicalFileProvider(folder),
                Path = FileName,
                Optional = true,
                ReloadOnChange = true,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException)
        {
            // A convenience for development: without it, a key written later is read when the service restarts.
        }
    }
}
