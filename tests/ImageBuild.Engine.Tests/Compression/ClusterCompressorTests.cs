using System.Runtime.InteropServices;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Engine.Tests.Compression;

[TestClass]
public sealed class ClusterCompressorTests
{
    public static IEnumerable<object[]> SizesAndTypes()
    {
        foreach (var type in new[] { ClusterCompressionType.Zlib, ClusterCompressionType.Zstd })
            for (int bits = 9; bits <= 21; bits++)
                yield return [type, 1 << bits];
    }

    [TestMethod]
    [DynamicData(nameof(SizesAndTypes))]
    public void RealData_RoundTrips_AtEveryClusterSize(ClusterCompressionType type, int clusterSize)
    {
        var c = ClusterCompressor.Create(type);
        int total = Math.Max(clusterSize * 4, 1 << 20);
        byte[] data = CompressionTestData.RealBytes(total);
        var dest = new byte[clusterSize];
        var back = new byte[clusterSize];
        int compressed = 0;
        for (int off = 0; off + clusterSize <= data.Length; off += clusterSize)
        {
            var cluster = data.AsSpan(off, clusterSize);
            int n = c.Compress(cluster, dest);
            if (n < 0) continue;
            compressed++;
            Assert.IsTrue(n < clusterSize, $"compressed length {n} not below the cluster size");
            // qemu reads whole sectors: pad the stream with garbage up to the next 512-byte boundary (and beyond).
            int padded = (n + 511) / 512 * 512 + 512;
            var src = new byte[padded];
            dest.AsSpan(0, n).CopyTo(src);
            src.AsSpan(n).Fill(0xA5);
            back.AsSpan().Clear();
            c.Decompress(src, back);
            Assert.IsTrue(cluster.SequenceEqual(back), $"cluster at {off} differs after the round trip");
        }
        Assert.IsTrue(compressed > 0, "no cluster of real data was compressible");
    }

    [TestMethod]
    [DynamicData(nameof(SizesAndTypes))]
    public void ZeroCluster_CompressesSmall_AndRandomCluster_IsNotCompressible(ClusterCompressionType type, int clusterSize)
    {
        var c = ClusterCompressor.Create(type);
        var zeros = new byte[clusterSize];
        var dest = new byte[clusterSize];
        int n = c.Compress(zeros, dest);
        // deflate tops out near 1032:1, zstd far beyond.
        Assert.IsTrue(n > 0 && n < clusterSize / 1000 + 64, $"zero cluster of {clusterSize} compressed to {n}");
        var back = new byte[clusterSize];
        back.AsSpan().Fill(1);
        c.Decompress(dest.AsSpan(0, n), back);
        Assert.IsTrue(back.AsSpan().IndexOfAnyExcept((byte)0) < 0);

        Assert.AreEqual(-1, c.Compress(CompressionTestData.Random(clusterSize, clusterSize), dest));
    }

    [TestMethod]
    [DataRow(ClusterCompressionType.Zlib)]
    [DataRow(ClusterCompressionType.Zstd)]
    public void Compress_NeverReturnsClusterSizedOutput_EvenWithLargeDest(ClusterCompressionType type)
    {
        // 4 KiB cluster of random bytes but for 8 compressible bytes: deflate/zstd cannot win, result is -1.
        var c = ClusterCompressor.Create(type);
        var cluster = CompressionTestData.Random(4096, 7);
        cluster.AsSpan(0, 8).Clear();
        Assert.AreEqual(-1, c.Compress(cluster, new byte[8192]));
        // A dest too small for a compressible cluster also gives -1, never an exception.
        Assert.AreEqual(-1, c.Compress(CompressionTestData.RealBytes(4096), new byte[16]));
    }

    [TestMethod]
    public void Deflate_UsesA4KiBWindow()
    {
        // An 8 KiB random block repeated: a 32 KiB window would find the repeats, a 4 KiB window cannot.
        var block = CompressionTestData.Random(8192, 42);
        var cluster = new byte[65536];
        for (int i = 0; i < cluster.Length; i += block.Length) block.CopyTo(cluster, i);
        Assert.AreEqual(-1, new DeflateClusterCompressor().Compress(cluster, new byte[65536]));
        // The same with a 2 KiB block repeats within the window and compresses well.
        for (int i = 0; i < cluster.Length; i += 2048) block.AsSpan(0, 2048).CopyTo(cluster.AsSpan(i));
        int n = new DeflateClusterCompressor().Compress(cluster, new byte[65536]);
        Assert.IsTrue(n > 0 && n < 4096, $"2 KiB period compressed to {n}");
    }

    [TestMethod]
    [DataRow(ClusterCompressionType.Zlib)]
    [DataRow(ClusterCompressionType.Zstd)]
    public void CorruptOrShortInput_IsAnImageException(ClusterCompressionType type)
    {
        var c = ClusterCompressor.Create(type);
        var cluster = CompressionTestData.RealBytes(65536);
        var dest = new byte[65536];
        int n = c.Compress(cluster, dest);
        Assert.IsTrue(n > 0);
        var back = new byte[65536];
        // Truncated stream: cannot produce a whole cluster.
        Assert.IsFalse(c.TryDecompress(dest.AsSpan(0, n / 2), back));
        // Garbage.
        var garbage = CompressionTestData.Random(n, 3);
        Assert.IsFalse(c.TryDecompress(garbage, back));
        var e = Assert.ThrowsExactly<ImageException>(() => c.Decompress(garbage, back));
        Assert.AreEqual(ClusterCompressor.Eio, e.Errno);
        // A stream for a smaller cluster does not fill a larger one.
        int small = c.Compress(cluster.AsSpan(0, 4096), dest);
        Assert.IsTrue(small > 0);
        Assert.IsFalse(c.TryDecompress(dest.AsSpan(0, small), back));
        // A stream for a larger cluster is too long for a smaller one: qemu rejects it too (frame not complete).
        if (type == ClusterCompressionType.Zstd)
            Assert.IsFalse(c.TryDecompress(dest.AsSpan(0, small), new byte[2048]));
        Assert.IsFalse(c.TryDecompress(ReadOnlySpan<byte>.Empty, back));
    }

    [TestMethod]
    public void Inflate_ReadsWhatZlibWrote_IgnoringTrailingBytes()
    {
        var c = new DeflateClusterCompressor();
        var cluster = CompressionTestData.RealBytes(65536, 1 << 20);
        var dest = new byte[65536];
        int n = c.Compress(cluster, dest);
        Assert.IsTrue(n > 0);
        var src = new byte[(n + 511) / 512 * 512];
        dest.AsSpan(0, n).CopyTo(src);
        var back = new byte[65536];
        Assert.IsTrue(DeflateClusterCompressor.Inflate(src, back));
        CollectionAssert.AreEqual(cluster, back);
        Assert.IsFalse(DeflateClusterCompressor.Inflate(src.AsSpan(0, n / 2), back));
    }

    [TestMethod]
    public void WithoutLibz_CompressIsAClearImageException_AndReadingStillWorks()
    {
        var cluster = CompressionTestData.RealBytes(65536, 2 << 20);
        var dest = new byte[65536];
        int n = new DeflateClusterCompressor().Compress(cluster, dest);
        Assert.IsTrue(n > 0);
        var noZlib = new DeflateClusterCompressor(DeflateClusterCompressor.DefaultLevel, useNativeZlib: false);
        var e = Assert.ThrowsExactly<ImageException>(() => noZlib.Compress(cluster, new byte[65536]));
        StringAssert.Contains(e.Message, "Cannot write zlib-compressed clusters");
        var back = new byte[65536];
        noZlib.Decompress(dest.AsSpan(0, n), back);
        CollectionAssert.AreEqual(cluster, back);
    }

    [TestMethod]
    [DataRow(512)]
    [DataRow(65536)]
    [DataRow(2097152)]
    public void ZstdWithoutLibzstd_ReadsAndIsReadByTheNativeCodec(int clusterSize)
    {
        var native = new ZstdClusterCompressor();
        var managed = new ZstdClusterCompressor(ZstdClusterCompressor.DefaultLevel, useNativeZstd: false);
        Assert.IsFalse(managed.UsesNativeZstd);
        var cluster = CompressionTestData.RealBytes(clusterSize, 5 << 20);
        var dest = new byte[clusterSize];
        var back = new byte[clusterSize];
        foreach (var (writer, reader) in new[] { (native, managed), (managed, native), (managed, managed) })
        {
            int n = writer.Compress(cluster, dest);
            Assert.IsTrue(n > 0, "real data compresses");
            Array.Clear(back);
            reader.Decompress(dest.AsSpan(0, n), back);
            CollectionAssert.AreEqual(cluster, back, $"{(writer.UsesNativeZstd ? "libzstd" : "ZstdSharp")} frame read by {(reader.UsesNativeZstd ? "libzstd" : "ZstdSharp")}");
            Assert.IsFalse(reader.TryDecompress(dest.AsSpan(0, n / 2), back), "a truncated frame is refused");
        }
    }

    [TestMethod]
    [OSCondition(OperatingSystems.Linux)]
    public void Libzstd_LoadsOnDebian_AndIsUsedByDefault()
    {
        Assert.IsTrue(ZstdLibrary.TryLoad(out string error), error);
        Assert.IsTrue(ZstdLibrary.Version >= 10400, $"libzstd {ZstdLibrary.Version}");
        Assert.IsTrue(new ZstdClusterCompressor().UsesNativeZstd);
    }

    [TestMethod]
    [OSCondition(OperatingSystems.Linux)]
    public void ZStream_HasZlibsLayoutOn64BitLinux()
    {
        Assert.AreEqual(8, IntPtr.Size, "the layout below is the LP64 one");
        Assert.AreEqual(112, Marshal.SizeOf<ZStream>());
        Assert.AreEqual(88, (int)Marshal.OffsetOf<ZStream>(nameof(ZStream.DataType)));
        Assert.AreEqual(104, (int)Marshal.OffsetOf<ZStream>(nameof(ZStream.Reserved)));
        Assert.IsTrue(DeflateClusterCompressor.IsNativeZlibAvailable, "libz.so.1 should load on Debian");
    }

    [TestMethod]
    public void SharedInstance_IsThreadSafe()
    {
        foreach (var type in new[] { ClusterCompressionType.Zlib, ClusterCompressionType.Zstd })
        {
            var c = ClusterCompressor.Create(type);
            byte[] data = CompressionTestData.RealBytes(64 * 65536);
            int failures = 0;
            Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            {
                var cluster = data.AsSpan(i * 65536, 65536);
                var dest = new byte[65536];
                var back = new byte[65536];
                int n = c.Compress(cluster, dest);
                if (n < 0) return;
                if (!c.TryDecompress(dest.AsSpan(0, n), back) || !cluster.SequenceEqual(back)) Interlocked.Increment(ref failures);
            });
            Assert.AreEqual(0, failures, type.ToString());
        }
    }
}
