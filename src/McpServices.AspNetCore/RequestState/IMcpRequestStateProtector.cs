namespace McpServices.AspNetCore;

/// <summary>
/// Protects the opaque <c>requestState</c> that a multi round-trip request (SEP-2322, protocol 2026-07-28) hands to the client and
/// receives back on the retry: the state is encrypted and authenticated, bound to the caller who received it and to a purpose
/// (typically the tool or prompt name), and expires. A client can echo it but cannot read, alter, replay it for another caller or
/// reuse it for another purpose.
/// </summary>
/// <remarks>
/// With <c>McpService:RequestState:Keys</c> (<see cref="McpServiceRequestStateOptions.Keys"/>) the state is protected with
/// those keys, which every replica shares; otherwise with ASP.NET Core Data Protection, whose key ring must then be shared
/// (<c>services.AddDataProtection().PersistKeysTo…()</c>) so that any replica can read state another one issued.
/// </remarks>
public interface IMcpRequestStateProtector
{
    /// <summary>Protects <paramref name="state"/> for the current caller and <paramref name="purpose"/>.</summary>
    /// <param name="purpose">What the state is for, for example the tool name; the same value must be passed to <see cref="Unprotect"/>.</param>
    /// <param name="state">The plain state.</param>
    /// <param name="lifetime">How long the state stays valid; 10 minutes when <see langword="null"/>.</param>
    /// <returns>An opaque, URL-safe string to send as <c>requestState</c>.</returns>
    string Protect(string purpose, string state, TimeSpan? lifetime = null);

    /// <summary>Reads state produced by <see cref="Protect"/> for the current caller and <paramref name="purpose"/>.</summary>
    /// <param name="purpose">The purpose given to <see cref="Protect"/>.</param>
    /// <param name="protectedState">The <c>requestState</c> the client echoed.</param>
    /// <returns>The plain state.</returns>
    /// <exception cref="ModelContextProtocol.McpProtocolException">
    /// The state was altered, has expired, was issued to another caller or for another purpose (JSON-RPC error −32602, invalid params).
    /// </exception>
    string Unprotect(string purpose, string protectedState);
}
