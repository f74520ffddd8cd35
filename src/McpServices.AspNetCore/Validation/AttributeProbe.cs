using System.ComponentModel.DataAnnotations;

namespace McpServices.AspNetCore;

/// <summary>
/// Finds DataAnnotations attributes that cannot validate the type they are on — <c>[StringLength]</c> or <c>[MinLength]</c> on
/// an <c>int</c>, a <c>[Range]</c> whose bounds do not parse as its type, a <c>[RegularExpression]</c> whose pattern does not
/// compile — by running each on a sample value of that type once, when the tools are catalogued. Such an attribute throws on
/// every value a caller sends, so every call would fail as an internal error. Only the framework's own attributes are probed:
/// an application's may need services or values a sample does not have. <c>[CustomValidation]</c> runs application code and is
/// not probed either.
/// </summary>
internal static class AttributeProbe
{
    private static readonly System.Reflection.Assembly DataAnnotations = typeof(ValidationAttribute).Assembly;

    /// <summary>What is wrong with <paramref name="attribute"/> on a value of <paramref name="type"/>, or <see langword="null"/>.</summary>
    public static string? Problem(ValidationAttribute attribute, Type type)
    {
        if (attribute.GetType().Assembly != DataAnnotations || attribute is CustomValidationAttribute || Sample(type) is not { } sample)
        {
            return null;
        }

        try
        {
            attribute.GetValidationResult(sample, new ValidationContext(sample) { MemberName = "value", DisplayName = "value" });
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var name = attribute.GetType().Name;
            return $"[{(name.EndsWith("Attribute", StringComparison.Ordinal) ? name[..^"Attribute".Length] : name)}] cannot validate a value of type {TypeShapes.DisplayName(type)} ({ex.Message})";
        }
    }

    /// <summary>A value of the type to try the attribute on: a string, or a value type's default; other types are not sampled.</summary>
    private static object? Sample(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying == typeof(string) ? "x"
            : underlying.IsValueType && !underlying.ContainsGenericParameters ? Activator.CreateInstance(underlying)
            : null;
    }
}
