namespace McpServices.AspNetCore.Tests.Validation;

/// <summary>Which numbers count as integers written with a fraction or an exponent: decided on the digits, never rounded.</summary>
public sealed class PlainIntegerTests
{
    [Theory]
    [InlineData("3.0", "3")]
    [InlineData("-1.50e1", "-15")]
    [InlineData("0.0001e4", "1")]
    [InlineData("1e-0", "1")]
    [InlineData("120E-1", "12")]
    [InlineData("-0.0", "0")]
    [InlineData("0e5", "0")]
    [InlineData("00.0", "0")]
    [InlineData("18446744073709551615.0", "18446744073709551615")]
    [InlineData("1e39", "1000000000000000000000000000000000000000")]
    public void IntegralNumbers_AreWrittenPlainly(string number, string plain) => Assert.Equal(plain, SchemaCheck.PlainInteger(number));

    [Theory]
    [InlineData("3")] // already plain
    [InlineData("-17")]
    [InlineData("3.5")]
    [InlineData("1e-1")]
    [InlineData("3.0000000000000000000000000000001")] // a decimal would round it to 3
    [InlineData("1e40")] // 41 digits, beyond every .NET integer: left to the serializer's error
    [InlineData("1e400")]
    [InlineData("1e99999999999")]
    public void OtherNumbers_AreLeftAlone(string number) => Assert.Null(SchemaCheck.PlainInteger(number));
}
