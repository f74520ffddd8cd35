using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace McpServices.AspNetCore;

/// <summary>
/// Turns the configuration binder's conversion failures ("Failed to convert configuration value 'x' at 'A:B' to type 'T'") into
/// configuration errors that name the setting, say what it accepts and how to set it, instead of a crash with a stack trace.
/// </summary>
internal static partial class ConfigurationBinding
{
    /// <summary>
    /// Binds <paramref name="section"/> to <paramref name="options"/>; a value that cannot be converted, or a setting the options
    /// do not have, is a <see cref="McpServiceConfigurationException"/>.
    /// </summary>
    public static void Bind(IConfigurationSection section, object options)
    {
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex) when (ex is not McpServiceConfigurationException)
        {
            throw new McpServiceConfigurationException(Describe(ex));
        }

        // The binder ignores keys it has no property for, so a misspelled setting — RequiredScope for RequiredScopes under a
        // tool's authorization — would leave a tool without its intended protection, silently.
        var unknown = new List<string>();
        FindUnknown(section, options.GetType(), unknown);
        if (unknown.Count > 0)
        {
            throw new McpServiceConfigurationException(
                $"Configuration has settings McpServices does not know: {string.Join("; ", unknown)}. A misspelled setting would be ignored, so fix or remove them (the settings are listed in docs/configuration.md).");
        }
    }

    /// <summary>Adds the paths of <paramref name="section"/>'s keys that <paramref name="type"/> has no property (or entries) for.</summary>
    private static void FindUnknown(IConfigurationSection section, Type type, List<string> unknown)
    {
        foreach (var child in section.GetChildren())
        {
            if (ElementType(type) is { } element)
            {
                FindUnknown(child, element, unknown); // a dictionary's keys and a list's indexes are the caller's to choose
                continue;
            }

            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || IsScalar(type))
            {
                var known = IsScalar(type) ? [] : type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToArray();
                var suggestion = NameSuggestion.Closest(child.Key, known);
                unknown.Add(suggestion is null ? child.Path : $"{child.Path} (did you mean {suggestion}?)");
                continue;
            }

            if (!IsScalar(property.PropertyType))
            {
                FindUnknown(child, property.PropertyType, unknown);
            }
        }
    }

    /// <summary>The entry type of a dictionary with string keys, or the element type of an array or list; otherwise <see langword="null"/>.</summary>
    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        foreach (var candidate in type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces())
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() == typeof(IDictionary<,>) && candidate.GetGenericArguments()[0] == typeof(string))
            {
                return candidate.GetGenericArguments()[1];
            }
        }

        return type != typeof(string) && type.GetInterfaces().Concat(type.IsInterface ? [type] : []).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)) is { } enumerable
            ? enumerable.GetGenericArguments()[0]
            : null;
    }

    /// <summary>Whether a value of <paramref name="type"/> is one setting (a string, number, enum, duration, URL …), not a section.</summary>
    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri)
            || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Guid);
    }

    /// <summary>An operator-facing sentence for a binder failure.</summary>
    public static string Describe(InvalidOperationException exception)
    {
        var match = FailedConversion().Match(exception.Message);
        if (!match.Success)
        {
            return exception.InnerException is { } inner ? $"{exception.Message} {inner.Message}" : exception.Message;
        }

        var (value, path, typeName) = (match.Groups["value"].Value, match.Groups["path"].Value, match.Groups["type"].Value);
        // The type may be in any loaded assembly: an enum of the MCP SDK's (McpService:SessionMode), of ASP.NET Core's, ….
        var type = Type.GetType(typeName) ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        var expected = Nullable.GetUnderlyingType(type ?? typeof(object)) ?? type;
        var accepts = expected switch
        {
            null => $"a {typeName}",
            { IsEnum: true } => $"one of: {string.Join(", ", Enum.GetNames(expected))}",
            _ when expected == typeof(TimeSpan) => "a duration such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (one day)",
            _ when expected == typeof(bool) => "true or false",
            _ when expected == typeof(int) || expected == typeof(long) => "a whole number",
            _ when expected == typeof(double) => "a number",
            _ when expected == typeof(Uri) => "an absolute URL",
            _ => $"a {expected.Name}",
        };
        return $"{path} is '{value}', which is not {accepts}. Fix it in configuration (as an environment variable: {path.Replace(":", "__", StringComparison.Ordinal)}).";
    }

    /// <summary>
    /// An operator-facing sentence for a value a component parsed itself (<c>bool.Parse</c> and the like): the settings of
    /// <paramref name="section"/> that hold the quoted value are named.
    /// </summary>
    public static string Describe(FormatException exception, IConfigurationSection? section)
    {
        var quoted = QuotedValue().Match(exception.Message);
        var keys = quoted.Success && section is not null
            ? section.AsEnumerable().Where(s => s.Value == quoted.Groups["value"].Value).Select(s => s.Key).Order(StringComparer.Ordinal).ToArray()
            : [];
        return keys.Length == 0
            ? exception.Message
            : $"{string.Join(", ", keys)} is '{quoted.Groups["value"].Value}': {exception.Message} Fix it in configuration.";
    }

    [GeneratedRegex("'(?<value>[^']*)'")]
    private static partial Regex QuotedValue();

    [GeneratedRegex("^Failed to convert configuration value '(?<value>.*)' at '(?<path>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex FailedConversion();
}
