using System.Collections;
using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace McpServices.AspNetCore;

/// <summary>
/// Validates DataAnnotations on complex argument types, recursively (nested objects and collections), reporting JSON field paths.
/// Property plans are built once per type; the per-call work is reading values and running the attributes.
/// </summary>
internal sealed class ObjectValidator
{
    private const int MaxDepth = 32;
    private readonly JsonSerializerOptions _serializerOptions;
    private readonly ConcurrentDictionary<Type, TypePlan> _plans = new();
    private readonly ConcurrentDictionary<string, string> _attributeProblems = new(StringComparer.Ordinal);

    public ObjectValidator(JsonSerializerOptions serializerOptions)
    {
        _serializerOptions = serializerOptions;
    }

    /// <summary>
    /// Attributes on the properties of the types planned so far that cannot validate their property's type (<see cref="AttributeProbe"/>),
    /// as <c>Type.Property: problem</c>.
    /// </summary>
    public IEnumerable<string> AttributeProblems => _attributeProblems.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}");

    /// <summary>Whether values of <paramref name="type"/> carry anything to validate.</summary>
    public bool HasRules(Type type) => GetPlan(type).HasRules;

    public void Validate(object value, string path, IServiceProvider services, List<ArgumentError> errors) =>
        Validate(value, path, services, errors, depth: 0, visited: null);

    private void Validate(object value, string path, IServiceProvider services, List<ArgumentError> errors, int depth, HashSet<object>? visited)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        var type = value.GetType();
        if (TypeShapes.GetElementType(type) is not null && value is IEnumerable items)
        {
            var index = 0;
            foreach (var item in items)
            {
                if (item is not null && !TypeShapes.IsSimple(item.GetType()))
                {
                    Validate(item, $"{path}[{index}]", services, errors, depth + 1, visited);
                }

                index++;
            }

            return;
        }

        var plan = GetPlan(type);
        if (!plan.HasRules)
        {
            return;
        }

        if (plan.IsDictionary)
        {
            if (value is IDictionary entries)
            {
                foreach (DictionaryEntry entry in entries)
                {
                    if (entry.Value is not null && !TypeShapes.IsSimple(entry.Value.GetType()))
                    {
                        Validate(entry.Value, $"{path}.{entry.Key}", services, errors, depth + 1, visited);
                    }
                }
            }

            return;
        }

        visited ??= new HashSet<object>(ReferenceEqualityComparer.Instance);
        if (!type.IsValueType && !visited.Add(value))
        {
            return;
        }

        foreach (var property in plan.Properties)
        {
            var propertyValue = property.Property.GetValue(value);
            var propertyPath = $"{path}.{property.JsonName}";
            if (property.Attributes.Length > 0)
            {
                var context = new ValidationContext(value, services, items: null)
                {
                    MemberName = property.Property.Name,
                    DisplayName = property.JsonName,
                };
                foreach (var attribute in property.Attributes)
                {
                    if (ArgumentError.Check(attribute, propertyValue, context, propertyPath, property.JsonName) is { } error)
                    {
                        errors.Add(error);
                    }
                }
            }

            if (property.Nested && propertyValue is not null)
            {
                Validate(propertyValue, propertyPath, services, errors, depth + 1, visited);
            }
        }

        if (plan.IsValidatableObject && value is IValidatableObject validatable)
        {
            var context = new ValidationContext(value, services, items: null);
            foreach (var result in validatable.Validate(context))
            {
                var members = result.MemberNames.ToArray();
                if (members.Length == 0)
                {
                    errors.Add(new ArgumentError(path, result.ErrorMessage ?? "The value is invalid."));
                }
                else
                {
                    foreach (var member in members)
                    {
                        errors.Add(new ArgumentError($"{path}.{plan.JsonNameOf(member)}", result.ErrorMessage ?? "The value is invalid."));
                    }
                }
            }
        }
    }

    private TypePlan GetPlan(Type type) => _plans.GetOrAdd(type, static (t, self) => self.BuildPlan(t, new HashSet<Type>()), this);

    private TypePlan BuildPlan(Type type, HashSet<Type> building)
    {
        if (TypeShapes.IsSimple(type))
        {
            return TypePlan.Empty;
        }

        if (!building.Add(type))
        {
            // A recursive type (also class Tree : List<Tree>): assume it may have rules; the runtime walk guards against cycles.
            return TypePlan.CollectionWithRules;
        }

        if (TypeShapes.GetElementType(type) is { } elementType)
        {
            var elementPlan = TypeShapes.IsSimple(elementType) ? TypePlan.Empty : GetPlanRecursive(elementType, building);
            building.Remove(type);
            return elementPlan.HasRules ? TypePlan.CollectionWithRules : TypePlan.Empty;
        }

        var typeInfo = _serializerOptions.TryGetTypeInfo(type);
        if (typeInfo?.Kind == JsonTypeInfoKind.Dictionary)
        {
            // The values of a Dictionary<string, T>, reported as path.key.
            var valueType = typeInfo.ElementType ?? typeof(object);
            var valueRules = !TypeShapes.IsSimple(valueType) && GetPlanRecursive(valueType, building).HasRules;
            building.Remove(type);
            return valueRules ? TypePlan.DictionaryWithRules : TypePlan.Empty;
        }

        var members = GetJsonMembers(typeInfo);
        var jsonNames = members.ToDictionary(m => m.Key, m => m.Value.JsonName, StringComparer.Ordinal);
        var properties = new List<PropertyPlan>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null)
            {
                continue;
            }

            var jsonName = members.TryGetValue(property.Name, out var member) ? member.JsonName : property.Name;
            var attributes = property.GetCustomAttributes<ValidationAttribute>(inherit: true).ToList();
            if (member.Parameter is { } parameter)
            {
                // A record's positional parameter: [Range(1, 5)] int Qty puts the attribute on the constructor parameter, not
                // on the property (unless written [property: Range]). The SDK's schema shows it, so it is enforced too.
                attributes.AddRange(parameter.GetCustomAttributes(typeof(ValidationAttribute), inherit: true).Cast<ValidationAttribute>()
                    .Where(a => !attributes.Any(existing => existing.GetType() == a.GetType())));
            }

            foreach (var attribute in attributes)
            {
                if (AttributeProbe.Problem(attribute, property.PropertyType) is { } problem)
                {
                    _attributeProblems.TryAdd($"{TypeShapes.DisplayName(type)}.{property.Name}", problem);
                }
            }

            var nested = !TypeShapes.IsSimple(property.PropertyType) && GetPlanRecursive(property.PropertyType, building).HasRules;
            if (attributes.Count > 0 || nested)
            {
                properties.Add(new PropertyPlan(property, jsonName, [.. attributes], nested));
            }
        }

        // A polymorphic type ([JsonDerivedType]): its values are of the derived types, which Validate plans by their runtime type.
        // The declared type has rules when one of them has.
        var derivedRules = typeInfo?.PolymorphismOptions?.DerivedTypes.Any(d => d.DerivedType != type && !TypeShapes.IsSimple(d.DerivedType) && GetPlanRecursive(d.DerivedType, building).HasRules) == true;
        building.Remove(type);
        var validatable = typeof(IValidatableObject).IsAssignableFrom(type);
        return new TypePlan(properties.ToArray(), validatable, jsonNames) { ForceRules = derivedRules };
    }

    private TypePlan GetPlanRecursive(Type type, HashSet<Type> building) =>
        _plans.TryGetValue(type, out var plan) ? plan : BuildPlan(type, building);

    /// <summary>By CLR member name: the JSON name, and the constructor parameter the serializer binds the member through.</summary>
    private static Dictionary<string, (string JsonName, ICustomAttributeProvider? Parameter)> GetJsonMembers(JsonTypeInfo? info)
    {
        var members = new Dictionary<string, (string, ICustomAttributeProvider?)>(StringComparer.Ordinal);
        if (info?.Kind == JsonTypeInfoKind.Object)
        {
            foreach (var property in info.Properties)
            {
                if (property.AttributeProvider is MemberInfo member)
                {
                    members[member.Name] = (property.Name, property.AssociatedParameter?.AttributeProvider);
                }
            }
        }

        return members;
    }

    private sealed record PropertyPlan(PropertyInfo Property, string JsonName, ValidationAttribute[] Attributes, bool Nested);

    private sealed class TypePlan(PropertyPlan[] properties, bool isValidatableObject, Dictionary<string, string> jsonNames)
    {
        public static readonly TypePlan Empty = new([], false, []);
        public static readonly TypePlan CollectionWithRules = new([], false, []) { ForceRules = true };
        public static readonly TypePlan DictionaryWithRules = new([], false, []) { ForceRules = true, IsDictionary = true };

        public PropertyPlan[] Properties { get; } = properties;

        public bool IsValidatableObject { get; } = isValidatableObject;

        public bool ForceRules { get; init; }

        public bool IsDictionary { get; private init; }

        public bool HasRules => ForceRules || Properties.Length > 0 || IsValidatableObject;

        public string JsonNameOf(string member) => jsonNames.TryGetValue(member, out var name) ? name : member;
    }
}
