namespace McpServices.AspNetCore;

/// <summary>How the <c>requestState</c> of multi round-trip requests is protected (<c>McpService:RequestState</c>).</summary>
public sealed class McpServiceRequestStateOptions
{
    /// <summary>
    /// Gets or sets the keys that protect <c>requestState</c> (AES-256-GCM), each the base64 of 32 random bytes
    /// (<c>openssl rand -base64 32</c>), typically from a Kubernetes Secret, so that every replica reads state any replica issued.
    /// The first key protects new state and every key reads it. Rotate in three steps, each rolled out to every replica: add the
    /// new key after the old one (every replica can then read it), put it first (new state uses it), and remove the old key once
    /// the state it protected has expired (10 minutes by default).
    /// </summary>
    /// <value>The default is none: ASP.NET Core Data Protection with the application's key ring, which must then be shared
    /// between replicas (<c>services.AddDataProtection().PersistKeysTo…()</c>).</value>
    public string[] Keys { get; set; } = [];
}
