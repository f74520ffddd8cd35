using System.Runtime.InteropServices;
using System.Text.Json;

namespace McpServices.AspNetCore;

/// <summary>
/// Checks an argument's JSON against the parts of the tool's published input schema that deserializing it does not enforce:
/// the <c>required</c> members of nested objects (a record's constructor parameters without defaults, <c>required</c>
/// members), <c>null</c> where the schema's <c>type</c> does not allow it, <c>enum</c> lists (an undefined enum value such as
/// <c>7</c>, which the serializer accepts), finite numbers, absolute URIs (<c>"format": "uri"</c>) and, where an object's schema
/// says <c>"additionalProperties": false</c>, no member it does not declare. Ranges, lengths and
/// patterns are left to the DataAnnotations they come from, so no failure is reported twice. It is as lenient as the serializer
/// where that cannot change the meaning: member names match ignoring case when the serializer's options do (the MCP SDK's do),
/// and a string matches an enum value ignoring case (as <c>JsonStringEnumConverter</c> reads it); a number for a string enum does
/// not (it reads as an index or a value, which the schema does not offer). Where the schema is the more lenient,
/// <see cref="Normalize"/> rewrites what it allows into what the serializer reads.
/// </summary>
/// <remarks>
/// The walk follows <c>properties</c>, <c>items</c>, <c>additionalProperties</c> and local <c>$ref</c> pointers (recursive types),
/// and, for a polymorphic type's <c>anyOf</c>, the branch the value's discriminator names; nothing else (<c>oneOf</c> and other
/// combinators are the serializer's business). Whether an argument's schema
/// has anything to check is decided once, when the tool catalog is built; an argument of a simple type without an enum is not
/// walked.
/// </remarks>
internal static class SchemaCheck
{
    private const int MaxDepth = 32;

    /// <summary>Whether values checked against <paramref name="schema"/> can fail anything this class checks.</summary>
    public static bool HasChecks(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object
        && (schema.TryGetProperty("enum", out _)
            || schema.TryGetProperty("properties", out _)
            || schema.TryGetProperty("items", out _)
            || schema.TryGetProperty("additionalProperties", out _)
            || schema.TryGetProperty("$ref", out _)
            || schema.TryGetProperty("anyOf", out _)
            || IsUriFormat(schema));

    /// <summary>Adds an error for every place where <paramref name="value"/> breaks <paramref name="schema"/>'s required members,
    /// nullability or enum lists; <paramref name="root"/> is the tool's input schema, against which <c>$ref</c> pointers resolve.
    /// A <c>null</c> for a member the schema neither requires nor lets be null is no error but no value (see <see cref="Normalize"/>):
    /// <paramref name="optionalNulls"/> says whether there was one.</summary>
    public static void Check(JsonElement value, JsonElement schema, JsonElement root, string path, bool ignoreCase, ref List<ArgumentError>? errors, ref bool optionalNulls) =>
        new Walk(root, ignoreCase).Check(value, schema, path, ref errors, ref optionalNulls, depth: 0);

    /// <summary>
    /// <paramref name="value"/> as the serializer can read it where the schema is the more lenient: every number written with a
    /// fraction or an exponent whose value is an integer (<c>3.0</c>, <c>1e2</c>) in its plain form (<c>3</c>, <c>100</c>), where
    /// the schema's type is <c>integer</c> (JSON Schema's <c>integer</c> accepts them — Python's <c>json.dumps(3.0)</c> writes
    /// <c>3.0</c> — the serializer does not read them as .NET integers); and every member that is <c>null</c> where the schema
    /// neither requires it nor lets it be null left out, so that it gets its default (clients that follow OpenAI's strict function
    /// calling send null for every optional member they have no value for, as for optional parameters). <see langword="null"/>
    /// when there is nothing to rewrite.
    /// </summary>
    public static JsonElement? Normalize(JsonElement value, JsonElement schema, JsonElement root, bool ignoreCase)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var changed = false;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            new Walk(root, ignoreCase).WriteNormalized(writer, value, schema, ref changed, depth: 0);
        }

        return changed ? JsonElement.Parse(buffer.WrittenSpan) : null;
    }

    /// <summary>
    /// The plain form of a JSON number whose value is an integer but which is written with a fraction or an exponent
    /// (<c>3.0</c> → <c>3</c>, <c>-1.5e1</c> → <c>-15</c>, <c>0.0</c> → <c>0</c>), decided on its digits, exactly; <see langword="null"/> for
    /// a number already plain, one with a fractional part, or one beyond 40 digits (larger than any .NET integer).
    /// </summary>
    internal static string? PlainInteger(string number)
    {
        var exponentAt = number.AsSpan().IndexOfAny('e', 'E');
        var mantissa = exponentAt < 0 ? number.AsSpan() : number.AsSpan(0, exponentAt);
        var exponent = 0;
        if (exponentAt >= 0 && !int.TryParse(number.AsSpan(exponentAt + 1), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out exponent))
        {
            return null;
        }

        var negative = mantissa.StartsWith("-");
        mantissa = negative ? mantissa[1..] : mantissa;
        var point = mantissa.IndexOf('.');
        if (point < 0 && exponentAt < 0)
        {
            return null; // already plain
        }

        var digits = point < 0 ? mantissa.ToString() : string.Concat(mantissa[..point], mantissa[(point + 1)..]);
        var integerDigits = (long)(point < 0 ? mantissa.Length : point) + exponent;
        if (integerDigits > 40)
        {
            return null;
        }

        // Integral when every digit after the decimal point (moved by the exponent) is zero.
        var fractionStart = (int)Math.Max(0, integerDigits);
        if (digits.AsSpan(Math.Min(fractionStart, digits.Length)).IndexOfAnyExcept('0') >= 0)
        {
            return null;
        }

        var integer = integerDigits <= 0 ? string.Empty : digits.Length >= integerDigits ? digits[..(int)integerDigits] : digits + new string('0', (int)integerDigits - digits.Length);
        integer = integer.TrimStart('0');
        return integer.Length == 0 ? "0" : negative ? "-" + integer : integer;
    }

    private readonly record struct Walk(JsonElement Root, bool IgnoreCase)
    {
        public void WriteNormalized(Utf8JsonWriter writer, JsonElement value, JsonElement schema, ref bool changed, int depth)
        {
            if (depth > MaxDepth || !Resolve(ref schema, Root))
            {
                value.WriteTo(writer);
                return;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.Number when schema.TryGetProperty("type", out var type) && Names(type, "integer") && PlainInteger(value.GetRawText()) is { } plain:
                    writer.WriteRawValue(plain, skipInputValidation: true);
                    changed = true;
                    break;
                case JsonValueKind.Object:
                    string? discriminator = null;
                    if (Branch(value, schema, out var named) is { } branch)
                    {
                        // The serializer reads a type discriminator only as the object's first member; JSON objects are unordered.
                        schema = branch;
                        discriminator = named;
                        changed |= value.EnumerateObject().First().Name != discriminator;
                    }

                    writer.WriteStartObject();
                    if (discriminator is not null)
                    {
                        writer.WritePropertyName(discriminator);
                        value.GetProperty(discriminator).WriteTo(writer);
                    }

                    foreach (var member in value.EnumerateObject())
                    {
                        if (member.Name == discriminator)
                        {
                            continue;
                        }

                        if (IsOptionalNull(member, schema))
                        {
                            changed = true;
                            continue;
                        }

                        writer.WritePropertyName(member.Name);
                        WriteNormalized(writer, member.Value, MemberSchema(schema, member.Name), ref changed, depth + 1);
                    }

                    writer.WriteEndObject();
                    break;
                case JsonValueKind.Array:
                    var items = ItemsSchema(schema);
                    writer.WriteStartArray();
                    foreach (var item in value.EnumerateArray())
                    {
                        WriteNormalized(writer, item, items, ref changed, depth + 1);
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    value.WriteTo(writer);
                    break;
            }
        }

        public void Check(JsonElement value, JsonElement schema, string path, ref List<ArgumentError>? errors, ref bool optionalNulls, int depth)
        {
            if (depth > MaxDepth || !Resolve(ref schema, Root))
            {
                return;
            }

            if (schema.TryGetProperty("enum", out var allowed) && allowed.ValueKind == JsonValueKind.Array && !Contains(allowed, value))
            {
                (errors ??= []).Add(new ArgumentError(path, $"The value of {path} must be one of: {string.Join(", ", allowed.EnumerateArray().Where(e => e.ValueKind != JsonValueKind.Null).Select(Display))}."));
                return;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.Number or JsonValueKind.String when IsNonFiniteNumber(value, schema):
                    (errors ??= []).Add(new ArgumentError(path, NotFinite(path)));
                    break;
                case JsonValueKind.String when IsRelativeWhereUriIsRequired(value, schema):
                    (errors ??= []).Add(new ArgumentError(path, NotAbsoluteUri(path)));
                    break;
                case JsonValueKind.Object:
                    // A polymorphic value's members are those of the branch its discriminator names: the branch decides which are declared.
                    var branch = Branch(value, schema, out _);
                    CheckObject(value, schema, path, ref errors, ref optionalNulls, depth, checkDeclared: branch is null);
                    if (branch is { } named)
                    {
                        CheckObject(value, named, path, ref errors, ref optionalNulls, depth, checkDeclared: true);
                    }

                    break;
                case JsonValueKind.Array when ItemsSchema(schema) is { ValueKind: JsonValueKind.Object } items:
                    var index = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        CheckMember(item, items, $"{path}[{index}]", ref errors, ref optionalNulls, depth);
                        index++;
                    }

                    break;
            }
        }

        private void CheckObject(JsonElement value, JsonElement schema, string path, ref List<ArgumentError>? errors, ref bool optionalNulls, int depth, bool checkDeclared)
        {
            // "additionalProperties": false (which McpServices puts on the objects of the types it generates schemas for, see
            // ToolFactory): a member the schema does not declare is an error, as the tool's undeclared arguments are.
            if (checkDeclared && schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False
                && schema.TryGetProperty("properties", out var declared) && declared.ValueKind == JsonValueKind.Object)
            {
                List<string>? undeclared = null;
                foreach (var member in value.EnumerateObject())
                {
                    if (!TryGetMember(declared, member.Name, out _))
                    {
                        (undeclared ??= []).Add(member.Name);
                    }
                }

                if (undeclared is not null)
                {
                    ArgumentError.AddUndeclared(ref errors, path, undeclared, declared.EnumerateObject().Select(p => p.Name).ToArray());
                }
            }

            if (checkDeclared && IgnoreCase && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                CheckNoMemberSetTwice(value, properties, path, ref errors);
            }

            if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
            {
                foreach (var name in required.EnumerateArray())
                {
                    if (name.ValueKind == JsonValueKind.String && !TryGetMember(value, name.GetString()!, out _))
                    {
                        (errors ??= []).Add(new ArgumentError($"{path}.{name.GetString()}", $"The {path}.{name.GetString()} field is required."));
                    }
                }
            }

            foreach (var member in value.EnumerateObject())
            {
                if (IsOptionalNull(member, schema))
                {
                    optionalNulls = true;
                    continue;
                }

                var memberSchema = MemberSchema(schema, member.Name);
                if (memberSchema.ValueKind == JsonValueKind.Object)
                {
                    CheckMember(member.Value, memberSchema, $"{path}.{member.Name}", ref errors, ref optionalNulls, depth);
                }
            }
        }

        /// <summary>
        /// With names matched ignoring case (the tool's JSON options), two members that differ only in case set one property, and
        /// the binding keeps the last: <c>{"warehouse":"ams-1","Warehouse":"ber-1"}</c> runs the tool for <c>ber-1</c>, while a
        /// gateway or an audit reader that matches names exactly sees <c>ams-1</c>. Such an object is invalid, as the HTTP stage
        /// refuses a name given twice (<see cref="RepeatedMembers"/>).
        /// </summary>
        private static void CheckNoMemberSetTwice(JsonElement value, JsonElement properties, string path, ref List<ArgumentError>? errors)
        {
            if (value.GetPropertyCount() < 2)
            {
                return; // most objects of a call: nothing to set twice
            }

            // For each declared property, the position of the first member that sets it: no allocation for the objects of a call.
            var declaredCount = properties.GetPropertyCount();
            Span<int> first = declaredCount <= 64 ? stackalloc int[declaredCount] : new int[declaredCount];
            first.Fill(-1);
            var position = 0;
            foreach (var member in value.EnumerateObject())
            {
                var declared = Declared(properties, member);
                if (declared >= 0 && first[declared] < 0)
                {
                    first[declared] = position;
                }
                else if (declared >= 0)
                {
                    var name = properties.EnumerateObject().ElementAt(declared).Name;
                    var earlier = value.EnumerateObject().ElementAt(first[declared]).Name;
                    (errors ??= []).Add(new ArgumentError($"{path}.{member.Name}", $"The {path} object sets '{name}' twice: '{earlier}' and '{member.Name}' name the same member (names match ignoring case); send it once."));
                }

                position++;
            }
        }

        /// <summary>
        /// The position among the declared properties of the one <paramref name="member"/> sets — of the same spelling, else the
        /// first that matches ignoring case —, or -1.
        /// </summary>
        private static int Declared(JsonElement properties, JsonProperty member)
        {
            // The member's name as sent; one with escapes, which clients do not send, is compared below.
            var sent = JsonMarshal.GetRawUtf8PropertyName(member);
            var index = 0;
            foreach (var property in properties.EnumerateObject())
            {
                if (property.NameEquals(sent))
                {
                    return index;
                }

                index++;
            }

            // Another spelling (or no declared property at all): rare, so the names are read as strings only here.
            index = 0;
            var name = member.Name;
            foreach (var property in properties.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return index;
                }

                index++;
            }

            return -1;
        }

        /// <summary>
        /// Whether <paramref name="member"/> is <c>null</c> for one of the object's own <c>properties</c> (not a dictionary entry)
        /// that the schema neither requires nor lets be null: a member with a default, for which null means "no value".
        /// </summary>
        private bool IsOptionalNull(JsonProperty member, JsonElement schema)
        {
            if (member.Value.ValueKind != JsonValueKind.Null
                || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object
                || !TryGetMember(properties, member.Name, out var memberSchema) || !Resolve(ref memberSchema, Root) || AllowsNull(memberSchema))
            {
                return false;
            }

            if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
            {
                foreach (var name in required.EnumerateArray())
                {
                    if (name.ValueKind == JsonValueKind.String && string.Equals(name.GetString(), member.Name, IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        private void CheckMember(JsonElement value, JsonElement schema, string path, ref List<ArgumentError>? errors, ref bool optionalNulls, int depth)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                if (Resolve(ref schema, Root) && !AllowsNull(schema))
                {
                    (errors ??= []).Add(new ArgumentError(path, $"The {path} field is required."));
                }

                return;
            }

            Check(value, schema, path, ref errors, ref optionalNulls, depth + 1);
        }

        /// <summary>
        /// For a polymorphic type's schema (<c>anyOf</c>, one branch per derived type, each with a <c>const</c> discriminator such
        /// as <c>"$type": { "const": "circle" }</c>), the branch <paramref name="value"/> names; <see langword="null"/> for other
        /// schemas, or when the value names no branch (the serializer refuses it).
        /// </summary>
        private JsonElement? Branch(JsonElement value, JsonElement schema, out string? discriminator)
        {
            discriminator = null;
            if (!schema.TryGetProperty("anyOf", out var anyOf) || anyOf.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            foreach (var candidate in anyOf.EnumerateArray())
            {
                var branch = candidate;
                if (!Resolve(ref branch, Root) || !branch.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                foreach (var property in properties.EnumerateObject())
                {
                    // The discriminator's name as the schema (and the serializer) spell it: metadata names match exactly.
                    if (property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("const", out var id)
                        && value.TryGetProperty(property.Name, out var named) && JsonElement.DeepEquals(named, id))
                    {
                        discriminator = property.Name;
                        return branch;
                    }
                }
            }

            return null;
        }

        /// <summary>The schema of an object's member: its entry in <c>properties</c>, else <c>additionalProperties</c>, else none.</summary>
        private JsonElement MemberSchema(JsonElement schema, string name) =>
            schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object && TryGetMember(properties, name, out var member) ? member
            : schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.Object ? additional
            : default;

        /// <summary>The schema of an array's items, or none.</summary>
        private static JsonElement ItemsSchema(JsonElement schema) =>
            schema.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object ? items : default;

        private bool TryGetMember(JsonElement obj, string name, out JsonElement member)
        {
            if (obj.TryGetProperty(name, out member) || !IgnoreCase)
            {
                return member.ValueKind != JsonValueKind.Undefined;
            }

            foreach (var candidate in obj.EnumerateObject())
            {
                if (string.Equals(candidate.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    member = candidate.Value;
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Follows local <c>$ref</c>s (<c>#/properties/root</c>); <see langword="false"/> when the schema is not an object or
    /// a pointer cannot be followed, in which case nothing is checked.</summary>
    internal static bool Resolve(ref JsonElement schema, JsonElement root)
    {
        for (var hops = 0; schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference); hops++)
        {
            if (hops == 8 || ResolvePointer(root, reference.ValueKind == JsonValueKind.String ? reference.GetString() : null) is not { } target)
            {
                return false;
            }

            schema = target;
        }

        return schema.ValueKind == JsonValueKind.Object;
    }

    /// <summary>The element a local JSON pointer (<c>#</c>, <c>#/$defs/node</c>, <c>#/properties/list/items</c>) names in
    /// <paramref name="root"/>, or <see langword="null"/> when it is not local or names nothing.</summary>
    internal static JsonElement? ResolvePointer(JsonElement root, string? pointer)
    {
        if (pointer is null || !pointer.StartsWith('#'))
        {
            return null;
        }

        var target = root;
        foreach (var token in pointer[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (target.ValueKind == JsonValueKind.Object && target.TryGetProperty(name, out var next))
            {
                target = next;
            }
            else if (target.ValueKind == JsonValueKind.Array && int.TryParse(name, out var i) && i >= 0 && i < target.GetArrayLength())
            {
                target = target[i];
            }
            else
            {
                return null;
            }
        }

        return target;
    }

    /// <summary>The message for a string that is not the absolute URI the schema's <c>"format": "uri"</c> asks for.</summary>
    public static string NotAbsoluteUri(string path) => $"The value of {path} must be an absolute URI, such as https://example.com/path.";

    /// <summary>
    /// Whether a string where the schema says <c>"format": "uri"</c> (how a <see cref="Uri"/> is published) is not an absolute URI:
    /// the serializer reads any string as a relative one (<c>"not a uri"</c>), which a tool would take for an address.
    /// </summary>
    private static bool IsRelativeWhereUriIsRequired(JsonElement value, JsonElement schema) => IsUriFormat(schema) && !IsAbsoluteUri(value.GetString());

    private static bool IsUriFormat(JsonElement schema) =>
        schema.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String && format.ValueEquals("uri");

    /// <summary>An absolute URI as RFC 3986 writes one: a scheme first (<c>https:</c>, <c>urn:</c>). .NET on Unix would also take
    /// <c>/relative/path</c> for an absolute file URI.</summary>
    private static bool IsAbsoluteUri(string? text)
    {
        var colon = text?.IndexOf(':') ?? -1;
        return colon > 0 && char.IsAsciiLetter(text![0])
            && text.AsSpan(0, colon).IndexOfAnyExcept(UriSchemeCharacters) < 0
            && Uri.TryCreate(text, UriKind.Absolute, out _);
    }

    private static readonly System.Buffers.SearchValues<char> UriSchemeCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-.");

    /// <summary>The message for a number that is not finite.</summary>
    public static string NotFinite(string path) => $"The value of {path} must be a finite number.";

    /// <summary>
    /// Whether a value where the schema wants a number is not a finite one: a JSON number beyond the range of a double
    /// (<c>1e400</c>, which reads as infinity), or the string <c>"NaN"</c> or <c>"Infinity"</c>, which the MCP SDK's serializer
    /// reads as numbers but JSON Schema's <c>number</c> does not allow.
    /// </summary>
    private static bool IsNonFiniteNumber(JsonElement value, JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type) || !Names(type, "number") || Names(type, "string"))
        {
            return false;
        }

        if (value.ValueKind == JsonValueKind.Number)
        {
            return !value.TryGetDouble(out var number) || !double.IsFinite(number);
        }

        return double.TryParse(value.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && !double.IsFinite(parsed);
    }

    /// <summary>Whether a schema's <c>type</c> (a name, or an array of names) includes <paramref name="name"/>.</summary>
    private static bool Names(JsonElement type, string name) => type.ValueKind switch
    {
        JsonValueKind.String => type.ValueEquals(name),
        JsonValueKind.Array => type.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.ValueEquals(name)),
        _ => false,
    };

    /// <summary>Whether the schema lets a value be <c>null</c>: it names <c>null</c> among its types, or has no (readable) type.</summary>
    private static bool AllowsNull(JsonElement schema) =>
        !schema.TryGetProperty("type", out var type) || type.ValueKind is not (JsonValueKind.String or JsonValueKind.Array) || Names(type, "null");

    private static bool Contains(JsonElement allowed, JsonElement value)
    {
        foreach (var candidate in allowed.EnumerateArray())
        {
            if (JsonElement.DeepEquals(candidate, value)
                || (candidate.ValueKind == JsonValueKind.String && value.ValueKind == JsonValueKind.String
                    && string.Equals(candidate.GetString(), value.GetString(), StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    private static string Display(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
