using System.IO.Compression;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// Decompresses one compressed cluster: raw deflate (compression_type 0) or one zstd frame (1). The input may carry
/// trailing bytes (the descriptor's sector count overshoots); output stops after one cluster, which must be filled.
/// </summary>
internal static class ClusterDecompressor
{
    public static bool TryDecompress(byte type, ReadOnlySpan<byte> src, Span<byte> dest)
    {
        try
        {
            return type == 0 ? Inflate(src, dest) : Unzstd(src, dest);
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException or IOException)
        {
            return false;
        }
    }

    private static unsafe bool Inflate(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        fixed (byte* p = src)
        {
            using var ms = new UnmanagedMemoryStream(p, src.Length);
            using var z = new DeflateStream(ms, CompressionMode.Decompress);
            int done = 0;
            while (done < dest.Length)
            {
                int n = z.Read(dest[done..]);
                if (n == 0) break;
                done += n;
            }
            return done == dest.Length;
        }
    }

    private static unsafe bool Unzstd(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        fixed (byte* p = src)
        {
            nuint frame = ZstdSharp.Unsafe.Methods.ZSTD_findFrameCompressedSize(p, (nuint)src.Length);
            if (ZstdSharp.Unsafe.Methods.ZSTD_isError(frame))
                return false;
            using var ms = new UnmanagedMemoryStream(p, (long)frame);
            using var z = new ZstdSharp.DecompressionStream(ms);
            int done = 0;
            while (done < dest.Length)
            {
                int n = z.Read(dest[done..]);
                if (n == 0) break;
                done += n;
            }
            return done == dest.Length;
        }
    }
}
