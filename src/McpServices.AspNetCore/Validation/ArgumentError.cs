namespace McpServices.AspNetCore;

/// <summary>One invalid argument: the field path as the caller sent it (for example <c>request.lines[0].quantity</c>) and what is wrong.</summary>
/// <param name="Field">The JSON path of the field, starting with the argument name.</param>
/// <param name="Message">What is wrong with the value, for the caller.</param>
internal sealed record ArgumentError(string Field, string Message);
