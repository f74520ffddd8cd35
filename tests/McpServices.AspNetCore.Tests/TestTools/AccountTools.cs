using FluentValidation;

namespace McpServices.AspNetCore.Tests.TestTools;

public sealed class Profile
{
    [Sensitive]
    public string? TaxId { get; set; }

    public string? City { get; set; }
}

public sealed class Registration
{
    public string? Email { get; set; }

    [Sensitive]
    public string? Password { get; set; }

    public Profile? Profile { get; set; }

    public List<Profile> Previous { get; set; } = [];
}

/// <summary>A positional record: [Sensitive] goes on the constructor parameter.</summary>
public sealed record PaymentCard(string Holder, [Sensitive] string Number);

public sealed class Credential
{
    public string? User { get; set; }

    [Sensitive]
    public string? Secret { get; set; }
}

/// <summary>A recursive type with a sensitive member, and a dictionary whose values hold one.</summary>
public sealed record Workspace(string Name, [Sensitive] string? Token = null, List<Workspace>? Children = null, Dictionary<string, Credential>? Credentials = null);

/// <summary>A sensitive value checked by a validator whose message quotes it; its JSON name is not the policy's.</summary>
public sealed record PinChange(string Card, [Sensitive][property: System.Text.Json.Serialization.JsonPropertyName("pin_code")] string Pin);

public sealed class PinChangeValidator : AbstractValidator<PinChange>
{
    public PinChangeValidator()
    {
        RuleFor(c => c.Pin).Matches("^[0-9]{4}$").WithMessage("'{PropertyValue}' is not a 4-digit PIN.");
        RuleFor(c => c.Card).Matches("^[0-9]{16}$").WithMessage("'{PropertyValue}' is not a card number.");
    }
}

public sealed class AccountTools(InvocationLog log)
{
    public string VerifyPin(string card, [Sensitive] string pin)
    {
        log.Record("verify_pin");

        // A rule only the tool can check, thrown with a message that quotes the value (its property name is the validator's).
        throw new ValidationException([new FluentValidation.Results.ValidationFailure("Secret.Code", $"'{pin}' does not match card {card}.")]);
    }

    public string ChangePin(PinChange change)
    {
        log.Record("change_pin");
        return "changed";
    }

    public string Share(Workspace workspace, string? note = null)
    {
        log.Record("share");
        return $"shared {workspace.Name}";
    }

    public string AddCard(PaymentCard card)
    {
        log.Record("add_card");
        return $"card of {card.Holder} ending {card.Number[^2..]}";
    }

    public string ResetPassword(string user, [Sensitive] string newPassword)
    {
        log.Record("reset_password");
        return $"reset {user} ({newPassword.Length} chars)";
    }

    public string Register(Registration registration, string? referrer = null)
    {
        log.Record("register");
        return $"registered {registration.Email} via {referrer}";
    }
}
