using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection;

namespace McpServices.AspNetCore;

/// <summary>
/// Binds and validates a tool's arguments before the tool runs: required fields and JSON types (from the input schema),
/// DataAnnotations on parameters and on complex argument types, and FluentValidation validators registered in DI.
/// Everything reflective is computed once, when the tool catalog is built.
/// </summary>
internal sealed class ArgumentPlan
{
    private readonly ToolArgument[] _arguments;
    private readonly JsonSerializerOptions _serializerOptions;
    private readonly ObjectValidator _objectValidator;
    private readonly JsonElement _inputSchema; // the tool's: nested $refs in the arguments' schemas point into it

    /// <summary>The argument names the input schema declares, in its order; <see langword="null"/> when it allows others.</summary>
    private readonly string[]? _onlyDeclared;

    /// <summary>
    /// The members of the object arguments, each with the one argument that has it (<c>sku</c>: <c>adjustment</c>), for the
    /// error about an argument sent at the top level that belongs inside an object — a model's usual slip with a tool that
    /// takes one object. A member of several object arguments is not listed: no one argument was meant.
    /// </summary>
    private readonly IReadOnlyDictionary<string, (string Argument, string Member)>? _memberOwners;

    private ArgumentPlan(ToolArgument[] arguments, JsonElement inputSchema, JsonSerializerOptions serializerOptions, ObjectValidator objectValidator, string[]? onlyDeclared)
    {
        _arguments = arguments;
        _inputSchema = inputSchema;
        _serializerOptions = serializerOptions;
        _objectValidator = objectValidator;
        _onlyDeclared = onlyDeclared;
        _memberOwners = onlyDeclared is null ? null : MemberOwners(inputSchema, onlyDeclared);
    }

    public IReadOnlyList<ToolArgument> Arguments => _arguments;

    public static ArgumentPlan Create(MethodInfo? method, JsonElement inputSchema, JsonSerializerOptions serializerOptions, ObjectValidator objectValidator, IServiceProviderIsService? isService)
    {
        inputSchema = inputSchema.ValueKind == JsonValueKind.Undefined ? inputSchema : inputSchema.Clone();
        var schemaProperties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var required = new HashSet<string>(StringComparer.Ordinal);
        if (inputSchema.ValueKind == JsonValueKind.Object)
        {
            if (inputSchema.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in props.EnumerateObject())
                {
                    schemaProperties[p.Name] = p.Value;
                }
            }

            if (inputSchema.TryGetProperty("required", out var req) && req.ValueKind == JsonValueKind.Array)
            {
                foreach (var r in req.EnumerateArray())
                {
                    if (r.GetString() is { } name)
                    {
                        required.Add(name);
                    }
                }
            }
        }

        var arguments = new List<ToolArgument>();
        if (method is not null)
        {
            // NullabilityInfoContext caches per instance and is not thread-safe: hosts built concurrently (tests, several
            // services in one process) must not share one.
            var nullability = new NullabilityInfoContext();
            foreach (var parameter in method.GetParameters())
            {
                if (parameter.Name is null || !schemaProperties.TryGetValue(parameter.Name, out var schema))
                {
                    continue; // injected (CancellationToken, services, McpServer, ...), not an argument
                }

                var type = parameter.ParameterType;
                var nullable = !type.IsValueType
                    ? nullability.Create(parameter).WriteState != NullabilityState.NotNull
                    : Nullable.GetUnderlyingType(type) is not null;
                var validatorType = typeof(IValidator<>).MakeGenericType(type);
                arguments.Add(new ToolArgument(
                    parameter.Name,
                    type,
                    parameter,
                    required.Contains(parameter.Name),
                    nullable,
                    parameter.GetCustomAttributes<ValidationAttribute>(inherit: true).ToArray(),
                    !TypeShapes.IsSimple(type) && objectValidator.HasRules(type),
                    isService?.IsService(validatorType) == true ? typeof(IEnumerable<>).MakeGenericType(validatorType) : null,
                    schema,
                    SchemaCheck.HasChecks(schema),
                    FloatRange.HasNestedFloat(type, serializerOptions)));
            }
        }

        // "additionalProperties": false at the top of the input schema (which ToolCatalog puts in the schemas the SDK generated
        // from methods, unless McpServiceOptions.AllowUnknownArguments): an argument the schema does not declare is an error.
        var onlyDeclared = inputSchema.ValueKind == JsonValueKind.Object
            && inputSchema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False
            ? schemaProperties.Keys.ToArray()
            : null;
        return new ArgumentPlan(arguments.ToArray(), inputSchema, serializerOptions, objectValidator, onlyDeclared);
    }

    /// <summary>Attributes on the tool's parameters that cannot validate their parameter's type (<see cref="AttributeProbe"/>).</summary>
    public IEnumerable<string> AttributeProblems() =>
        _arguments.SelectMany(a => a.Attributes.Select(attribute => AttributeProbe.Problem(attribute, a.Type)).OfType<string>().Select(problem => $"the argument '{a.Name}': {problem}"));

    /// <summary>
    /// Binds only: the errors the input schema alone decides (a required argument missing, a value of the wrong JSON type), without
    /// running validators, which may look data up. Policies that read typed arguments run after this and before <see cref="ValidateAsync"/>.
    /// </summary>
    public ArgumentBinding Bind(IDictionary<string, JsonElement>? arguments)
    {
        List<ArgumentError>? errors = null;
        Dictionary<string, JsonElement>? normalized = null;
        foreach (var argument in _arguments)
        {
            TryBind(argument, arguments, out _, ref errors, ref normalized);
        }

        CheckNoUndeclaredArguments(arguments, ref errors);
        return new ArgumentBinding(errors ?? (IReadOnlyList<ArgumentError>)[], normalized);
    }

    /// <summary>Binds and validates; returns the bound values (by argument name) and every error found.</summary>
    public async ValueTask<ArgumentValidationResult> ValidateAsync(IDictionary<string, JsonElement>? arguments, IServiceProvider services, CancellationToken cancellationToken)
    {
        List<ArgumentError>? errors = null;
        Dictionary<string, JsonElement>? normalized = null;
        var values = new Dictionary<string, object?>(_arguments.Length, StringComparer.Ordinal);
        foreach (var argument in _arguments)
        {
            var errorsBefore = errors?.Count ?? 0;
            var bound = TryBind(argument, arguments, out var value, ref errors, ref normalized);
            if (!bound)
            {
                if ((errors?.Count ?? 0) == errorsBefore)
                {
                    values[argument.Name] = value; // not sent: the parameter's default
                }

                continue;
            }

            values[argument.Name] = value;

            if (argument.Attributes.Length > 0)
            {
                var context = new ValidationContext(values, services, items: null) { MemberName = argument.Name, DisplayName = argument.Name };
                foreach (var attribute in argument.Attributes)
                {
                    if (ArgumentError.Check(attribute, value, context, argument.Name, argument.Name) is { } error)
                    {
                        (errors ??= []).Add(error);
                    }
                }
            }

            if (value is not null && argument.HasObjectRules)
            {
                _objectValidator.Validate(value, argument.Name, services, errors ??= []);
            }

            if (value is not null && argument.ValidatorsType is not null)
            {
                foreach (var validator in (IEnumerable<object>)services.GetRequiredService(argument.ValidatorsType))
                {
                    FluentValidation.Results.ValidationResult result;
                    try
                    {
                        result = await ((IValidator)validator).ValidateAsync(new ValidationContext<object>(value), cancellationToken).ConfigureAwait(false);
                    }
                    catch (RegexMatchTimeoutException ex)
                    {
                        (errors ??= []).Add(ArgumentError.PatternTimedOut(argument.Name, ex)); // a Matches() rule with a timeout
                        continue;
                    }

                    foreach (var failure in result.Errors)
                    {
                        (errors ??= []).Add(new ArgumentError(JoinPath(argument, failure.PropertyName), failure.ErrorMessage));
                    }
                }
            }
        }

        CheckNoUndeclaredArguments(arguments, ref errors);
        return new ArgumentValidationResult(values, errors ?? (IReadOnlyList<ArgumentError>)[], normalized);
    }

    /// <summary>
    /// Adds an error for every argument the input schema does not declare, when it declares that there are no others: a model that
    /// misnames an argument (<c>dry_run</c> for <c>dryRun</c>) would otherwise have the tool run without it, with its default,
    /// and take the result for what it asked (<see cref="ArgumentError.AddUndeclared"/> says how they are reported).
    /// </summary>
    private void CheckNoUndeclaredArguments(IDictionary<string, JsonElement>? arguments, ref List<ArgumentError>? errors)
    {
        if (_onlyDeclared is null || arguments is null || arguments.Count == 0)
        {
            return;
        }

        // The usual case, every argument declared, found by lookups alone (enumerating the keys through the interface allocates).
        var declared = 0;
        foreach (var name in _onlyDeclared)
        {
            if (arguments.ContainsKey(name))
            {
                declared++;
            }
        }

        if (declared == arguments.Count)
        {
            return;
        }

        var undeclared = arguments.Keys.Where(name => Array.IndexOf(_onlyDeclared, name) < 0).ToList();
        ArgumentError.AddUndeclared(ref errors, path: null, undeclared, _onlyDeclared, memberOwners: _memberOwners, wrappers: Wrappers(arguments, undeclared));
    }

    /// <summary>
    /// The undeclared arguments that wrap the tool's own: objects whose members are all arguments of the tool
    /// (<c>{"input": {"sku": …, "quantity": …}}</c> for a tool taking <c>sku</c> and <c>quantity</c>, as a model sometimes sends
    /// them), each with those arguments as the tool names them; <see langword="null"/> when there are none.
    /// </summary>
    private Dictionary<string, IReadOnlyList<string>>? Wrappers(IDictionary<string, JsonElement> arguments, List<string> undeclared)
    {
        Dictionary<string, IReadOnlyList<string>>? wrappers = null;
        foreach (var name in undeclared)
        {
            if (arguments[name] is not { ValueKind: JsonValueKind.Object } value)
            {
                continue;
            }

            var members = new List<string>();
            foreach (var member in value.EnumerateObject())
            {
                var declared = Array.Find(_onlyDeclared!, d => string.Equals(d, member.Name, StringComparison.OrdinalIgnoreCase));
                if (declared is null)
                {
                    members.Clear();
                    break;
                }

                members.Add(declared);
            }

            if (members.Count > 0)
            {
                (wrappers ??= new(StringComparer.Ordinal))[name] = members;
            }
        }

        return wrappers;
    }

    /// <summary>
    /// The members of the object arguments of <paramref name="inputSchema"/>, each with its argument (<see cref="_memberOwners"/>);
    /// keys match ignoring case, as the serializer reads members. A member named like an argument of the tool is left out: sent at
    /// the top level, it is that argument (or a misspelling of it).
    /// </summary>
    private static Dictionary<string, (string Argument, string Member)>? MemberOwners(JsonElement inputSchema, string[] declared)
    {
        if (inputSchema.ValueKind != JsonValueKind.Object || !inputSchema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        Dictionary<string, (string Argument, string Member)>? owners = null;
        HashSet<string>? shared = null;
        foreach (var argument in properties.EnumerateObject())
        {
            var schema = argument.Value;
            if (!SchemaCheck.Resolve(ref schema, inputSchema) || !schema.TryGetProperty("properties", out var members) || members.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var member in members.EnumerateObject())
            {
                if (declared.Contains(member.Name, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                owners ??= new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase);
                if (owners.TryGetValue(member.Name, out var first) && first.Argument != argument.Name)
                {
                    (shared ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(member.Name);
                }

                owners.TryAdd(member.Name, (argument.Name, member.Name));
            }
        }

        foreach (var name in shared ?? [])
        {
            owners!.Remove(name);
        }

        return owners;
    }

    /// <summary>
    /// Reads one argument as its parameter's type. Returns <see langword="true"/> with the value when there is a value to validate;
    /// <see langword="false"/> when it was not sent (the parameter's default, and an error if it is required), cannot be read as
    /// the type, is <see langword="null"/> for a parameter that cannot be, or breaks its schema where deserializing does not
    /// check it (all with errors, added to <paramref name="errors"/>). The arguments the tool must then be given, when they differ from
    /// <paramref name="arguments"/>, are in <paramref name="normalized"/> (a copy): an argument that reads only once its integers are
    /// written plainly (<c>3.0</c> as <c>3</c>, <see cref="SchemaCheck.Normalize"/>) or without its optional members' nulls rewritten,
    /// and a <c>null</c> for an optional parameter that cannot be null left out, so that it gets its default.
    /// </summary>
    private bool TryBind(ToolArgument argument, IDictionary<string, JsonElement>? arguments, out object? value, ref List<ArgumentError>? errors, ref Dictionary<string, JsonElement>? normalized)
    {
        ArgumentError? error = null;
        if (arguments is null || !arguments.TryGetValue(argument.Name, out var element) || element.ValueKind == JsonValueKind.Undefined)
        {
            value = DefaultOf(argument);
            if (argument.Required)
            {
                (errors ??= []).Add(new ArgumentError(argument.Name, $"The {argument.Name} field is required."));
            }

            return false;
        }

        if (element.ValueKind == JsonValueKind.Null && argument.Parameter.HasDefaultValue && !argument.Nullable)
        {
            // null for a parameter that has a default but cannot be null: the caller has no value for it (clients that follow
            // OpenAI's strict function calling send null for every optional parameter). It gets its default, as if not sent.
            value = DefaultOf(argument);
            (normalized ??= Copy(arguments)).Remove(argument.Name);
            return false;
        }

        if (element.ValueKind == JsonValueKind.Null && argument.Type.IsValueType && !argument.Nullable && argument.Type != typeof(JsonElement))
        {
            // As for a reference type: null is no value, for an int as for a string ("must be an integer" would puzzle the caller).
            // (A JsonElement parameter takes any JSON, null included.)
            value = null;
            (errors ??= []).Add(new ArgumentError(argument.Name, $"The {argument.Name} field is required."));
            return false;
        }

        value = null;
        try
        {
            value = element.ValueKind == JsonValueKind.Null && !argument.Type.IsValueType
                ? null
                : JsonSerializer.Deserialize(element, _serializerOptions.GetTypeInfo(argument.Type));
        }
        catch (JsonException ex)
        {
            if (TryBindNormalized(argument, element) is ({ } rewritten, var normalizedValue))
            {
                element = rewritten;
                value = normalizedValue;
                (normalized ??= Copy(arguments))[argument.Name] = rewritten;
            }
            else
            {
                error = DescribeBindingError(argument, element, ex);
            }
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            // An abstract type's value whose type discriminator is not its first member, for example: normalized, it reads.
            if (TryBindNormalized(argument, element) is ({ } rewritten, var normalizedValue))
            {
                element = rewritten;
                value = normalizedValue;
                (normalized ??= Copy(arguments))[argument.Name] = rewritten;
            }
            else
            {
                error = DescribeReadFailure(argument, element);
            }
        }

        if (error is null && value is null && !argument.Nullable)
        {
            error = new ArgumentError(argument.Name, $"The {argument.Name} field is required.");
        }
        else if ((value is double d && !double.IsFinite(d)) || (value is float f && !float.IsFinite(f)))
        {
            // NaN or an infinity: "NaN" and "Infinity" read as numbers, and so does a number beyond the type's range (1e400).
            error = new ArgumentError(argument.Name, SchemaCheck.NotFinite(argument.Name));
        }

        if (error is not null)
        {
            value = null;
            (errors ??= []).Add(error);
            return false;
        }

        if (element.ValueKind != JsonValueKind.Null && (argument.HasNestedFloat || argument.HasSchemaChecks))
        {
            // What the published schema says and deserializing does not enforce: a nested required member, a null where the schema
            // has none, an undefined enum value; and a nested float's range, which the schema's "number" cannot say (1e39 reads
            // as an infinity). The argument's validators and the tool may then rely on the schema holding.
            var errorsBefore = errors?.Count ?? 0;
            if (argument.HasSchemaChecks)
            {
                var optionalNulls = false;
                SchemaCheck.Check(element, argument.Schema, _inputSchema, argument.Name, _serializerOptions.PropertyNameCaseInsensitive, ref errors, ref optionalNulls);
                if (optionalNulls && (errors?.Count ?? 0) == errorsBefore)
                {
                    // A null for a nested member with a default, read as null (a string, a list): read again without it, so that
                    // the member gets its default.
                    if (TryBindNormalized(argument, element) is ({ } rewritten, var normalizedValue))
                    {
                        element = rewritten;
                        value = normalizedValue;
                        (normalized ??= Copy(arguments))[argument.Name] = rewritten;
                    }
                    else
                    {
                        (errors ??= []).Add(WrongValue(argument.Name, argument.Type, argument.Schema, element));
                    }
                }
            }

            if (argument.HasNestedFloat)
            {
                FloatRange.Check(element, argument.Type, _serializerOptions, argument.Name, ref errors);
            }

            if ((errors?.Count ?? 0) > errorsBefore)
            {
                value = null;
                return false;
            }
        }

        return true;
    }

    /// <summary>The argument as <see cref="SchemaCheck.Normalize"/> rewrites it (integers written plainly, optional members' nulls left
    /// out), and its value read from that; <see langword="null"/> when there is nothing to rewrite or it still cannot be read.</summary>
    private (JsonElement Element, object? Value)? TryBindNormalized(ToolArgument argument, JsonElement element)
    {
        if (SchemaCheck.Normalize(element, argument.Schema, _inputSchema, _serializerOptions.PropertyNameCaseInsensitive) is not { } rewritten)
        {
            return null;
        }

        try
        {
            return (rewritten, JsonSerializer.Deserialize(rewritten, _serializerOptions.GetTypeInfo(argument.Type)));
        }
        catch (Exception ex) when (ex is JsonException || IsReadFailure(ex))
        {
            return null;
        }
    }

    /// <summary>What else than a <see cref="JsonException"/> the serializer throws for a value it cannot read as the type.</summary>
    private static bool IsReadFailure(Exception ex) =>
        ex is NotSupportedException or InvalidOperationException or FormatException or OverflowException or ArgumentException;

    private static object? DefaultOf(ToolArgument argument) => argument.Parameter.HasDefaultValue ? argument.Parameter.DefaultValue : null;

    private static Dictionary<string, JsonElement> Copy(IDictionary<string, JsonElement>? arguments) =>
        arguments is null ? new(StringComparer.Ordinal) : new(arguments, StringComparer.Ordinal);

    /// <summary>
    /// A value the serializer could not read at all (it threw something else than a <see cref="JsonException"/>): for a
    /// polymorphic type, a missing or unknown type discriminator, which the message names with the values it may have.
    /// </summary>
    private ArgumentError DescribeReadFailure(ToolArgument argument, JsonElement element) =>
        DiscriminatorError(argument.Name, argument.Type, element)
            ?? WrongValue(argument.Name, argument.Type, argument.Schema, element);

    /// <summary>For an object at <paramref name="path"/> of a polymorphic <paramref name="type"/>, which names no type it has (or
    /// none): the error that names the discriminator and its values; otherwise <see langword="null"/>.</summary>
    private ArgumentError? DiscriminatorError(string path, Type type, JsonElement? value)
    {
        if (value is not { ValueKind: JsonValueKind.Object } || _serializerOptions.TryGetTypeInfo(type)?.PolymorphismOptions is not { DerivedTypes.Count: > 0 } polymorphism)
        {
            return null;
        }

        var discriminator = $"{path}.{polymorphism.TypeDiscriminatorPropertyName}";
        return new ArgumentError(discriminator, $"The value of {discriminator} must be one of: {string.Join(", ", polymorphism.DerivedTypes.Select(d => d.TypeDiscriminator).OfType<object>())}.");
    }

    private ArgumentError DescribeBindingError(ToolArgument argument, JsonElement element, JsonException exception)
    {
        // Never echo the serializer's message: it names CLR types. Resolve the failing field from the JSON path instead.
        var (path, type, value, badKey, schema) = ResolvePath(argument, element, exception.Path);
        if (badKey is { } key)
        {
            return new ArgumentError(path, $"The key '{key.Name}' of {key.Dictionary} must be {TypeShapes.Describe(key.KeyType, _serializerOptions)}.");
        }

        // An object of a polymorphic type that names no type it has (or none): the discriminator is what is wrong. Otherwise the
        // field's schema bounds ([Range] on the parameter or the member) narrow the range the message gives.
        return DiscriminatorError(path, type, value)
            ?? WrongValue(path, type, schema, value);
    }

    /// <summary>
    /// A value of <paramref name="type"/> that could not be read: what it must be, with the bounds <paramref name="schema"/> sets;
    /// and, when the value's shape shows a common slip of models — a value sent as a string that holds it (<c>"{\"sku\": …}"</c>),
    /// a single value for an array, an array of one object for that object —, what to change (<see cref="TypeShapes.ValueHint"/>).
    /// </summary>
    private ArgumentError WrongValue(string path, Type type, JsonElement schema, JsonElement? value) =>
        new(path, $"The value of {path} must be {TypeShapes.Describe(type, _serializerOptions, schema)}{TypeShapes.ValueHint(type, value)}.");

    /// <summary>
    /// The field a serializer's JSON path (<c>$.a[0]['b']</c>) names, the type its value must have and the value there (if the
    /// argument has one); and, when the path steps into a dictionary with keys of another type than string
    /// (<c>Dictionary&lt;int, string&gt;</c>) under a name that is not such a key, that key: the serializer's path cannot tell a
    /// key it could not read from a value.
    /// </summary>
    private (string Path, Type Type, JsonElement? Value, (string Name, string Dictionary, Type KeyType)? BadKey, JsonElement Schema) ResolvePath(ToolArgument argument, JsonElement element, string? jsonPath)
    {
        var path = argument.Name;
        var type = argument.Type;
        JsonElement? value = element;
        var schema = argument.Schema; // the field's schema ($refs followed), for its bounds; Undefined where the path leaves it
        var segments = (jsonPath ?? "$").AsSpan().TrimStart('$');
        while (!segments.IsEmpty)
        {
            string name;
            if (segments[0] == '.')
            {
                var end = segments[1..].IndexOfAny('.', '[');
                name = (end < 0 ? segments[1..] : segments.Slice(1, end)).ToString();
                segments = end < 0 ? [] : segments[(end + 1)..];
            }
            else if (segments[0] == '[' && segments.IndexOf(']') is > 0 and var close)
            {
                var index = segments[1..close];
                segments = segments[(close + 1)..];
                if (!index.StartsWith('\''))
                {
                    path += $"[{index}]";
                    type = TypeShapes.GetElementType(type) ?? typeof(object);
                    schema = SchemaStep(schema, "items", name: null);
                    value = value is { ValueKind: JsonValueKind.Array } array && int.TryParse(index, out var i) && (uint)i < (uint)array.GetArrayLength() ? array[i] : null;
                    continue;
                }

                name = index.Trim('\'').ToString();
            }
            else
            {
                break;
            }

            if (BadDictionaryKey(type, name) is { } keyType)
            {
                return (path + "." + name, type, null, (name, path, keyType), default);
            }

            path += "." + name;
            type = FindPropertyType(type, name) ?? typeof(object);
            schema = SchemaStep(schema, "properties", name);
            value = value is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var member) ? member : null;
        }

        return (path, type, value, null, SchemaCheck.Resolve(ref schema, _inputSchema) ? schema : default);
    }

    /// <summary>
    /// The schema one step below <paramref name="schema"/>: its <c>items</c> (<paramref name="name"/> <see langword="null"/>), or
    /// the member <paramref name="name"/> of its <c>properties</c> (ignoring case, as the serializer reads members) or else its
    /// <c>additionalProperties</c> (a dictionary's values). Undefined where the schema does not say (a polymorphic <c>anyOf</c>).
    /// </summary>
    private JsonElement SchemaStep(JsonElement schema, string keyword, string? name)
    {
        if (!SchemaCheck.Resolve(ref schema, _inputSchema))
        {
            return default;
        }

        if (name is null)
        {
            return schema.TryGetProperty(keyword, out var items) ? items : default;
        }

        if (schema.TryGetProperty(keyword, out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return property.Value;
                }
            }
        }

        return schema.TryGetProperty("additionalProperties", out var values) && values.ValueKind == JsonValueKind.Object ? values : default;
    }

    /// <summary>The key type of <paramref name="type"/>, a dictionary, when <paramref name="name"/> cannot be one of its keys.</summary>
    private Type? BadDictionaryKey(Type type, string name) =>
        _serializerOptions.TryGetTypeInfo(type) is { Kind: JsonTypeInfoKind.Dictionary, KeyType: { } keyType } && keyType != typeof(string) && keyType != typeof(object)
            && !System.ComponentModel.TypeDescriptor.GetConverter(keyType).IsValid(name)
            ? keyType
            : null;

    private Type? FindPropertyType(Type type, string jsonName) => _serializerOptions.TryGetTypeInfo(type) switch
    {
        { Kind: JsonTypeInfoKind.Dictionary } info => info.ElementType, // counts.b in a Dictionary<string, int>: an int
        { Kind: JsonTypeInfoKind.Object } info => info.Properties.FirstOrDefault(p => string.Equals(p.Name, jsonName, StringComparison.OrdinalIgnoreCase))?.PropertyType
            // A member of one of a polymorphic type's derived types (the path does not say which).
            ?? info.PolymorphismOptions?.DerivedTypes.Select(d => d.DerivedType).Where(d => d != type).Select(d => FindPropertyType(d, jsonName)).FirstOrDefault(t => t is not null),
        _ => null,
    };

    /// <summary>
    /// The JSON path of a FluentValidation failure: its property path (<c>Lines[0].CardPin</c>, CLR names) with each name as the
    /// serializer writes it (a <c>[JsonPropertyName]</c>, else the naming policy), so that the field is the one the caller sent and
    /// the one redaction paths name.
    /// </summary>
    private string JoinPath(ToolArgument argument, string? propertyName)
    {
        if (string.IsNullOrEmpty(propertyName))
        {
            return argument.Name;
        }

        var policy = _serializerOptions.PropertyNamingPolicy;
        var type = (Type?)argument.Type;
        var parts = propertyName.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var bracket = parts[i].IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? parts[i] : parts[i][..bracket];
            var rest = bracket < 0 ? string.Empty : parts[i][bracket..];
            var property = type is null ? null : FindProperty(type, name);
            parts[i] = (property?.Name ?? policy?.ConvertName(name) ?? name) + rest;
            type = property?.PropertyType;
            for (var indexes = rest.Count(c => c == '['); indexes > 0 && type is not null; indexes--)
            {
                type = TypeShapes.GetElementType(type) ?? (_serializerOptions.TryGetTypeInfo(type) is { Kind: JsonTypeInfoKind.Dictionary } dictionary ? dictionary.ElementType : null);
            }
        }

        return argument.Name + "." + string.Join('.', parts);

        JsonPropertyInfo? FindProperty(Type owner, string clrName) =>
            _serializerOptions.TryGetTypeInfo(owner) is { Kind: JsonTypeInfoKind.Object } info
                ? info.Properties.FirstOrDefault(p => p.AttributeProvider is MemberInfo member && member.Name == clrName)
                : null;
    }
}

/// <summary>A tool argument as McpServices validates it.</summary>
internal sealed record ToolArgument(
    string Name,
    Type Type,
    ParameterInfo Parameter,
    bool Required,
    bool Nullable,
    ValidationAttribute[] Attributes,
    bool HasObjectRules,
    Type? ValidatorsType,
    JsonElement Schema,
    bool HasSchemaChecks,
    bool HasNestedFloat);

/// <summary>
/// The outcome of binding a call's arguments: the errors, and the arguments the tool must be given when they differ from those sent
/// (an integer written plainly, a <c>null</c> for an optional parameter left out), else <see langword="null"/>.
/// </summary>
internal sealed record ArgumentBinding(IReadOnlyList<ArgumentError> Errors, IDictionary<string, JsonElement>? NormalizedArguments);

/// <summary>The outcome of binding and validating a call's arguments (<see cref="ArgumentBinding.NormalizedArguments"/> as there).</summary>
internal sealed record ArgumentValidationResult(IReadOnlyDictionary<string, object?> Values, IReadOnlyList<ArgumentError> Errors, IDictionary<string, JsonElement>? NormalizedArguments)
{
    public bool IsValid => Errors.Count == 0;
}
