using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace McpServices.Kubernetes;

/// <summary>An ordered YAML mapping: keys are written in the order they were added; <see langword="null"/> values are left out.</summary>
internal sealed class YamlMap : List<KeyValuePair<string, object?>>
{
    public void Add(string key, object? value) => Add(new KeyValuePair<string, object?>(key, value));
}

/// <summary>
/// A small, deterministic YAML writer for Kubernetes objects: block style, two-space indentation, sequences at their key's
/// indentation (as kubectl writes them), and strings quoted (JSON style, valid YAML) whenever a plain scalar could be read as
/// anything but that string.
/// </summary>
internal static partial class Yaml
{
    private static readonly JsonSerializerOptions Quoting = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(YamlMap document)
    {
        var text = new StringBuilder();
        WriteMap(text, document, 0);
        return text.ToString();
    }

    private static void WriteMap(StringBuilder text, YamlMap map, int indent, bool firstInline = false)
    {
        var first = true;
        foreach (var (key, value) in map)
        {
            if (value is null)
            {
                continue;
            }

            if (!(first && firstInline))
            {
                text.Append(' ', indent);
            }

            first = false;
            text.Append(Scalar(key)).Append(':');
            WriteValue(text, value, indent);
        }
    }

    private static void WriteValue(StringBuilder text, object value, int indent)
    {
        switch (value)
        {
            case YamlMap { Count: 0 }:
                text.Append(" {}\n");
                break;
            case YamlMap map:
                text.Append('\n');
                WriteMap(text, map, indent + 2);
                break;
            case System.Collections.IEnumerable sequence and not string:
                var items = sequence.Cast<object?>().Where(i => i is not null).ToList();
                if (items.Count == 0)
                {
                    text.Append(" []\n");
                    break;
                }

                text.Append('\n');
                foreach (var item in items)
                {
                    text.Append(' ', indent).Append("- ");
                    if (item is YamlMap { Count: > 0 } itemMap)
                    {
                        WriteMap(text, itemMap, indent + 2, firstInline: true);
                    }
                    else
                    {
                        text.Append(Scalar(item!)).Append('\n');
                    }
                }

                break;
            default:
                text.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    public static string Scalar(object value) => value switch
    {
        bool b => b ? "true" : "false",
        int or long => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        string s => NeedsQuotes(s) ? JsonSerializer.Serialize(s, Quoting) : s,
        _ => throw new ArgumentException($"Cannot write {value.GetType()} as YAML."),
    };

    private static bool NeedsQuotes(string s) =>
        s.Length == 0
        || !Plain().IsMatch(s)
        || Reserved().IsMatch(s)
        || Number().IsMatch(s);

    [GeneratedRegex(@"^[A-Za-z0-9_/.$(][A-Za-z0-9_/.$()=,+@~-]*(:[A-Za-z0-9_/.$()=,+@~-]+)*$")]
    private static partial Regex Plain();

    [GeneratedRegex(@"^(?i:y|n|yes|no|on|off|true|false|null|~)$")]
    private static partial Regex Reserved();

    /// <summary>Numbers in YAML 1.1 and 1.2 (including sexagesimal such as 00:00:25) and timestamps: quoted to stay strings.</summary>
    [GeneratedRegex(@"^[-+]?(\.?[0-9][0-9_]*)(\.[0-9_]*)?([eE][-+]?[0-9]+)?$|^0x[0-9a-fA-F]+$|^0o[0-7]+$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")]
    private static partial Regex Number();
}
