namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>Sizes the spec fixes (VHDX 1.0 §2.1, §2.2, §3.1) and qemu's limit on the virtual size.</summary>
internal static class VhdxLayout
{
    public const long MiB = 1 << 20;

    /// <summary>The header section: the first 1 MiB (file identifier, two headers, two region tables).</summary>
    public const long HeaderSectionEnd = MiB;

    /// <summary>VHDX 1.0 §2.6.2.2: at most 64 TiB (qemu's VHDX_MAX_IMAGE_SIZE).</summary>
    public const long MaxVirtualSize = 64L << 40;

    /// <summary>2^23: a sector bitmap block (1 MiB) has one bit for each of 2^23 sectors (§2.5).</summary>
    public const long SectorsPerBitmapBlock = 1L << 23;

    public static long ChunkRatio(uint logicalSectorSize, uint blockSize) => SectorsPerBitmapBlock * logicalSectorSize / blockSize;

    /// <summary>
    /// The BAT entries an image needs (§2.5): payload blocks with a sector bitmap entry after each chunk — for a
    /// differencing image every chunk is complete (SectorBitmapBlocks · (ChunkRatio + 1)); otherwise the last bitmap
    /// entry is left out (DataBlocks + ⌊(DataBlocks − 1) / ChunkRatio⌋), as qemu's vhdx_calc_bat_entries.
    /// </summary>
    public static long BatEntries(long virtualSize, uint blockSize, long chunkRatio, bool differencing)
    {
        long dataBlocks = (virtualSize + blockSize - 1) / blockSize;
        if (dataBlocks == 0)
            return 0;
        long bitmapBlocks = (dataBlocks + chunkRatio - 1) / chunkRatio;
        return differencing ? bitmapBlocks * (chunkRatio + 1) : dataBlocks + (dataBlocks - 1) / chunkRatio;
    }
}
