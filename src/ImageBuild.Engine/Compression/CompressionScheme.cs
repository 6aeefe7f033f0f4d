namespace ImageBuild.Engine.Compression;

/// <summary>The stream a compressed unit (cluster, grain, chunk) is stored in.</summary>
public enum CompressionContainer
{
    /// <summary>Deflate without header or checksum (qcow, qcow2 "zlib").</summary>
    RawDeflate,

    /// <summary>Deflate inside a zlib header and Adler-32 trailer (VMDK streamOptimized grains, cloop, dmg).</summary>
    Zlib,

    /// <summary>One zstd frame (qcow2 compression_type=zstd).</summary>
    Zstd,

    /// <summary>A bzip2 stream (dmg).</summary>
    Bzip2,

    /// <summary>An LZFSE stream (dmg).</summary>
    Lzfse,
}

/// <summary>
/// How a format compresses its units, apart from any one format: the container, the deflate window (log2 bytes,
/// 0 where the container has none) readers use, and whether a compressed unit may be stored larger than the
/// uncompressed data (qcow2 falls back to an uncompressed cluster; a streamOptimized grain is stored anyway), and
/// whether a last unit cut short by the end of the image is padded with zeros to a whole unit before compressing
/// (qcow2 pads; a VMDK grain at the end of the disk is compressed as it is).
/// </summary>
public sealed record CompressionScheme(CompressionContainer Container, int WindowBits, bool MayExpand, bool PadsLastUnit = true)
{
    /// <summary>qemu's qcow and qcow2 "zlib": raw deflate, 4 KiB window, never larger than the cluster.</summary>
    public static readonly CompressionScheme QemuDeflate = new(CompressionContainer.RawDeflate, 12, MayExpand: false);

    /// <summary>qcow2 compression_type=zstd: one frame per cluster, never larger than the cluster.</summary>
    public static readonly CompressionScheme QemuZstd = new(CompressionContainer.Zstd, 0, MayExpand: false);
}
