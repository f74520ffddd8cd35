using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace McpServices.AspNetCore;

/// <summary>
/// Turns the configuration binder's conversion failures ("Failed to convert configuration value 'x' at 'A:B' to type 'T'") into
/// configuration errors that name the setting, say what it accepts and how to set it, instead of a crash with a stack trace.
/// </summary>
internal static partial class ConfigurationBinding
{
    /// <summary>Binds <paramref name="section"/> to <paramref name="options"/>; a value that cannot be converted is a <see cref="McpServiceConfigurationException"/>.</summary>
    public static void Bind(IConfiguration section, object options)
    {
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex) when (ex is not McpServiceConfigurationException)
        {
            throw new McpServiceConfigurationException(Describe(ex));
        }
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
        var type = Type.GetType(typeName) ?? typeof(ConfigurationBinding).Assembly.GetType(typeName);
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
