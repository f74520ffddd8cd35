using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace McpServices.AspNetCore;

/// <summary>Derives the default service name and version from the application assembly.</summary>
internal static partial class ServiceNaming
{
    // An RFC 1035 label, as Kubernetes requires of a Service name (which the generated manifests use): unlike a namespace or
    // a label value, it must start with a letter.
    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    internal static partial Regex ServiceName();

    // SemVer 2.0.0, https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", RegexOptions.CultureInvariant)]
    internal static partial Regex SemVer();

    /// <summary>
    /// The default service name for an application name: its kebab-case (<c>Contoso.InventoryAPI</c> to
    /// <c>contoso-inventory-api</c>) with accents removed (<c>Über</c> to <c>uber</c>), <c>mcp-</c> in front when it would start
    /// with a digit (<c>2fa</c> to <c>mcp-2fa</c>) and cut to 63 characters, so that any project name gives a valid name.
    /// McpServices.Kubernetes.targets computes the same name in MSBuild (McpServiceName); a test keeps the two in step.
    /// </summary>
    internal static string ToServiceName(string applicationName)
    {
        var name = ToKebabCase(RemoveAccents(applicationName));
        if (name.Length > 0 && char.IsAsciiDigit(name[0]))
        {
            name = "mcp-" + name;
        }

        return name.Length > 63 ? name[..63].TrimEnd('-') : name;
    }

    /// <summary>Converts <c>Contoso.InventoryAPI</c> to <c>contoso-inventory-api</c>; characters other than ASCII letters and digits separate words.</summary>
    private static string ToKebabCase(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsAsciiLetterUpper(c))
            {
                var previous = i > 0 ? value[i - 1] : '\0';
                var next = i + 1 < value.Length ? value[i + 1] : '\0';
                var startsWord = i > 0 && (char.IsAsciiLetterLower(previous) || char.IsAsciiDigit(previous) || (char.IsAsciiLetterUpper(previous) && char.IsAsciiLetterLower(next)));
                if (startsWord && sb.Length > 0 && sb[^1] != '-')
                {
                    sb.Append('-');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(c);
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }
        }

        return sb.ToString().Trim('-');
    }

    private static string RemoveAccents(string value)
    {
        var decomposed = value.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>The version of the McpServices library itself (its telemetry scope version).</summary>
    internal static string LibraryVersion { get; } = StripBuildMetadata(
        typeof(ServiceNaming).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0");

    internal static string? GetInformationalVersion(string? applicationName)
    {
        var assembly = LoadApplicationAssembly(applicationName);
        var informational = assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrWhiteSpace(informational))
        {
            var version = assembly?.GetName().Version;
            return version is null ? null : $"{version.Major}.{version.Minor}.{Math.Max(version.Build, 0)}";
        }

        return StripBuildMetadata(informational);
    }

    internal static string StripBuildMetadata(string version)
    {
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }

    private static Assembly? LoadApplicationAssembly(string? applicationName)
    {
        if (!string.IsNullOrEmpty(applicationName))
        {
            try
            {
                return Assembly.Load(new AssemblyName(applicationName));
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                // Fall back to the entry assembly.
            }
        }

        return Assembly.GetEntryAssembly();
    }
}
