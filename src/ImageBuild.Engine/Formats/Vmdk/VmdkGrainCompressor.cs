using System.IO.Compression;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// Compressed grains as qemu's vmdk_write_extent makes them: zlib's compress() (a zlib stream, RFC 1950, level
/// Z_DEFAULT_COMPRESSION, 32 KiB window, memLevel 8), into a buffer of two grains, stored whatever its size (spec:
/// a grain marker gives the compressed size; a grain may come out larger than it went in). A grain cut short by the
/// end of the disk is compressed as it is, not padded. Thread-safe, so convert compresses on every core.
/// With <see cref="DeflateLibrary.RuntimeZlibNg"/> the same kind of stream comes from the runtime's zlib-ng
/// (<see cref="RuntimeZlib.DeflateSmall"/>): other bytes, the same format.
/// </summary>
public sealed class VmdkGrainCompressor(DeflateLibrary deflate = DeflateLibrary.SystemZlib) : ClusterCompressor
{
    /// <summary>VMware's COMPRESSION_DEFLATE as qemu writes and reads it.</summary>
    public static readonly CompressionScheme GrainScheme = new(CompressionContainer.Zlib, 15, MayExpand: true, PadsLastUnit: false);

    /// <summary>zlib's defaults, what compress() uses: Z_DEFAULT_COMPRESSION, MAX_WBITS, DEF_MEM_LEVEL.</summary>
    private const int Level = -1, WindowBits = 15, MemLevel = 8;

    public override ClusterCompressionType Type => ClusterCompressionType.Zlib;

    public override CompressionScheme Scheme => GrainScheme;

    protected override int CompressCore(ReadOnlySpan<byte> cluster, Span<byte> dest)
    {
        if (deflate == DeflateLibrary.RuntimeZlibNg && RuntimeZlib.IsAvailable)
            return RuntimeZlib.DeflateSmall(cluster, dest, WindowBits, MemLevel, retryAbovePercent: 60);
        var zlib = ZlibLibrary.TryGet(out string error)
            ?? throw new ImageException($"Cannot write compressed grains: {error}");
        return zlib.ZlibDeflate(cluster, dest, Level, WindowBits, MemLevel, ZlibLibrary.ZDefaultStrategy);
    }

    /// <summary>Inflates one grain's zlib stream into exactly <c>cluster.Length</c> bytes.</summary>
    public override unsafe bool TryDecompress(ReadOnlySpan<byte> src, Span<byte> cluster)
    {
        if (src.IsEmpty) return false;
        fixed (byte* p = src)
        {
            using var input = new UnmanagedMemoryStream(p, src.Length);
            using var z = new ZLibStream(input, CompressionMode.Decompress);
            try
            {
                int filled = 0;
                while (filled < cluster.Length)
                {
                    int n = z.Read(cluster[filled..]);
                    if (n == 0) return false;
                    filled += n;
                }
                return true;
            }
            catch (InvalidDataException)
            {
                return false;
            }
        }
    }
}
