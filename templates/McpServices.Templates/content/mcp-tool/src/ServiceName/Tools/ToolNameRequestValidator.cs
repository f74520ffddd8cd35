using FluentValidation;

namespace ServiceRootNamespace.Tools;

/// <summary>Rules for <see cref="ToolNameRequest"/>; found by AddValidatorsFromAssemblyContaining&lt;Program&gt;() and run before the tool.</summary>
public sealed class ToolNameRequestValidator : AbstractValidator<ToolNameRequest>
{
    public ToolNameRequestValidator()
    {
        RuleFor(r => r.Id).NotEmpty().Matches("^[A-Z]{3}-[0-9]{4}$").WithMessage("Id must look like ABC-0001.");
        RuleFor(r => r.Quantity).InclusiveBetween(1, 100);
    }
}
