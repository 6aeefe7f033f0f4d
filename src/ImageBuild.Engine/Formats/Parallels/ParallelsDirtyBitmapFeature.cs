using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>
/// A dirty bitmap feature of the format extension: u64 size (sectors), 16-byte id, u32 granularity (sectors), u32
/// l1_size, then l1_size u64 entries (0: all clear, 1: all set, else the sector of a cluster of bitmap data).
/// qemu 7.2 loads such bitmaps as read-only in-memory bitmaps named by the id, which qemu-img shows nowhere (the
/// driver has no info block); what it refuses, this refuses with the same words.
/// </summary>
internal static class ParallelsDirtyBitmapFeature
{
    public const ulong Magic = 0x20385FAE252CB34A;
    public const int Size = 32;

    /// <summary>Checks the feature's fixed part and L1 table size; returns the bitmap's name (its id as a UUID).</summary>
    public static string Validate(HostFile file, long pos, uint dataSize, ulong totalSectors, long clusterSize)
    {
        if (dataSize < Size)
            throw new ImageException(
                $"Too small Bitmap Feature area in Parallels Format Extension: {dataSize} bytes, expected at least {Size} bytes");
        var bf = new byte[Size];
        file.Read(pos, bf);
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(bf);
        uint granularitySectors = BinaryPrimitives.ReadUInt32LittleEndian(bf.AsSpan(24));
        uint l1Size = BinaryPrimitives.ReadUInt32LittleEndian(bf.AsSpan(28));
        if (size != totalSectors)
            throw new ImageException(
                $"Bitmap size (in sectors) {(long)size} differs from disk size in sectors {(long)totalSectors}");
        if ((ulong)l1Size * 8 > dataSize - (ulong)Size)
            throw new ImageException("Bitmaps feature corrupted: l1 table exceeds extension data_size");
        // qemu 7.2 asserts on such a granularity; later versions refuse it with these words
        ulong granularity = (ulong)granularitySectors << 9;
        if (granularity < 512 || granularity > uint.MaxValue || !ulong.IsPow2(granularity))
            throw new ImageException(
                $"Invalid bitmap granularity {granularity}, expected a power of two of at least 512 bytes");
        ulong expected = TableSize(totalSectors * 512, granularity, clusterSize);
        if (expected != l1Size)
            throw new ImageException(
                $"Bitmap table size {l1Size} does not correspond to bitmap size and cluster size. Expected {expected}");
        return FormatUuid(bf.AsSpan(8, 16));
    }

    /// <summary>Clusters of serialized bitmap (qemu's hbitmap: whole 64-bit words of one bit per granule).</summary>
    private static ulong TableSize(ulong bytes, ulong granularity, long clusterSize)
    {
        if (bytes == 0) return 0;
        int shift = System.Numerics.BitOperations.TrailingZeroCount(granularity);
        ulong words = ((bytes - 1) >> shift) / 64 + 1;
        return (words * 8 + (ulong)clusterSize - 1) / (ulong)clusterSize;
    }

    /// <summary>qemu_uuid_unparse of the 16 bytes as stored.</summary>
    private static string FormatUuid(ReadOnlySpan<byte> id)
    {
        string hex = Convert.ToHexStringLower(id);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
