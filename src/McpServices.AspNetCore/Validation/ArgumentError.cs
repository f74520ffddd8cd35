using System.Text;

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

    /// <summary>The field path as redaction segments: <c>order.lines[0].card</c> is <c>order</c>, <c>lines</c>, <c>0</c>, <c>card</c>.</summary>
    public List<string> Segments() => [.. Field.Split(['.', '[', ']'], StringSplitOptions.RemoveEmptyEntries)];
}
