using System.Reflection;
using FluentValidation;

namespace McpServices.AspNetCore;

/// <summary>
/// Finds FluentValidation validators written for a tool's argument type but not registered in DI: McpServices runs the
/// registered ones, so these would silently not run. Looks in the argument type's and the tool class's assemblies.
/// </summary>
internal static class UnregisteredValidators
{
    internal sealed record Finding(Type Validator, Type ArgumentType, string Argument, string Tool);

    public static IEnumerable<Finding> Find(ToolCatalog catalog)
    {
        var validatorsByAssembly = new Dictionary<Assembly, Type[]>();
        foreach (var tool in catalog.Tools)
        {
            foreach (var argument in tool.Arguments.Arguments)
            {
                if (argument.ValidatorsType is not null)
                {
                    continue; // registered: it runs
                }

                var type = argument.Type;
                var service = typeof(IValidator<>).MakeGenericType(type);
                var assemblies = new[] { type.Assembly, tool.Method?.DeclaringType?.Assembly }.OfType<Assembly>().Distinct();
                foreach (var validator in assemblies.SelectMany(a => ValidatorTypes(a, validatorsByAssembly)).Where(v => v.GetInterfaces().Contains(service)).Distinct())
                {
                    yield return new Finding(validator, type, argument.Name, tool.Name);
                }
            }
        }
    }

    private static Type[] ValidatorTypes(Assembly assembly, Dictionary<Assembly, Type[]> cache)
    {
        if (cache.TryGetValue(assembly, out var known))
        {
            return known;
        }

        Type[] types;
        if (assembly.IsDynamic || IsFramework(assembly.GetName().Name))
        {
            types = [];
        }
        else
        {
            try
            {
                types = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException ex)
            {
                types = ex.Types.OfType<Type>().ToArray();
            }
        }

        var validators = types
            .Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false } && typeof(IValidator).IsAssignableFrom(t))
            .ToArray();
        cache[assembly] = validators;
        return validators;
    }

    private static bool IsFramework(string? name) =>
        name is null or "mscorlib" or "netstandard"
        || name.StartsWith("System.", StringComparison.Ordinal)
        || name.StartsWith("Microsoft.", StringComparison.Ordinal)
        || name.StartsWith("FluentValidation", StringComparison.Ordinal)
        || name.StartsWith("ModelContextProtocol", StringComparison.Ordinal);
}
