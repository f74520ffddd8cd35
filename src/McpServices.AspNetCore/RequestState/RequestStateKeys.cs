using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace McpServices.AspNetCore;

/// <summary>
/// <c>requestState</c> protected with configured keys (<see cref="McpServiceRequestStateOptions.Keys"/>), so that every replica
/// reads state any replica issued. AES-256-GCM: the plaintext is the expiry and the state; the associated data binds it to the
/// service, the purpose and the caller, so state altered, issued to another caller or for another purpose fails authentication.
/// </summary>
/// <remarks>
/// Format: <c>mcs1.</c> + base64url(key id [4] | nonce [12] | tag [16] | ciphertext), where the key id is the start of a SHA-256
/// of the key (it names the key among the configured ones without revealing it) and the ciphertext encrypts the expiry (Unix
/// milliseconds, 8 bytes big-endian) followed by the state in UTF-8. Nonces are random: 2^32 states per key keep the chance of a
/// repeated nonce negligible; rotate keys long before that.
/// </remarks>
internal sealed class RequestStateKeys
{
    public const string Prefix = "mcs1.";

    private const int KeyIdSize = 4;
    private const int HeaderSize = KeyIdSize + 12 + 16;

    private readonly (byte[] Id, byte[] Key)[] _keys;

    private RequestStateKeys((byte[] Id, byte[] Key)[] keys) => _keys = keys;

    /// <summary>Decodes the configured keys; <see langword="null"/> when none are configured (Data Protection is used then).</summary>
    public static RequestStateKeys? From(IReadOnlyList<string> configured)
    {
        if (configured.Count == 0)
        {
            return null;
        }

        var keys = new (byte[], byte[])[configured.Count];
        for (var i = 0; i < configured.Count; i++)
        {
            // Validated at startup (McpServiceOptionsValidator), and again on a reload.
            if (!TryDecode(configured[i], out var key))
            {
                throw new McpServiceConfigurationException($"{McpServiceOptions.SectionName}:RequestState:Keys:{i} is not a key: give the base64 of 32 random bytes (for example from 'openssl rand -base64 32').");
            }

            keys[i] = (SHA256.HashData([.. "McpServices.RequestState key id\n"u8, .. key])[..KeyIdSize], key);
        }

        return new RequestStateKeys(keys);
    }

    public static bool TryDecode(string? value, out byte[] key)
    {
        key = [];
        var text = value?.Trim() ?? string.Empty;
        Span<byte> buffer = stackalloc byte[64];
        if (!Convert.TryFromBase64String(text, buffer, out var written))
        {
            try
            {
                if (!Base64Url.TryDecodeFromChars(text, buffer, out written))
                {
                    return false;
                }
            }
            catch (FormatException)
            {
                return false; // Base64Url's Try methods report only a short destination; other characters throw
            }
        }

        if (written != 32)
        {
            return false;
        }

        key = buffer[..32].ToArray();
        return true;
    }

    public static bool IsKeyProtected(string protectedState) => protectedState.StartsWith(Prefix, StringComparison.Ordinal);

    public string Protect(string associatedData, string state, DateTimeOffset expires)
    {
        var (id, key) = _keys[0];
        var plaintext = new byte[8 + Encoding.UTF8.GetByteCount(state)];
        BinaryPrimitives.WriteInt64BigEndian(plaintext, expires.ToUnixTimeMilliseconds());
        Encoding.UTF8.GetBytes(state, plaintext.AsSpan(8));

        var sealedState = new byte[HeaderSize + plaintext.Length];
        id.CopyTo(sealedState, 0);
        var nonce = sealedState.AsSpan(KeyIdSize, 12);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(nonce, plaintext, sealedState.AsSpan(HeaderSize), sealedState.AsSpan(KeyIdSize + 12, 16), Encoding.UTF8.GetBytes(associatedData));
        }

        return Prefix + Base64Url.EncodeToString(sealedState);
    }

    /// <summary>Returns the state, or <see langword="null"/> when it is not valid: malformed, altered, bound to something else, protected with a key this service does not have, or expired.</summary>
    public string? Unprotect(string associatedData, string protectedState, DateTimeOffset now)
    {
        byte[] sealedState;
        try
        {
            sealedState = Base64Url.DecodeFromChars(protectedState.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return null;
        }

        if (sealedState.Length < HeaderSize + 8)
        {
            return null;
        }

        var plaintext = new byte[sealedState.Length - HeaderSize];
        foreach (var (id, key) in _keys)
        {
            if (!sealedState.AsSpan(0, KeyIdSize).SequenceEqual(id))
            {
                continue;
            }

            try
            {
                using var aes = new AesGcm(key, 16);
                aes.Decrypt(sealedState.AsSpan(KeyIdSize, 12), sealedState.AsSpan(HeaderSize), sealedState.AsSpan(KeyIdSize + 12, 16), plaintext, Encoding.UTF8.GetBytes(associatedData));
            }
            catch (AuthenticationTagMismatchException)
            {
                continue; // another configured key may share the id's first bytes
            }

            return BinaryPrimitives.ReadInt64BigEndian(plaintext) > now.ToUnixTimeMilliseconds()
                ? Encoding.UTF8.GetString(plaintext.AsSpan(8))
                : null;
        }

        return null;
    }
}
