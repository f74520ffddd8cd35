using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using FluentValidation;

namespace McpServices.AspNetCore.Tests.TestTools;

/// <summary>Patterns that backtrack catastrophically on some input (<c>(a+)+$</c> on <c>aaaa…!</c>), with short match timeouts.</summary>
public sealed class PatternTools(InvocationLog log)
{
    public string Tag([RegularExpression("^(a+)+$", MatchTimeoutInMilliseconds = 50)] string label)
    {
        log.Record("tag");
        return label;
    }

    public string Stick(Sticker sticker)
    {
        log.Record("stick");
        return sticker.Text ?? string.Empty;
    }

    public string Stamp(Stamp stamp)
    {
        log.Record("stamp");
        return stamp.Text ?? string.Empty;
    }
}

public sealed class Sticker
{
    [RegularExpression("^(a+)+$", MatchTimeoutInMilliseconds = 50)]
    public string? Text { get; set; }
}

public sealed class Stamp
{
    public string? Text { get; set; }
}

public sealed partial class StampValidator : AbstractValidator<Stamp>
{
    public StampValidator() => RuleFor(s => s.Text).Matches(Backtracking());

    [GeneratedRegex("^(a+)+$", RegexOptions.None, matchTimeoutMilliseconds: 50)]
    private static partial Regex Backtracking();
}
