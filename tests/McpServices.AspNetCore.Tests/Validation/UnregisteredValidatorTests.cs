using FluentValidation;
using McpServices.AspNetCore.Tests.TestTools;
using McpServices.Tests.Common;
using Microsoft.Extensions.Logging;

namespace McpServices.AspNetCore.Tests.Validation;

/// <summary>
/// FluentValidation validators run when they are registered in DI. One written for a tool's argument type and never registered
/// (a project without <c>AddValidatorsFromAssemblyContaining</c>, a tool class added with <c>dotnet new mcp-tool</c>) would
/// silently not run: the service says so when it starts.
/// </summary>
public sealed class UnregisteredValidatorTests
{
    [Fact]
    public async Task AValidatorForAToolsArgumentThatIsNotRegistered_IsAWarningNamingTheFix()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(b => b.WithTools<OrderTools>(), configure: b => b.Logging.AddProvider(logs));

        var warning = Assert.Single(logs.Entries, e => e.EventId.Id == 65);
        Assert.Equal(
            "McpServices.AspNetCore.Tests.TestTools.OrderValidator validates Order, the argument 'order' of the tool 'place_order', but no IValidator<Order> " +
            "is registered, so it does not run before the tool. Register it with builder.Services.AddValidatorsFromAssemblyContaining<OrderValidator>().",
            warning.Message);
    }

    [Fact]
    public async Task AnInternalValidator_IsToldToBeRegisteredWithInternalTypes()
    {
        // FluentValidation's assembly scan registers public validators unless includeInternalTypes says otherwise.
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<LabelTools>(),
            configure: b =>
            {
                b.Logging.AddProvider(logs);
                b.Services.AddValidatorsFromAssemblyContaining<LabelValidator>();
            });

        var warning = Assert.Single(logs.Entries, e => e.EventId.Id == 65);
        Assert.EndsWith(
            "Register it with builder.Services.AddValidatorsFromAssemblyContaining<LabelValidator>(includeInternalTypes: true): it is not public, and the scan registers only public validators unless told otherwise.",
            warning.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisteredValidators_AreNotWarnedAbout()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            b => b.WithTools<OrderTools>(),
            configure: b =>
            {
                b.Logging.AddProvider(logs);
                b.Services.AddValidatorsFromAssemblyContaining<OrderValidator>();
            });

        Assert.DoesNotContain(logs.Entries, e => e.EventId.Id == 65);
    }
}

public sealed record Label(string Text);

internal sealed class LabelValidator : AbstractValidator<Label>
{
    public LabelValidator() => RuleFor(l => l.Text).NotEmpty();
}

public sealed class LabelTools
{
    [System.ComponentModel.Description("Prints a label.")]
    public string PrintLabel(Label label) => label.Text;
}
