using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace McpServices.AspNetCore;

/// <summary>
/// Which argument values audit records must not show: parameters and (recursively) properties marked <see cref="SensitiveAttribute"/>,
/// and configured paths. A path is a list of JSON segments where <c>*</c> matches any property or array index and <c>**</c> any
/// number of segments; names match ignoring case.
/// </summary>
internal sealed class Redaction
{
    public const string Placeholder = "[redacted]";

    /// <summary>A segment of a declared path that matches any number of segments (a recursive type's paths).</summary>
    private const string Globstar = "**";
    private const int MaxDepth = 8;

    private readonly Pattern[] _patterns;

    private Redaction(Pattern[] patterns)
    {
        _patterns = patterns;
    }

    public static Redaction None { get; } = new([]);

    public bool IsEmpty => _patterns.Length == 0;

    /// <summary>The sensitive paths a tool declares with <see cref="SensitiveAttribute"/>, as dotted strings (for the self-description).</summary>
    public static IReadOnlyList<string> DeclaredPaths(ToolDescriptor tool)
    {
        var paths = new List<string>();
        if (tool.Method is null)
        {
            return paths;
        }

        var options = tool.Source?.SerializerOptions ?? ModelContextProtocol.McpJsonUtilities.DefaultOptions;
        foreach (var argument in tool.Arguments.Arguments)
        {
            if (argument.Parameter.IsDefined(typeof(SensitiveAttribute), inherit: true))
            {
                paths.Add(argument.Name);
                continue;
            }

            Collect(argument.Type, argument.Name, options, paths, depth: 0, []);
        }

        return paths.Distinct(StringComparer.Ordinal).ToList();
    }

    public static Redaction For(ToolDescriptor? tool, string toolName, IEnumerable<string> configuredPaths)
    {
        var patterns = new List<string[]>();
        foreach (var path in tool is null ? [] : DeclaredPaths(tool))
        {
            patterns.Add(path.Split('.'));
        }

        foreach (var configured in configuredPaths)
        {
            var (onlyFor, segments) = ParseConfigured(configured);
            if ((onlyFor is null || string.Equals(onlyFor, toolName, StringComparison.OrdinalIgnoreCase)) && segments is not [""])
            {
                patterns.Add(segments);
            }
        }

        return patterns.Count == 0 ? None : new Redaction([.. patterns.Select(p => new Pattern(p, Array.IndexOf(p, Globstar) >= 0))]);
    }

    /// <summary>
    /// A configured path (<c>McpService:Audit:RedactPaths</c>): the tool it is limited to (<c>&lt;tool&gt;:</c>, named in any case like
    /// every per-tool setting), if any, and its segments.
    /// </summary>
    public static (string? Tool, string[] Segments) ParseConfigured(string configured)
    {
        var colon = configured.IndexOf(':', StringComparison.Ordinal);
        return (colon >= 0 ? configured[..colon] : null, (colon >= 0 ? configured[(colon + 1)..] : configured).Trim().Split('.'));
    }

    /// <summary>
    /// Whether a configured path can name a value that a tool's input schema allows: <see langword="false"/> only when the
    /// schema rules it out (a property that a schema listing its properties does not have, an index into a value that is not
    /// an array, a property of a string or number). Open schemas (a dictionary, <c>JsonElement</c>, an unresolved reference)
    /// allow any path.
    /// </summary>
    public static bool CanMatch(JsonElement schema, ReadOnlySpan<string> segments) => CanMatch(schema, schema, segments, depth: 0);

    private static bool CanMatch(JsonElement root, JsonElement schema, ReadOnlySpan<string> segments, int depth)
    {
        if (segments.IsEmpty || depth > 32 || schema.ValueKind != JsonValueKind.Object || segments[0] == Globstar)
        {
            return true; // ** can match at any depth: not worth proving which
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            return SchemaCheck.ResolvePointer(root, reference.GetString()) is not { } target || CanMatch(root, target, segments, depth + 1);
        }

        foreach (var combinator in (ReadOnlySpan<string>)["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(combinator, out var branches) && branches.ValueKind == JsonValueKind.Array)
            {
                foreach (var branch in branches.EnumerateArray())
                {
                    if (CanMatch(root, branch, segments, depth + 1))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        var segment = segments[0];
        var rest = segments[1..];
        var closed = false;
        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            closed = true;
            foreach (var property in properties.EnumerateObject())
            {
                if ((segment == "*" || string.Equals(property.Name, segment, StringComparison.OrdinalIgnoreCase)) && CanMatch(root, property.Value, rest, depth + 1))
                {
                    return true;
                }
            }
        }

        if (schema.TryGetProperty("additionalProperties", out var additional))
        {
            closed = true;
            if (additional.ValueKind == JsonValueKind.True || (additional.ValueKind == JsonValueKind.Object && CanMatch(root, additional, rest, depth + 1)))
            {
                return true;
            }
        }

        if (schema.TryGetProperty("items", out var items))
        {
            closed = true;
            if ((segment == "*" || segment.All(char.IsAsciiDigit)) && CanMatch(root, items, rest, depth + 1))
            {
                return true;
            }
        }

        // A schema that says nothing about its contents allows any path, unless it only allows strings, numbers, booleans or null.
        return !closed && !(schema.TryGetProperty("type", out var type) && IsScalarOnly(type));
    }

    private static bool IsScalarOnly(JsonElement type) => type.ValueKind switch
    {
        JsonValueKind.String => type.GetString() is "string" or "number" or "integer" or "boolean" or "null",
        JsonValueKind.Array => type.EnumerateArray().All(IsScalarOnly),
        _ => false,
    };

    /// <summary>Writes the arguments object with sensitive values replaced.</summary>
    public void WriteArguments(Utf8JsonWriter writer, IDictionary<string, JsonElement> arguments)
    {
        writer.WriteStartObject();
        if (IsEmpty)
        {
            foreach (var (name, value) in arguments)
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
            return;
        }

        var path = new List<string>(8);
        foreach (var (name, value) in arguments)
        {
            writer.WritePropertyName(name);
            path.Add(name);
            WriteValue(writer, value, path);
            path.RemoveAt(path.Count - 1);
        }

        writer.WriteEndObject();
    }

    private void WriteValue(Utf8JsonWriter writer, JsonElement value, List<string> path)
    {
        if (Matches(path))
        {
            writer.WriteStringValue(Placeholder);
            return;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object when !IsEmpty && path.Count < 64:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    path.Add(property.Name);
                    WriteValue(writer, property.Value, path);
                    path.RemoveAt(path.Count - 1);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array when !IsEmpty && path.Count < 64:
                writer.WriteStartArray();
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    path.Add(index++.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    WriteValue(writer, item, path);
                    path.RemoveAt(path.Count - 1);
                }

                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    /// <summary>Whether the field an argument error is about is one whose value records must not show.</summary>
    public bool Matches(ArgumentError error) => Matches(error.Segments());

    private bool Matches(List<string> path)
    {
        foreach (var pattern in _patterns)
        {
            if ((pattern.Segments.Length == path.Count || pattern.AnyDepth) && Matches(pattern.Segments, 0, path, 0))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(string[] pattern, int p, List<string> path, int s)
    {
        for (; p < pattern.Length; p++, s++)
        {
            if (pattern[p] == Globstar)
            {
                for (var rest = s; rest <= path.Count; rest++)
                {
                    if (Matches(pattern, p + 1, path, rest))
                    {
                        return true;
                    }
                }

                return false;
            }

            // Ignoring case: the MCP SDK's serializer binds "Password" to the property that "password" names, so the tool
            // receives it either way, and the audit trail must not show it either way.
            if (s == path.Count || (pattern[p] != "*" && !string.Equals(pattern[p], path[s], StringComparison.OrdinalIgnoreCase)))
            {
                return false;
            }
        }

        return s == path.Count;
    }

    /// <summary>
    /// Adds the paths below <paramref name="prefix"/> that <paramref name="type"/> marks sensitive. A type that contains itself
    /// (a tree: <c>record Folder([Sensitive] string Token, List&lt;Folder&gt; Children)</c>) has its paths written with <c>**</c>
    /// (<c>root.**.token</c>): they are sensitive at every depth, however deep a client nests the value.
    /// </summary>
    private static void Collect(Type type, string prefix, JsonSerializerOptions options, List<string> paths, int depth, Dictionary<Type, bool> onStack)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (depth > MaxDepth || TypeShapes.IsSimple(type))
        {
            return;
        }

        if (onStack.ContainsKey(type))
        {
            onStack[type] = true; // recursion: the occurrence further up writes its paths for every depth
            return;
        }

        onStack[type] = false;
        var first = paths.Count;
        if (TypeShapes.GetElementType(type) is { } element)
        {
            Collect(element, prefix + ".*", options, paths, depth + 1, onStack);
        }
        else if (options.TryGetTypeInfo(type) is { } info)
        {
            if (info.Kind == JsonTypeInfoKind.Dictionary && info.ElementType is { } valueType)
            {
                Collect(valueType, prefix + ".*", options, paths, depth + 1, onStack); // Dictionary<string, Credential>
            }
            else if (info.Kind == JsonTypeInfoKind.Object)
            {
                foreach (var property in info.Properties)
                {
                    var path = prefix + "." + property.Name;
                    // On a positional record, [Sensitive] sits on the constructor parameter the property is bound through.
                    if ((property.AttributeProvider is MemberInfo member && member.IsDefined(typeof(SensitiveAttribute), inherit: true))
                        || property.AssociatedParameter?.AttributeProvider?.IsDefined(typeof(SensitiveAttribute), inherit: true) == true)
                    {
                        paths.Add(path);
                    }
                    else
                    {
                        Collect(property.PropertyType, path, options, paths, depth + 1, onStack);
                    }
                }

                // A polymorphic type ([JsonDerivedType]): the members of the types a value may be, at the same path.
                foreach (var derived in info.PolymorphismOptions?.DerivedTypes ?? [])
                {
                    if (derived.DerivedType != type)
                    {
                        Collect(derived.DerivedType, prefix, options, paths, depth + 1, onStack);
                    }
                }
            }
        }

        if (onStack[type])
        {
            for (var i = first; i < paths.Count; i++)
            {
                paths[i] = prefix + "." + Globstar + paths[i][prefix.Length..];
            }
        }

        onStack.Remove(type);
    }

    /// <summary>A path's segments, and whether it has a <c>**</c> (decided once: the writer matches every argument node).</summary>
    private readonly record struct Pattern(string[] Segments, bool AnyDepth);
}
