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

    /// <summary>At most this many names a schema does not declare are reported per object (each with a suggestion).</summary>
    internal const int MaxUndeclaredReported = 10;

    /// <summary>A longer undeclared name is shown cut to this many characters.</summary>
    internal const int MaxUndeclaredNameShown = 64;

    /// <summary>
    /// Adds an error for each of <paramref name="names"/>, sent where the schema declares only <paramref name="declared"/>: the
    /// tool's arguments (<paramref name="path"/> <see langword="null"/>) or the members of the object at <paramref name="path"/>.
    /// Each suggests the declared name it most likely meant (within two edits, ignoring case, for names up to
    /// <see cref="MaxUndeclaredNameShown"/> characters: a caller's name may be a megabyte long), or lists the declared ones; at
    /// most <see cref="MaxUndeclaredReported"/> are named, each cut to <see cref="MaxUndeclaredNameShown"/> characters.
    /// <paramref name="subject"/> names what has the arguments (a prompt's are reported the same way). A name that is a member of
    /// one of the tool's object arguments (<paramref name="memberOwners"/>) is said to belong inside it instead.
    /// </summary>
    public static void AddUndeclared(
        ref List<ArgumentError>? errors,
        string? path,
        IReadOnlyList<string> names,
        IReadOnlyList<string> declared,
        string subject = "The tool",
        IReadOnlyDictionary<string, (string Argument, string Member)>? memberOwners = null,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? wrappers = null)
    {
        var owner = path is null ? $"{subject} has no argument" : $"The {path} object has no member";
        for (var i = 0; i < names.Count && i < MaxUndeclaredReported; i++)
        {
            var name = names[i];
            var shown = name.Length > MaxUndeclaredNameShown ? string.Concat(name.AsSpan(0, MaxUndeclaredNameShown), "…") : name;
            var suggestion = name.Length <= MaxUndeclaredNameShown ? NameSuggestion.Closest(name, declared) : null;
            var message = wrappers is not null && wrappers.TryGetValue(name, out var wrapped)
                ? $"{owner} '{shown}'; its members are the tool's own arguments: send them at the top level, not inside '{shown}' ({{{string.Join(", ", wrapped.Select(m => $"\"{m}\": …"))}}})."
                : memberOwners is not null && memberOwners.TryGetValue(name, out var owning)
                ? $"{owner} '{shown}'; '{owning.Member}' is a member of the argument '{owning.Argument}': send it inside that object ({{\"{owning.Argument}\": {{\"{owning.Member}\": …}}}})."
                : suggestion is not null ? $"{owner} '{shown}'; did you mean '{suggestion}'?"
                : declared.Count == 0 ? $"{owner} '{shown}'; {(path is null ? "it takes no arguments" : "it has no members")}."
                : $"{owner} '{shown}'; its {(path is null ? "arguments" : "members")} are {string.Join(", ", declared)}.";
            if (i == MaxUndeclaredReported - 1 && names.Count > MaxUndeclaredReported)
            {
                message += $" ({names.Count - MaxUndeclaredReported} more {(path is null ? "argument(s) it does not have" : "member(s) it does not have")} are not listed.)";
            }

            (errors ??= []).Add(new ArgumentError(path is null ? shown : $"{path}.{shown}", message));
        }
    }

    /// <summary>The field path as redaction segments: <c>order.lines[0].card</c> is <c>order</c>, <c>lines</c>, <c>0</c>, <c>card</c>.</summary>
    public List<string> Segments() => [.. Field.Split(['.', '[', ']'], StringSplitOptions.RemoveEmptyEntries)];
}
