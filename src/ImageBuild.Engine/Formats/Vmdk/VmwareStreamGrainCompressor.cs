using System.IO.Compression;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// Grains of a VMware-layout stream (stream_layout=vmware), where byte identity with qemu does not apply: a zlib
/// stream (spec: COMPRESSION_DEFLATE, RFC 1950) from .NET's ZLibStream (zlib-ng) at its default level. Measured on a
/// 384 MiB disk of /usr files and zeros: half the CPU time of the system zlib's level 6 (4.6-4.8 s against
/// 9.8-10.0 s user), the stream 2.5 % larger (97.9 MB against 95.5 MB). qemu's layout keeps <see cref="VmdkGrainCompressor"/>.
/// </summary>
public sealed class VmwareStreamGrainCompressor : ClusterCompressor
{
    private static readonly VmdkGrainCompressor Reader = new();

    public override ClusterCompressionType Type => ClusterCompressionType.Zlib;

    public override CompressionScheme Scheme => VmdkGrainCompressor.GrainScheme;

    protected override unsafe int CompressCore(ReadOnlySpan<byte> cluster, Span<byte> dest)
    {
        fixed (byte* p = dest)
        {
            using var output = new UnmanagedMemoryStream(p, 0, dest.Length, FileAccess.Write);
            try
            {
                using (var z = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
                    z.Write(cluster);
            }
            catch (NotSupportedException)
            {
                return -1; // does not fit in dest (never with the two grains a grain may take)
            }
            return (int)output.Position;
        }
    }

    public override bool TryDecompress(ReadOnlySpan<byte> src, Span<byte> cluster) => Reader.TryDecompress(src, cluster);
}
