using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.RegularExpressions;

namespace McpServices.AspNetCore;

/// <summary>One invalid argument: the field path as the caller sent it (for example <c>request.lines[0].quantity</c>) and what is wrong.</summary>
/// <param name="Field">The JSON path of the field, starting with the argument name.</param>
/// <param name="Message">What is wrong with the value, for the caller.</param>
internal sealed record ArgumentError(string Field, string Message)
{
    /// <summary>
    /// The text the caller receives for a call with invalid arguments: <c>Invalid arguments for tool 'x':</c> and a line per error.
    /// With <paramref name="hideMessage"/>, the message of each error it selects reads <c>[redacted]</c> (the audit record's copy,
    /// for fields marked sensitive: a validator's message may quote the value, as FluentValidation's <c>{PropertyValue}</c> does).
    /// </summary>
    public static string Describe(string tool, IReadOnlyList<ArgumentError> errors, Func<ArgumentError, bool>? hideMessage = null)
    {
        var text = new StringBuilder("Invalid arguments for tool '").Append(tool).Append("':");
        foreach (var error in errors)
        {
            text.Append("\n- ").Append(error.Field).Append(": ").Append(hideMessage?.Invoke(error) == true ? Redaction.Placeholder : error.Message);
        }

        return text.ToString();
    }

    /// <summary>
    /// Runs one DataAnnotations attribute on a value. A pattern that takes too long on it (<see cref="RegularExpressionAttribute"/>
    /// stops after its match timeout, 2 s unless the attribute sets another) fails the field, as the caller's input did: the
    /// call is invalid, not an internal error.
    /// </summary>
    public static ArgumentError? Check(ValidationAttribute attribute, object? value, ValidationContext context, string field, string name)
    {
        try
        {
            var result = attribute.GetValidationResult(value, context);
            return result != ValidationResult.Success && result is not null
                ? new ArgumentError(field, result.ErrorMessage ?? $"The {name} field is invalid.")
                : null;
        }
        catch (RegexMatchTimeoutException ex)
        {
            return PatternTimedOut(field, ex);
        }
    }

    /// <summary>The error for a value a pattern could not be matched against within its time limit.</summary>
    public static ArgumentError PatternTimedOut(string field, RegexMatchTimeoutException ex) =>
        new(field, $"The value could not be checked against its pattern within {ex.MatchTimeout.TotalMilliseconds:0} ms; send a shorter or simpler value.");

    /// <summary>The field path as redaction segments: <c>order.lines[0].card</c> is <c>order</c>, <c>lines</c>, <c>0</c>, <c>card</c>.</summary>
    public List<string> Segments() => [.. Field.Split(['.', '[', ']'], StringSplitOptions.RemoveEmptyEntries)];
}
