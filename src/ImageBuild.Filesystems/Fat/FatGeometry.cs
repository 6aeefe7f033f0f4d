namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// The volume's layout as fatgen103 defines it: reserved region (boot sector; for FAT32 also FSInfo at 1 and the
/// backup boot sector at 6), two FATs of <see cref="SectorsPerFat"/> sectors, the fixed root directory of FAT12/16,
/// then the data region of <see cref="ClusterCount"/> clusters numbered from 2. The data region starts on a cluster
/// boundary (as mkfs.fat aligns it), and the type follows from the cluster count (4085 / 65525 thresholds).
/// </summary>
internal sealed class FatGeometry
{
    public const int MaxFat12Clusters = 4084;
    public const int MaxFat16Clusters = 65524;
    public const uint MaxFat32Clusters = 0x0FFFFFF4;
    private const long MiB = 1 << 20;

    public required FatType Type { get; init; }
    public required int BytesPerSector { get; init; }
    public required int SectorsPerCluster { get; init; }
    public required int ReservedSectors { get; init; }
    public required int RootEntryCount { get; init; }
    public required uint SectorsPerFat { get; init; }
    public required uint TotalSectors { get; init; }
    public required uint ClusterCount { get; init; }
    public required uint HiddenSectors { get; init; }

    public int ClusterSize => BytesPerSector * SectorsPerCluster;
    public int RootDirSectors => (RootEntryCount * 32 + BytesPerSector - 1) / BytesPerSector;
    public long FatBytes => (long)SectorsPerFat * BytesPerSector;
    public long FatOffset(int copy) => ((long)ReservedSectors + (long)copy * SectorsPerFat) * BytesPerSector;
    public long RootDirOffset => FatOffset(2);
    public long FirstDataSector => ReservedSectors + 2L * SectorsPerFat + RootDirSectors;
    public long ClusterOffset(uint cluster) => (FirstDataSector + (long)(cluster - 2) * SectorsPerCluster) * BytesPerSector;

    /// <summary>Chooses type and cluster size (or checks the caller's) and lays out a volume of <paramref name="size"/> bytes.</summary>
    public static FatGeometry Compute(long size, long offset, FatOptions options)
    {
        int bps = options.SectorSize;
        if (bps is not (512 or 1024 or 2048 or 4096))
            throw new ArgumentException($"FAT sector size {bps}: it must be 512, 1024, 2048 or 4096");
        if (offset < 0 || offset % bps != 0)
            throw new ArgumentException($"FAT volume offset {offset}: it must be a non-negative multiple of the {bps}-byte sector");
        long sectors = size / bps;
        if (sectors > uint.MaxValue)
            throw new ArgumentException($"FAT volume of {size} bytes: more than 2^32 sectors of {bps} bytes");
        if (options.ClusterSize is { } cs && (cs < bps || cs > 65536 || (cs & (cs - 1)) != 0 || cs / bps > 128))
            throw new ArgumentException($"FAT cluster size {cs}: it must be a power of two from the sector size ({bps}) to 64 KiB");
        uint hidden = (uint)Math.Min(offset / bps, uint.MaxValue);

        if (options.Type == FatType.Auto)
        {
            if (size >= 512 * MiB)
                return Checked(Layout(FatType.Fat32, sectors, bps, ClusterFor(FatType.Fat32, size, bps, options), hidden), size);
            int csize = ClusterFor(FatType.Fat16, size, bps, options);
            var fat12 = Layout(FatType.Fat12, sectors, bps, csize, hidden);
            if (fat12 is { ClusterCount: > 0 and <= MaxFat12Clusters }) return fat12;
            var fat16 = Layout(FatType.Fat16, sectors, bps, csize, hidden);
            if (fat16 is { ClusterCount: > MaxFat12Clusters and <= MaxFat16Clusters }) return fat16;
            return Checked(Layout(FatType.Fat32, sectors, bps, csize, hidden), size);
        }
        return Checked(Layout(options.Type, sectors, bps, ClusterFor(options.Type, size, bps, options), hidden), size);
    }

    private static FatGeometry Checked(FatGeometry? g, long size)
    {
        if (g is null) throw new ArgumentException($"FAT volume of {size} bytes is too small to hold a FAT and one cluster");
        (uint lo, uint hi) = g.Type switch
        {
            FatType.Fat12 => (1u, (uint)MaxFat12Clusters),
            FatType.Fat16 => (MaxFat12Clusters + 1u, (uint)MaxFat16Clusters),
            _ => (MaxFat16Clusters + 1u, MaxFat32Clusters),
        };
        if (g.ClusterCount < lo || g.ClusterCount > hi)
            throw new ArgumentException($"FAT volume of {size} bytes with {g.ClusterSize}-byte clusters has {g.ClusterCount} clusters: {g.Type} needs {lo} to {hi}; choose another size, type or cluster size");
        return g;
    }

    /// <summary>mkfs.fat's default cluster size: fatgen103's tables, with 2 KiB the least for FAT12/16 on disks.</summary>
    private static int ClusterFor(FatType type, long size, int bps, FatOptions options)
    {
        if (options.ClusterSize is { } cs) return cs;
        int bytes = type == FatType.Fat32
            ? size switch { <= 260 * MiB => 512, <= 8192 * MiB => 4096, <= 16384 * MiB => 8192, <= 32768 * MiB => 16384, _ => 32768 }
            : size switch { <= 128 * MiB => 2048, <= 256 * MiB => 4096, <= 512 * MiB => 8192, <= 1024 * MiB => 16384, <= 2048 * MiB => 32768, _ => 65536 };
        return Math.Max(bytes, bps);
    }

    /// <summary>Sizes the FATs for the clusters they must describe and aligns the data region to the cluster size.</summary>
    private static FatGeometry? Layout(FatType type, long sectors, int bps, int clusterBytes, uint hidden)
    {
        int spc = clusterBytes / bps;
        int reserved = type == FatType.Fat32 ? 32 : 1;
        int rootEntries = type == FatType.Fat32 ? 0 : 512;
        long rootSecs = (rootEntries * 32L + bps - 1) / bps;
        int bitsPerEntry = type switch { FatType.Fat12 => 12, FatType.Fat16 => 16, _ => 32 };
        long fatSz = 1;
        long clusters;
        while (true)
        {
            long data = sectors - reserved - 2 * fatSz - rootSecs;
            clusters = data <= 0 ? 0 : data / spc;
            long needed = ((clusters + 2) * bitsPerEntry / 8 + bps) / bps;
            if (needed <= fatSz) break;
            fatSz = needed;
        }
        reserved += (int)((spc - (reserved + 2 * fatSz + rootSecs) % spc) % spc);
        long dataSectors = sectors - reserved - 2 * fatSz - rootSecs;
        if (dataSectors < spc) return null;
        clusters = Math.Min(dataSectors / spc, MaxFat32Clusters + 1L);
        return new FatGeometry
        {
            Type = type, BytesPerSector = bps, SectorsPerCluster = spc, ReservedSectors = reserved,
            RootEntryCount = rootEntries, SectorsPerFat = (uint)fatSz, TotalSectors = (uint)sectors,
            ClusterCount = (uint)clusters, HiddenSectors = hidden,
        };
    }
}
