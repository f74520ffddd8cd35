using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace McpServices.AspNetCore;

/// <summary>
/// Finds numbers beyond the range of a <see langword="float"/> where an argument's type has one below its top level: the
/// serializer reads <c>1e39</c> there as an infinity, and the input schema cannot say so (it says <c>number</c> for a
/// <see langword="float"/> and a <see langword="double"/> alike), so <see cref="SchemaCheck"/> cannot see it. Walks the JSON
/// along the type's serialization metadata, only for argument types that contain a <see langword="float"/> (decided once).
/// </summary>
internal static class FloatRange
{
    private const int MaxDepth = 32;

    /// <summary>Whether a value of <paramref name="type"/> has a <see langword="float"/> (or <see langword="float"/>?) below its top level.</summary>
    public static bool HasNestedFloat(Type type, JsonSerializerOptions options)
    {
        var seen = new HashSet<Type>();
        return Children(Nullable.GetUnderlyingType(type) ?? type, options).Any(child => Contains(child, options, seen));
    }

    /// <summary>Adds an error for every number in <paramref name="value"/> that a nested <see langword="float"/> would read as an infinity.</summary>
    public static void Check(JsonElement value, Type type, JsonSerializerOptions options, string path, ref List<ArgumentError>? errors) =>
        Check(value, type, options, path, ref errors, depth: 0);

    private static bool Contains(Type type, JsonSerializerOptions options, HashSet<Type> seen)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(float) || (seen.Add(type) && Children(type, options).Any(child => Contains(child, options, seen)));
    }

    private static IEnumerable<Type> Children(Type type, JsonSerializerOptions options) =>
        TypeShapes.IsSimple(type) ? [] : options.TryGetTypeInfo(type) switch
        {
            { Kind: JsonTypeInfoKind.Object } info => info.Properties.Select(p => p.PropertyType),
            { Kind: JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary, ElementType: { } element } => [element],
            _ => [],
        };

    private static void Check(JsonElement value, Type type, JsonSerializerOptions options, string path, ref List<ArgumentError>? errors, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(float))
        {
            // Numbers beyond a double's range (1e400) are the schema check's: it reports them for float and double alike.
            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number) && !float.IsFinite((float)number))
            {
                (errors ??= []).Add(new ArgumentError(path, SchemaCheck.NotFinite(path)));
            }

            return;
        }

        if (depth > MaxDepth || TypeShapes.IsSimple(type))
        {
            return;
        }

        switch (options.TryGetTypeInfo(type))
        {
            case { Kind: JsonTypeInfoKind.Object } info when value.ValueKind == JsonValueKind.Object:
                var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                foreach (var member in value.EnumerateObject())
                {
                    if (info.Properties.FirstOrDefault(p => string.Equals(p.Name, member.Name, comparison)) is { } property)
                    {
                        Check(member.Value, property.PropertyType, options, $"{path}.{member.Name}", ref errors, depth + 1);
                    }
                }

                break;
            case { Kind: JsonTypeInfoKind.Enumerable, ElementType: { } element } when value.ValueKind == JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Check(item, element, options, $"{path}[{index++}]", ref errors, depth + 1);
                }

                break;
            case { Kind: JsonTypeInfoKind.Dictionary, ElementType: { } element } when value.ValueKind == JsonValueKind.Object:
                foreach (var member in value.EnumerateObject())
                {
                    Check(member.Value, element, options, $"{path}.{member.Name}", ref errors, depth + 1);
                }

                break;
        }
    }
}
