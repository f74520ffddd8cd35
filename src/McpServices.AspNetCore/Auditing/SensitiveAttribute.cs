namespace McpServices.AspNetCore;

/// <summary>
/// Marks a tool parameter, or a property of an argument type, whose value must not appear in audit records: it is recorded
/// as <c>"[redacted]"</c>. Sensitive parameters are listed in the self-description.
/// </summary>
/// <example>
/// <code>
/// public string ResetPassword(string user, [Sensitive] string newPassword) => …;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class SensitiveAttribute : Attribute;
