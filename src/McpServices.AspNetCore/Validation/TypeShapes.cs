using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace McpServices.AspNetCore;

/// <summary>Classifies CLR types the way JSON Schema sees them.</summary>
internal static class TypeShapes
{
    public static bool IsSimple(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive
            || type == typeof(Int128)
            || type == typeof(UInt128)
            || type == typeof(Half)
            || type.IsEnum
            || type == typeof(string)
            || type == typeof(decimal)
            || type == typeof(DateTime)
            || type == typeof(DateTimeOffset)
            || type == typeof(DateOnly)
            || type == typeof(TimeOnly)
            || type == typeof(TimeSpan)
            || type == typeof(Guid)
            || type == typeof(Uri)
            || IsBase64(type)
            || type == typeof(JsonElement)
            || typeof(JsonNode).IsAssignableFrom(type)
            || type == typeof(object);
    }

    /// <summary>How <paramref name="options"/> serializes <paramref name="type"/> (its nullable's underlying type), or
    /// <see langword="null"/> when its resolver does not know the type.</summary>
    public static JsonTypeInfo? TryGetTypeInfo(this JsonSerializerOptions options, Type type)
    {
        try
        {
            return options.GetTypeInfo(Nullable.GetUnderlyingType(type) ?? type);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Whether System.Text.Json writes <paramref name="type"/> as a base64 string (a byte array, not an array of numbers).</summary>
    public static bool IsBase64(Type type) =>
        type == typeof(byte[]) || type == typeof(Memory<byte>) || type == typeof(ReadOnlyMemory<byte>);

    /// <summary>The element type of a collection (not a string, byte array or dictionary), or <see langword="null"/>.</summary>
    public static Type? GetElementType(Type type)
    {
        if (type == typeof(string) || IsBase64(type) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        var element = enumerable?.GetGenericArguments()[0];
        if (element is { IsGenericType: true } && element.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
        {
            return null;
        }

        return element;
    }

    /// <summary>
    /// What a value of <paramref name="type"/> must be, as <see cref="Describe(Type, JsonSerializerOptions)"/> says it, with the
    /// bounds <paramref name="schema"/> sets on a number (a <c>[Range(1, 50)]</c> parameter's <c>minimum</c> and <c>maximum</c>):
    /// <c>an integer from 1 to 50</c> for <c>5.5</c>, not the whole range of an <c>int</c>, which the caller cannot send either.
    /// </summary>
    public static string Describe(Type type, JsonSerializerOptions serializerOptions, JsonElement schema)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (schema.ValueKind == JsonValueKind.Object && !underlying.IsEnum)
        {
            var minimum = Bound(schema, "minimum");
            var maximum = Bound(schema, "maximum");
            var exclusiveMinimum = Bound(schema, "exclusiveMinimum");
            var exclusiveMaximum = Bound(schema, "exclusiveMaximum");
            if (IntegerRange(underlying) is { } range)
            {
                if (minimum is not null || maximum is not null || exclusiveMinimum is not null || exclusiveMaximum is not null)
                {
                    var from = Math.Max(range.Min, minimum is { } min ? Math.Ceiling(min) : exclusiveMinimum is { } above ? Math.Floor(above) + 1 : range.Min);
                    var to = Math.Min(range.Max, maximum is { } max ? Math.Floor(max) : exclusiveMaximum is { } below ? Math.Ceiling(below) - 1 : range.Max);
                    if (from <= to)
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"an integer from {from} to {to}");
                    }
                }
            }
            else if (IsFloatingOrDecimal(underlying) && minimum is { } min && maximum is { } max && min <= max)
            {
                return string.Create(CultureInfo.InvariantCulture, $"a number from {min} to {max}");
            }
        }

        return Describe(type, serializerOptions);
    }

    /// <summary>A numeric keyword of a schema, when it is a number a <see cref="decimal"/> holds.</summary>
    private static decimal? Bound(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var bound) ? bound : null;

    /// <summary>The values of an integer type up to 64 bits, or <see langword="null"/> for another type.</summary>
    private static (decimal Min, decimal Max)? IntegerRange(Type type) => type switch
    {
        _ when type == typeof(byte) => (byte.MinValue, byte.MaxValue),
        _ when type == typeof(sbyte) => (sbyte.MinValue, sbyte.MaxValue),
        _ when type == typeof(short) => (short.MinValue, short.MaxValue),
        _ when type == typeof(ushort) => (ushort.MinValue, ushort.MaxValue),
        _ when type == typeof(int) => (int.MinValue, int.MaxValue),
        _ when type == typeof(uint) => (uint.MinValue, uint.MaxValue),
        _ when type == typeof(long) => (long.MinValue, long.MaxValue),
        _ when type == typeof(ulong) => (ulong.MinValue, ulong.MaxValue),
        _ => null,
    };

    private static bool IsFloatingOrDecimal(Type type) => type == typeof(double) || type == typeof(float) || type == typeof(decimal) || type == typeof(Half);

    /// <summary>What a value of <paramref name="type"/> must be, in the caller's terms (JSON, not CLR); enum members named as
    /// <paramref name="serializerOptions"/> write them, which is how the tool's input schema lists them.</summary>
    public static string Describe(Type type, JsonSerializerOptions serializerOptions)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsEnum)
        {
            var names = string.Join(", ", Enum.GetValues(underlying).Cast<object>().Distinct().Select(value =>
            {
                var json = JsonSerializer.SerializeToElement(value, underlying, serializerOptions);
                return json.ValueKind == JsonValueKind.String ? json.GetString() : json.GetRawText();
            }));
            return underlying.IsDefined(typeof(FlagsAttribute), inherit: false)
                ? $"one or more of: {names} (several separated by ', ')"
                : $"one of: {names}";
        }

        return underlying switch
        {
            _ when underlying == typeof(bool) => "a boolean",
            // The SDK's schema says only "integer", so the message gives the range: 99999999999 is an integer, but not an int.
            _ when IntegerRange(underlying) is { } range => string.Create(CultureInfo.InvariantCulture, $"an integer from {range.Min} to {range.Max}"),
            _ when underlying == typeof(Int128) => string.Create(CultureInfo.InvariantCulture, $"an integer from {Int128.MinValue} to {Int128.MaxValue}"),
            _ when underlying == typeof(UInt128) => string.Create(CultureInfo.InvariantCulture, $"an integer from {UInt128.MinValue} to {UInt128.MaxValue}"),
            _ when underlying == typeof(Half) => string.Create(CultureInfo.InvariantCulture, $"a number from {(float)Half.MinValue} to {(float)Half.MaxValue}"),
            _ when underlying == typeof(float) || underlying == typeof(double) => "a number",
            // 1e30 is a number, but not a decimal: say which numbers.
            _ when underlying == typeof(decimal) => string.Create(CultureInfo.InvariantCulture, $"a number from {decimal.MinValue} to {decimal.MaxValue}"),
            _ when underlying == typeof(string) => "a string",
            _ when underlying == typeof(char) => "a string of one character",
            _ when underlying == typeof(DateTime) || underlying == typeof(DateTimeOffset) => "a date-time string (ISO 8601)",
            _ when underlying == typeof(DateOnly) => "a date string (yyyy-MM-dd)",
            _ when underlying == typeof(TimeOnly) => "a time string (HH:mm:ss)",
            _ when underlying == typeof(TimeSpan) => "a duration string (hh:mm:ss)",
            _ when underlying == typeof(Guid) => "a UUID string",
            _ when underlying == typeof(Uri) => "an absolute URI string",
            _ when IsBase64(underlying) => "a base64 string",
            _ when GetElementType(underlying) is not null => "an array",
            _ => "an object",
        };
    }

    /// <summary>
    /// The end of the message for a <paramref name="value"/> of <paramref name="type"/> that could not be read, when its shape
    /// shows the slip (models make each of them): a JSON string holding what the type needs in JSON itself — a number, a boolean,
    /// an object or an array — (<c>, not a string: send the number without quotes</c>); a single value where an array belongs
    /// (<c>, not a single value: send an array, even of one ([…])</c>); an array of one object where that object belongs
    /// (<c>, not an array: send the one object itself</c>). Otherwise the empty string. The value itself is never echoed: the
    /// message may be audited.
    /// </summary>
    public static string ValueHint(Type type, JsonElement? value)
    {
        if (value is not { } element)
        {
            return "";
        }

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        var array = !IsSimple(underlying) && GetElementType(underlying) is not null;
        var hint = element.ValueKind switch
        {
            JsonValueKind.String => QuotedValueHint(underlying, element),
            JsonValueKind.Array when !array && !IsSimple(underlying) && element.GetArrayLength() == 1 && element[0].ValueKind == JsonValueKind.Object =>
                ", not an array: send the one object itself",
            _ => "",
        };
        return hint.Length == 0 && array && element.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null or JsonValueKind.Undefined)
            ? ", not a single value: send an array, even of one ([…])"
            : hint;
    }

    /// <summary>For a JSON string <paramref name="text"/> that holds what <paramref name="underlying"/> needs in JSON itself, the hint that says so.</summary>
    private static string QuotedValueHint(Type underlying, JsonElement text)
    {
        var (kind, what) = underlying switch
        {
            _ when underlying == typeof(bool) => (JsonValueKind.True, "true or false"),
            _ when IsNumber(underlying) => (JsonValueKind.Number, "the number"),
            _ when IsSimple(underlying) => (JsonValueKind.Undefined, ""),
            _ when GetElementType(underlying) is not null => (JsonValueKind.Array, "the array"),
            _ => (JsonValueKind.Object, "the object"),
        };
        if (kind == JsonValueKind.Undefined)
        {
            return "";
        }

        var content = text.GetString().AsSpan().Trim();
        var first = content.IsEmpty ? '\0' : content[0];
        var plausible = kind switch
        {
            JsonValueKind.True => content is "true" or "false",
            JsonValueKind.Number => first is '-' or (>= '0' and <= '9'),
            JsonValueKind.Array => first == '[',
            _ => first == '{',
        };
        if (!plausible)
        {
            return "";
        }

        try
        {
            using var parsed = JsonDocument.Parse(content.ToString());
            var root = parsed.RootElement;
            var holds = kind switch
            {
                JsonValueKind.True => true,
                // "5.5" for an integer would only trade this error for another: the hint is for a value that is right but for the quotes.
                JsonValueKind.Number => root.ValueKind == JsonValueKind.Number
                    && (IsFloatingOrDecimal(underlying) || (root.TryGetDecimal(out var number) && number == decimal.Truncate(number))),
                _ => root.ValueKind == kind,
            };
            return holds ? $", not a string: send {what} without quotes" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static bool IsNumber(Type type) =>
        IntegerRange(type) is not null || type == typeof(Int128) || type == typeof(UInt128) || IsFloatingOrDecimal(type);

    /// <summary>A type's name as C# writes it, generic arguments included (<c>List&lt;Int32&gt;</c>), for messages.</summary>
    public static string DisplayName(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(DisplayName))}>"
        : type.Name;
}
