using System.Buffers.Binary;
using System.Security.Cryptography;

namespace McpServices.AspNetCore;

/// <summary>
/// Ids for tool calls (audit record ids, failure references): UUIDv7 layout — 48-bit Unix milliseconds, then 74 bits that are a
/// per-process random value and a counter — so they are unique and time-ordered without asking the operating system for random
/// bytes on every call. They are identifiers, not secrets.
/// </summary>
internal static class CallIds
{
    private static readonly ulong ProcessBits = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
    private static long _counter = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));

    public static string Next(DateTimeOffset now)
    {
        var milliseconds = (ulong)now.ToUnixTimeMilliseconds();
        var counter = (ulong)Interlocked.Increment(ref _counter);
        Span<byte> bytes = stackalloc byte[16];

        // 48 bits of time, version 7, 12 bits of the process value.
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (milliseconds << 16) | 0x7000UL | (ProcessBits & 0x0FFF));

        // Variant 10, 30 more bits of the process value, 32 bits of the counter.
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], 0x8000_0000_0000_0000UL | (((ProcessBits >> 12) & 0x3FFF_FFFFUL) << 32) | (counter & 0xFFFF_FFFFUL));
        return Convert.ToHexStringLower(bytes);
    }
}
