using ImageBuild.Engine;
using ImageBuild.Packaging.Compression;

namespace ImageBuild.Packaging.Tests.Compression;

[TestClass]
public sealed class CompressorsTests
{
    private static readonly byte[] Mixed = TestData.Mixed();

    private static byte[] Compress(CompressionMethod method, int? level, int threads, byte[] input)
    {
        var output = new MemoryStream();
        using (Stream s = Compressors.Create(output, method, level, threads, leaveOpen: true))
        {
            // Uneven writes, so block boundaries never line up with the caller's.
            for (int at = 0, step = 1; at < input.Length; at += step, step = step * 3 % 1_000_003 + 1)
                s.Write(input, at, Math.Min(step, input.Length - at));
        }
        return output.ToArray();
    }

    /// <summary>The real tool tests the file (-t) and decompresses it to stdout (-dc).</summary>
    private static byte[] Decompress(CompressionMethod method, string dir, byte[] compressed)
    {
        string tool = Compressors.Name(method);
        string file = Path.Combine(dir, "data" + Compressors.Extension(method));
        File.WriteAllBytes(file, compressed);
        CliTool.RunOk(tool, dir, "-t", file);
        return CliTool.RunOk(tool, dir, "-dc", file);
    }

    [TestMethod]
    [DataRow(CompressionMethod.Gzip, 1)]
    [DataRow(CompressionMethod.Gzip, 6)]
    [DataRow(CompressionMethod.Gzip, 9)]
    [DataRow(CompressionMethod.Zstd, 1)]
    [DataRow(CompressionMethod.Zstd, 3)]
    [DataRow(CompressionMethod.Zstd, 12)]
    [DataRow(CompressionMethod.Xz, 0)]
    [DataRow(CompressionMethod.Xz, 6)]
    public void RoundTripsThroughTheRealTool(CompressionMethod method, int level)
    {
        using var dir = new TempDir();
        byte[] compressed = Compress(method, level, threads: 2, Mixed);
        Assert.IsTrue(compressed.Length < Mixed.Length * 3 / 4, $"{compressed.Length} bytes: the zeros and text did not compress");
        CollectionAssert.AreEqual(Mixed, Decompress(method, dir.Path, compressed));
    }

    [TestMethod]
    [DataRow(CompressionMethod.Gzip, 6)]
    [DataRow(CompressionMethod.Zstd, 1)] // 2 MiB jobs: the input spans several
    [DataRow(CompressionMethod.Xz, 0)]   // 1 MiB blocks: the input spans several
    public void BytesDoNotDependOnThreadsOrRun(CompressionMethod method, int level)
    {
        byte[] one = Compress(method, level, threads: 1, Mixed);
        byte[] two = Compress(method, level, threads: 2, Mixed);
        byte[] twoAgain = Compress(method, level, threads: 2, Mixed);
        byte[] many = Compress(method, level, threads: 5, Mixed);
        CollectionAssert.AreEqual(one, two, "threads=1 and threads=2 differ");
        CollectionAssert.AreEqual(two, twoAgain, "two runs differ");
        CollectionAssert.AreEqual(one, many, "threads=1 and threads=5 differ");
    }

    [TestMethod]
    [DataRow(CompressionMethod.Gzip)]
    [DataRow(CompressionMethod.Zstd)]
    [DataRow(CompressionMethod.Xz)]
    public void EmptyInputIsAValidEmptyStream(CompressionMethod method)
    {
        using var dir = new TempDir();
        byte[] compressed = Compress(method, null, 0, []);
        Assert.IsTrue(compressed.Length > 0);
        Assert.AreEqual(0, Decompress(method, dir.Path, compressed).Length);
    }

    [TestMethod]
    public void GzipIsOneMemberWithoutNameOrTime()
    {
        byte[] gz = Compress(CompressionMethod.Gzip, 9, 2, Mixed);
        CollectionAssert.AreEqual(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3 }, gz[..10], "header: deflate, no flags, MTIME 0, XFL 2 for -9, OS Unix");
        uint isize = BitConverter.ToUInt32(gz, gz.Length - 4);
        Assert.AreEqual((uint)Mixed.Length, isize);
        uint crc = BitConverter.ToUInt32(gz, gz.Length - 8);
        Assert.AreEqual(System.IO.Hashing.Crc32.HashToUInt32(Mixed), crc);
    }

    [TestMethod]
    public void ParallelGzipRatioIsCloseToGzip()
    {
        using var dir = new TempDir();
        string raw = dir.File("data");
        File.WriteAllBytes(raw, Mixed);
        int reference = CliTool.RunOk("gzip", dir.Path, "-6", "-n", "-c", raw).Length;
        int ours = Compress(CompressionMethod.Gzip, 6, 2, Mixed).Length;
        // Priming each block with the previous 32 KiB keeps parallel blocks within a fraction of a percent of gzip.
        Assert.IsTrue(ours <= reference * 1.005, $"ours {ours} bytes, gzip -6 {reference} bytes");
    }

    [TestMethod]
    public void GzipWithoutNativeZlibUsesIndependentBlocks()
    {
        using var dir = new TempDir();
        byte[] Managed(int threads)
        {
            var output = new MemoryStream();
            using (var s = new ParallelGzipStream(output, 6, threads, zlib: null, leaveOpen: true)) s.Write(Mixed);
            return output.ToArray();
        }
        byte[] one = Managed(1);
        CollectionAssert.AreEqual(one, Managed(3));
        CollectionAssert.AreEqual(Mixed, Decompress(CompressionMethod.Gzip, dir.Path, one));
    }

    [TestMethod]
    public void NativeGzipBlocksAreDifferentFromIndependentOnes()
    {
        var output = new MemoryStream();
        using (var s = new ParallelGzipStream(output, 6, 2, zlib: null, leaveOpen: true)) s.Write(Mixed);
        CollectionAssert.AreNotEqual(output.ToArray(), Compress(CompressionMethod.Gzip, 6, 2, Mixed),
            "Create did not use the machine's zlib with dictionaries");
    }

    [TestMethod]
    public void ZstdWithoutLibzstdUsesZstdSharpWorkers()
    {
        using var dir = new TempDir();
        byte[] Managed(int threads)
        {
            var output = new MemoryStream();
            using (var s = new ZstdFrameStream(output, 1, threads, null, leaveOpen: true, managed: true)) s.Write(Mixed);
            return output.ToArray();
        }
        byte[] one = Managed(1);
        CollectionAssert.AreEqual(one, Managed(2), "ZstdSharp's frame depends on the worker count");
        CollectionAssert.AreEqual(Mixed, Decompress(CompressionMethod.Zstd, dir.Path, one));
    }

    [TestMethod]
    public void ZstdFrameHasChecksumAndFileSize()
    {
        using var dir = new TempDir();
        string raw = dir.File("data"), zst = dir.File("data.zst");
        File.WriteAllBytes(raw, Mixed);
        Compressors.CompressFile(raw, zst, CompressionMethod.Zstd, null, 2, null, CancellationToken.None);
        byte[] frame = File.ReadAllBytes(zst);
        CollectionAssert.AreEqual(new byte[] { 0x28, 0xb5, 0x2f, 0xfd }, frame[..4]);
        Assert.AreEqual(4, frame[4] & 4, "Content_Checksum_Flag");
        Assert.AreEqual(0x80, frame[4] & 0xC0, "Frame_Content_Size_Flag 2: a 4-byte content size");
        string list = System.Text.Encoding.UTF8.GetString(CliTool.RunOk("zstd", dir.Path, "-lv", zst));
        StringAssert.Contains(list, $"({Mixed.Length} B)");
        StringAssert.Contains(list, "XXH64");
        CollectionAssert.AreEqual(Mixed, CliTool.RunOk("zstd", dir.Path, "-dc", zst));
    }

    [TestMethod]
    public void XzStreamChecksCrc64InFixedBlocks()
    {
        using var dir = new TempDir();
        byte[] xz = Compress(CompressionMethod.Xz, 0, 2, Mixed);
        CollectionAssert.AreEqual(new byte[] { 0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0, 0, 4 }, xz[..8], "magic and stream flags: CRC64");
        string file = dir.File("data.xz");
        File.WriteAllBytes(file, xz);
        string robot = System.Text.Encoding.UTF8.GetString(CliTool.RunOk("xz", dir.Path, "--robot", "-lv", file));
        string[] blocks = robot.Split('\n').Where(l => l.StartsWith("block\t")).ToArray();
        Assert.AreEqual(5, blocks.Length, robot); // 4 MiB + 12345 bytes in 1 MiB blocks
        // block lines: "block", stream, block in stream, block in file, offsets, comp size, uncomp size, ratio, check
        Assert.IsTrue(blocks[..4].All(b => b.Split('\t')[7] == (1 << 20).ToString()), robot);
        Assert.AreEqual("12345", blocks[4].Split('\t')[7], robot);
        Assert.IsTrue(blocks.All(b => b.Split('\t')[9] == "CRC64"), robot);
    }

    [TestMethod]
    [DataRow(CompressionMethod.Gzip, 0)]
    [DataRow(CompressionMethod.Gzip, 10)]
    [DataRow(CompressionMethod.Zstd, 0)]
    [DataRow(CompressionMethod.Zstd, 20)]
    [DataRow(CompressionMethod.Xz, -1)]
    [DataRow(CompressionMethod.Xz, 10)]
    public void InvalidLevelIsRefusedWithTheRange(CompressionMethod method, int level)
    {
        using var dir = new TempDir();
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Compressors.Create(new MemoryStream(), method, level));
        CompressionLevels levels = Compressors.Levels(method);
        StringAssert.Contains(e.Message, $"{Compressors.Name(method)} level must be between {levels.Min} and {levels.Max}");
        string src = dir.File("in"), dst = dir.File("out");
        File.WriteAllBytes(src, [1, 2, 3]);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            Compressors.CompressFile(src, dst, method, level, 1, null, CancellationToken.None));
        Assert.IsFalse(File.Exists(dst), "a refused level still created the destination");
    }

    [TestMethod]
    public void NegativeThreadsAreRefused() =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Compressors.Create(new MemoryStream(), CompressionMethod.Gzip, threads: -1));

    [TestMethod]
    [DataRow(CompressionMethod.Gzip)]
    [DataRow(CompressionMethod.Zstd)]
    [DataRow(CompressionMethod.Xz)]
    public void CompressFileReportsSizesAndProgress(CompressionMethod method)
    {
        using var dir = new TempDir();
        string src = dir.File("disk.raw"), dst = dir.File("disk.raw" + Compressors.Extension(method));
        File.WriteAllBytes(src, Mixed);
        File.WriteAllBytes(dst, new byte[10_000_000]); // overwritten, not appended to
        var seen = new List<double>();
        CompressResult result = Compressors.CompressFile(src, dst, method, 1, 0, seen.Add, CancellationToken.None);
        Assert.AreEqual(Mixed.Length, result.InputBytes);
        Assert.AreEqual(new FileInfo(dst).Length, result.OutputBytes);
        Assert.IsTrue(seen.Count >= 4, $"{seen.Count} progress reports for 4 MiB in 1 MiB chunks");
        Assert.AreEqual(100, seen[^1]);
        for (int i = 1; i < seen.Count; i++) Assert.IsTrue(seen[i] >= seen[i - 1], "progress went backwards");
        CollectionAssert.AreEqual(Mixed, CliTool.RunOk(Compressors.Name(method), dir.Path, "-dc", dst));
    }

    [TestMethod]
    [DataRow(CompressionMethod.Gzip)]
    [DataRow(CompressionMethod.Zstd)]
    [DataRow(CompressionMethod.Xz)]
    public void CancelledCompressFileDeletesItsOutput(CompressionMethod method)
    {
        using var dir = new TempDir();
        string src = dir.File("disk.raw"), dst = dir.File("disk.out");
        File.WriteAllBytes(src, Mixed);
        using var cts = new CancellationTokenSource();
        int reports = 0;
        Assert.ThrowsExactly<OperationCanceledException>(() => Compressors.CompressFile(src, dst, method, 1, 2,
            _ => { if (++reports == 2) cts.Cancel(); }, cts.Token));
        Assert.AreEqual(2, reports, "cancellation was not checked between chunks");
        Assert.IsFalse(File.Exists(dst), "the partial output was left behind");

        // The other way a caller stops: throwing from the progress callback.
        Assert.ThrowsExactly<OperationCanceledException>(() => Compressors.CompressFile(src, dst, method, 1, 2,
            p => { if (p > 30) throw new OperationCanceledException(); }, CancellationToken.None));
        Assert.IsFalse(File.Exists(dst), "the partial output was left behind when progress threw");
    }

    [TestMethod]
    public void MissingSourceIsOneLineNamingIt()
    {
        using var dir = new TempDir();
        string src = dir.File("no-such.raw"), dst = dir.File("out.gz");
        var e = Assert.ThrowsExactly<ImageException>(() =>
            Compressors.CompressFile(src, dst, CompressionMethod.Gzip, null, 1, null, CancellationToken.None));
        StringAssert.StartsWith(e.Message, src + ":");
        StringAssert.Contains(e.Message, "No such file or directory");
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
        Assert.IsFalse(File.Exists(dst));
    }

    [TestMethod]
    public void UnwritableDestinationIsOneLineNamingIt()
    {
        using var dir = new TempDir();
        string src = dir.File("in.raw"), dst = dir.File("missing-dir/out.xz");
        File.WriteAllBytes(src, [1, 2, 3]);
        var e = Assert.ThrowsExactly<ImageException>(() =>
            Compressors.CompressFile(src, dst, CompressionMethod.Xz, null, 1, null, CancellationToken.None));
        StringAssert.StartsWith(e.Message, dst + ":");
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
    }

    [TestMethod]
    public void NamesExtensionsAndLevels()
    {
        foreach (CompressionMethod m in Enum.GetValues<CompressionMethod>())
        {
            Assert.IsTrue(Compressors.TryParse(Compressors.Name(m), out CompressionMethod parsed));
            Assert.AreEqual(m, parsed);
            CompressionLevels l = Compressors.Levels(m);
            Assert.IsTrue(l.Min <= l.Default && l.Default <= l.Max);
        }
        Assert.AreEqual(".gz", Compressors.Extension(CompressionMethod.Gzip));
        Assert.AreEqual(".zst", Compressors.Extension(CompressionMethod.Zstd));
        Assert.AreEqual(".xz", Compressors.Extension(CompressionMethod.Xz));
        Assert.AreEqual(new CompressionLevels(1, 9, 6), Compressors.Levels(CompressionMethod.Gzip));
        Assert.AreEqual(new CompressionLevels(1, 19, 3), Compressors.Levels(CompressionMethod.Zstd));
        Assert.AreEqual(new CompressionLevels(0, 9, 6), Compressors.Levels(CompressionMethod.Xz));
        foreach (string bad in (string[])["GZIP", "gz", "zst", " xz", "", "bzip2"])
            Assert.IsFalse(Compressors.TryParse(bad, out _), bad);
    }

    [TestMethod]
    public void DisposeFinishesAndClosesTheOutputUnlessLeftOpen()
    {
        var closed = new MemoryStream();
        Stream s = Compressors.Create(closed, CompressionMethod.Zstd);
        s.Write([1, 2, 3]);
        s.Dispose();
        Assert.IsFalse(closed.CanWrite, "output not disposed");
        Assert.ThrowsExactly<ObjectDisposedException>(() => s.Write([4]));

        var open = new MemoryStream();
        using (Stream t = Compressors.Create(open, CompressionMethod.Gzip, leaveOpen: true)) t.Write([1, 2, 3]);
        Assert.IsTrue(open.CanWrite);
        Assert.IsTrue(open.Length > 18);
    }
}
