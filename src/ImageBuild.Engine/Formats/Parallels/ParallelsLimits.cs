namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>The limits qemu 7.2's parallels driver and block layer put on an image, with their messages.</summary>
internal static class ParallelsLimits
{
    /// <summary>qemu refuses clusters of more than INT32_MAX / 513 sectors ("Too big cluster").</summary>
    public const uint MaxTracks = int.MaxValue / 513;

    /// <summary>qemu refuses tables of more than INT_MAX / 4 entries ("Catalog too large").</summary>
    public const uint MaxBatEntries = int.MaxValue / 4;

    /// <summary>The largest single read qemu's block layer does (BDRV_REQUEST_MAX_BYTES); the header and BAT are read in one.</summary>
    public const long MaxRequestBytes = 0x7FFFFE00;

    /// <summary>The largest image size qemu's block layer accepts (BDRV_MAX_LENGTH), in sectors.</summary>
    public const ulong MaxTotalSectors = (ulong)(long.MaxValue - ((1L << 30) - 1)) / 512;

    /// <summary>The memory alignment of qemu's buffer for the header and BAT (bdrv_opt_mem_align of a file: a page).</summary>
    public const int MemAlign = 4096;

    /// <summary>Default prealloc-size: the file grows by this much beyond what a write needs (qemu's 128M).</summary>
    public const long DefaultPreallocBytes = 128L << 20;

    /// <summary>create: cluster sizes must stay below INT64_MAX / 2^32 ("Cluster size is too large").</summary>
    public const long MaxImageFactor = 1L << 32;

    public const long DefaultClusterSize = 1 << 20;
}
