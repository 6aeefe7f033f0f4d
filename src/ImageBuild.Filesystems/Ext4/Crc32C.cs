using System.Numerics;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>CRC-32C (Castagnoli) as ext4's metadata checksums use it: no inversion before or after (ext2fs_crc32c_le).</summary>
internal static class Crc32C
{
    public static uint Compute(uint crc, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            crc = BitOperations.Crc32C(crc, System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++)
            crc = BitOperations.Crc32C(crc, data[i]);
        return crc;
    }
}
