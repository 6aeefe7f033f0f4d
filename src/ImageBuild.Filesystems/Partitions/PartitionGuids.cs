using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// Reproducible GUIDs the way systemd-repart derives them from its seed: the disk GUID is HMAC-SHA256(seed,
/// "disk-uuid"); a partition's is HMAC-SHA256(seed, type UUID), with a little-endian 64-bit counter appended for the
/// second and later partitions of the same type; the first 16 bytes of the MAC, in UUID byte order, with the version
/// set to 4 and the variant to RFC 4122.
/// </summary>
public static class PartitionGuids
{
    /// <summary>The 128-bit seed: a UUID string as itself (byte order as written), any other string as SHA-256's first 16 bytes.</summary>
    public static byte[] SeedBytes(string seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (Guid.TryParse(seed, out var g))
            return g.ToByteArray(bigEndian: true);
        return SHA256.HashData(Encoding.UTF8.GetBytes(seed))[..16];
    }

    public static Guid Disk(byte[] seed) => FromMac(HMACSHA256.HashData(seed, "disk-uuid"u8));

    public static Guid Partition(byte[] seed, Guid type, long sameTypeBefore)
    {
        Span<byte> plaintext = stackalloc byte[24];
        type.TryWriteBytes(plaintext, bigEndian: true, out _);
        BinaryPrimitives.WriteInt64LittleEndian(plaintext[16..], sameTypeBefore);
        return FromMac(HMACSHA256.HashData(seed, sameTypeBefore == 0 ? plaintext[..16] : plaintext));
    }

    /// <summary>
    /// An identifier derived from another, as systemd-repart derives a filesystem's UUID from its partition's
    /// (HMAC-SHA256 keyed by the UUID's bytes over <paramref name="purpose"/>, e.g. "fs-uuid"), version 4, RFC 4122 variant.
    /// </summary>
    public static Guid Derive(Guid key, string purpose) =>
        FromMac(HMACSHA256.HashData(key.ToByteArray(bigEndian: true), Encoding.UTF8.GetBytes(purpose)));

    private static Guid FromMac(byte[] mac)
    {
        Span<byte> id = mac.AsSpan(0, 16);
        id[6] = (byte)((id[6] & 0x0F) | 0x40);
        id[8] = (byte)((id[8] & 0x3F) | 0x80);
        return new Guid(id, bigEndian: true);
    }
}
