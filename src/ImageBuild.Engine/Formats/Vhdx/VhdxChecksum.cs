using System.Buffers.Binary;
using System.Numerics;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// The VHDX checksum (VHDX 1.0 §2.2.2 and every later structure with a Checksum field): CRC-32C (Castagnoli) over the
/// whole structure with its 4-byte checksum field taken as zero, stored little-endian.
/// </summary>
internal static class VhdxChecksum
{
    /// <summary>CRC-32C of <paramref name="data"/> (initial value and final XOR 0xFFFFFFFF).</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data) => ~Accumulate(0xFFFFFFFFu, data);

    /// <summary>The checksum of <paramref name="structure"/> with the field at <paramref name="checksumOffset"/> zeroed.</summary>
    public static uint Compute(ReadOnlySpan<byte> structure, int checksumOffset)
    {
        uint crc = Accumulate(0xFFFFFFFFu, structure[..checksumOffset]);
        crc = BitOperations.Crc32C(crc, 0u);
        return ~Accumulate(crc, structure[(checksumOffset + 4)..]);
    }

    /// <summary>Whether the stored checksum matches the structure's content.</summary>
    public static bool IsValid(ReadOnlySpan<byte> structure, int checksumOffset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(structure[checksumOffset..]) == Compute(structure, checksumOffset);

    /// <summary>Computes and stores the checksum of <paramref name="structure"/> in its field.</summary>
    public static void Update(Span<byte> structure, int checksumOffset) =>
        BinaryPrimitives.WriteUInt32LittleEndian(structure[checksumOffset..], Compute(structure, checksumOffset));

    private static uint Accumulate(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data)
            crc = BitOperations.Crc32C(crc, b);
        return crc;
    }
}
