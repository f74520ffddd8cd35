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
        var warning = Assert.Single(await StartupWarningsAsync(b => b.WithTools<OrderTools>(), registerValidators: false));

        Assert.Equal(
            "McpServices.AspNetCore.Tests.TestTools.OrderValidator validates Order, the argument 'order' of the tool 'place_order', but no IValidator<Order> " +
            "is registered, so it does not run before the tool. Register it with builder.Services.AddValidatorsFromAssemblyContaining<OrderValidator>().",
            warning);
    }

    [Fact]
    public async Task AnInternalValidator_IsToldToBeRegisteredWithInternalTypes()
    {
        // FluentValidation's assembly scan registers public validators unless includeInternalTypes says otherwise: the scan runs
        // here, and LabelValidator, internal, is still unregistered.
        var warning = Assert.Single(await StartupWarningsAsync(b => b.WithTools<LabelTools>(), registerValidators: true));

        Assert.EndsWith(
            "Register it with builder.Services.AddValidatorsFromAssemblyContaining<LabelValidator>(includeInternalTypes: true): it is not public, and the scan registers only public validators unless told otherwise.",
            warning,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisteredValidators_AreNotWarnedAbout() =>
        Assert.Empty(await StartupWarningsAsync(b => b.WithTools<OrderTools>(), registerValidators: true));

    /// <summary>Starts and stops a service; returns the messages of its unregistered-validator warnings (event 65).</summary>
    private static async Task<string[]> StartupWarningsAsync(Action<IMcpServiceBuilder> tools, bool registerValidators)
    {
        var logs = new CapturingLoggerProvider();
        await using (await TestServer.StartAsync(tools, configure: b =>
        {
            b.Logging.AddProvider(logs);
            if (registerValidators)
            {
                b.Services.AddValidatorsFromAssemblyContaining<OrderValidator>(); // this assembly's public validators
            }
        }))
        {
        }

        return [.. logs.Entries.Where(e => e.EventId.Id == 65).Select(e => e.Message)];
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
