using System.Buffers.Binary;
using ImageBuild.Engine.Compression;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Compression;

/// <summary>
/// The codecs against qemu-img's own compressed images: every cluster qemu compressed decodes byte-exactly, and
/// payloads we compress, put in place of qemu's, read back through qemu-img as the original data.
/// </summary>
[TestClass]
public sealed class QemuInteropTests
{
    /// <summary>10 MiB: 6 MiB of real library bytes, 2 MiB of zeros, 2 MiB of random (incompressible) bytes.</summary>
    private static byte[] SourceImage()
    {
        var data = new byte[10 << 20];
        CompressionTestData.RealBytes(6 << 20, 3 << 20).CopyTo(data, 0);
        CompressionTestData.Random(2 << 20, 99).CopyTo(data, 8 << 20);
        return data;
    }

    private static string Convert(TempDir dir, byte[] raw, int clusterSize, string type)
    {
        string src = Path.Combine(dir.Path, "src.raw");
        File.WriteAllBytes(src, raw);
        string dst = Path.Combine(dir.Path, $"c{clusterSize}-{type}.qcow2");
        QemuOracle.ImgOk("convert", "-q", "-c", "-f", "raw", "-O", "qcow2", "-o", $"cluster_size={clusterSize},compression_type={type}", src, dst);
        return dst;
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow(512, "zlib")]
    [DataRow(4096, "zlib")]
    [DataRow(65536, "zlib")]
    [DataRow(2097152, "zlib")]
    [DataRow(512, "zstd")]
    [DataRow(4096, "zstd")]
    [DataRow(65536, "zstd")]
    [DataRow(2097152, "zstd")]
    public void EveryClusterQemuCompressed_DecodesByteExactly(int clusterSize, string type)
    {
        using var dir = new TempDir();
        byte[] raw = SourceImage();
        string img = Convert(dir, raw, clusterSize, type);
        var walker = new CompressedClusterWalker(img);
        Assert.AreEqual(type == "zstd" ? 1 : 0, walker.CompressionType);
        Assert.IsTrue(walker.Clusters.Count >= (6 << 20) / clusterSize / 2, $"only {walker.Clusters.Count} compressed clusters");

        var codec = ClusterCompressor.Create((ClusterCompressionType)walker.CompressionType);
        byte[] file = File.ReadAllBytes(img);
        var cluster = new byte[clusterSize];
        var ours = new byte[clusterSize];
        int identical = 0;
        foreach (var cc in walker.Clusters)
        {
            // qemu leaves the last compressed cluster's sector range running past EOF; read what exists.
            int avail = (int)Math.Min(cc.Length, file.Length - cc.HostOffset);
            var src = file.AsSpan((int)cc.HostOffset, avail);
            codec.Decompress(src, cluster);
            Assert.IsTrue(cluster.AsSpan().SequenceEqual(raw.AsSpan((int)cc.GuestOffset, clusterSize)), $"guest cluster {cc.GuestOffset} differs");

            int n = codec.Compress(raw.AsSpan((int)cc.GuestOffset, clusterSize), ours);
            Assert.IsTrue(n > 0, $"qemu compressed guest cluster {cc.GuestOffset}, we say it is not compressible");
            if (n <= avail && ours.AsSpan(0, n).SequenceEqual(src[..n])) identical++;
        }
        if (type == "zlib" || codec is ZstdClusterCompressor { UsesNativeZstd: true })
        {
            // Same library (the machine's zlib or libzstd, which qemu links), same parameters: the same bytes.
            Assert.AreEqual(walker.Clusters.Count, identical, $"{type} output differs from qemu's");
        }
        // Where qemu found a cluster not worth compressing (output not below cluster-1 bytes), so do we.
        Assert.IsTrue(walker.Uncompressed.Count > 0, "the random megabyte should have stayed uncompressed");
        foreach (long guest in walker.Uncompressed)
            Assert.AreEqual(-1, codec.Compress(raw.AsSpan((int)guest, clusterSize), ours), $"qemu stored guest cluster {guest} uncompressed");
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow(512, "zlib")]
    [DataRow(65536, "zlib")]
    [DataRow(2097152, "zlib")]
    [DataRow(512, "zstd")]
    [DataRow(65536, "zstd")]
    [DataRow(2097152, "zstd")]
    public void OurPayloads_InPlaceOfQemus_ReadBackThroughQemu(int clusterSize, string type)
    {
        using var dir = new TempDir();
        byte[] raw = SourceImage();
        string img = Convert(dir, raw, clusterSize, type);
        var walker = new CompressedClusterWalker(img);
        var codec = ClusterCompressor.Create((ClusterCompressionType)walker.CompressionType);
        var ours = new byte[clusterSize];
        int replaced = 0;
        using (var fs = new FileStream(img, FileMode.Open, FileAccess.ReadWrite))
        {
            // qemu packs compressed clusters back to back at byte offsets: a cluster owns its bytes only up to the
            // start of the next one, even though its descriptor's sector range runs further.
            var starts = walker.Clusters.Select(c => c.HostOffset).Order().ToArray();
            foreach (var cc in walker.Clusters)
            {
                int next = Array.BinarySearch(starts, cc.HostOffset) + 1;
                while (next < starts.Length && starts[next] == cc.HostOffset) next++;
                long end = Math.Min(cc.HostOffset + cc.Length, fs.Length);
                if (next < starts.Length) end = Math.Min(end, starts[next]);
                int owned = (int)(end - cc.HostOffset);
                int n = codec.Compress(raw.AsSpan((int)cc.GuestOffset, clusterSize), ours);
                if (n < 0 || n > owned) continue;
                // Overwrite the rest of qemu's bytes with a marker, so a stale byte of qemu's stream cannot help.
                var fill = new byte[owned];
                fill.AsSpan().Fill(0x5A);
                ours.AsSpan(0, n).CopyTo(fill);
                RandomAccess.Write(fs.SafeFileHandle, fill, cc.HostOffset);
                var entry = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(entry, walker.EncodeEntry(cc.HostOffset, n) | (cc.Entry & (1UL << 63)));
                RandomAccess.Write(fs.SafeFileHandle, entry, cc.L2EntryOffset);
                replaced++;
            }
        }
        Console.WriteLine($"{type} {clusterSize}: {replaced} of {walker.Clusters.Count} payloads replaced");
        // With the machine's zlib and libzstd our output is qemu's byte for byte, so every payload fits. ZstdSharp (a
        // port of a newer zstd, used without libzstd) is a few bytes longer on some clusters, which then stay qemu's.
        int needed = codec is ZstdClusterCompressor { UsesNativeZstd: false } ? walker.Clusters.Count / 2 : walker.Clusters.Count;
        Assert.IsTrue(replaced >= needed && replaced > 0, $"only {replaced} of {walker.Clusters.Count} payloads fitted");
        string src = Path.Combine(dir.Path, "src.raw");
        var cmp = QemuOracle.Img("compare", "-f", "raw", "-F", "qcow2", src, img);
        Assert.AreEqual(0, cmp.ExitCode, $"qemu-img compare: {cmp.StdOut}{cmp.StdErr}");
        var check = QemuOracle.Img("check", img);
        // Exit 3 is leaks only: a payload shorter than qemu's may stop touching a host cluster that keeps its refcount.
        Assert.IsTrue(check.ExitCode is 0 or 3, $"qemu-img check: {check.StdOut}{check.StdErr}");
        StringAssert.DoesNotMatch(check.StdOut + check.StdErr, new System.Text.RegularExpressions.Regex("ERROR|corrupt"));
    }
}
