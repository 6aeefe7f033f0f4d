using System.Diagnostics;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qed.QedTestSupport;

namespace ImageBuild.Engine.Tests.Qed;

/// <summary>Hostile headers and tables: qemu's refusals word for word, nothing huge allocated, no hang.</summary>
[TestClass]
public sealed class QedHostileTests
{
    /// <summary>An image with a raw backing file and data in cluster 5 (L2 table at cluster 6).</summary>
    private static string Image(TempDir tmp)
    {
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["b.raw"], "4M");
        string img = tmp["h.qed"];
        CreateQemu(img, null, "", tmp["b.raw"], "raw");
        QemuIo(img, "write -P 1 0 64k");
        return img;
    }

    public static IEnumerable<object[]> Headers =>
    [
        // offset, value, width
        [0, 0x12345678UL, 4],           // magic
        [4, 1024UL, 4],                 // cluster size too small
        [4, 3000UL, 4],                 // not a power of two
        [4, 0x8000000UL, 4],            // too large
        [4, 0x4000000UL, 4],            // 64 MiB clusters: the image size is now past what the tables map (wraps to 0)
        [8, 0UL, 4],                    // table size
        [8, 3UL, 4],
        [8, 32UL, 4],
        [8, 1UL, 4],                    // one-cluster tables never pass qemu's table offset check
        [12, 0UL, 4],                   // header size 0: the backing name lies outside the header
        [12, 0xffffffffUL, 4],
        [12, 70000UL, 4],
        [16, 0x10UL, 8],                // unknown feature
        [16, 0x8000000000000001UL, 8],
        [24, 0xffUL, 8],                // unknown compat features are fine
        [32, 0xffUL, 8],                // unknown autoclear features are fine (knocked out read-write)
        [40, 0UL, 8],                   // L1 offset
        [40, 0x10001UL, 8],
        [40, 0x200000UL, 8],            // past the end of the file
        [40, 0xfffffffffff00000UL, 8],  // overflowing
        [48, 1000UL, 8],                // image size not whole sectors
        [48, 0x100000000000000UL, 8],   // beyond the tables
        [48, 0x4000000000000000UL, 8],
        [56, 65530UL, 4],               // backing name outside the header cluster
        [56, 0xfffffff0UL, 4],
        [60, 65473UL, 4],
        [60, 4096UL, 4],                // longer than qemu's backing name buffer
        [60, 4095UL, 4],
        [60, 0UL, 4],                   // empty name: no backing file
    ];

    [TestMethod]
    [RequiresQemu]
    [DynamicData(nameof(Headers))]
    public void HeaderFieldsAreJudgedAsQemuJudgesThem(int offset, ulong value, int width)
    {
        using var tmp = new TempDir();
        string img = Image(tmp);
        Poke(img, offset, value, width);
        var q = QemuOracle.Img("info", "-f", "qed", "--output=json", img);
        string? ours = null;
        var sw = Stopwatch.StartNew();
        try
        {
            using var dev = Open(img);
            _ = Md5OfDevice(dev);
        }
        catch (ImageException e)
        {
            ours = e.Message;
        }
        Assert.IsTrue(sw.Elapsed < TimeSpan.FromSeconds(20), "no hang");
        if (q.ExitCode == 0)
            Assert.IsNull(ours, $"qemu opens it; we said {ours}");
        else
            Assert.AreEqual(q.StdErr.Trim().Replace("qemu-img: ", "", StringComparison.Ordinal), ours);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow(0L)]
    [DataRow(10L)]
    [DataRow(64L)]
    [DataRow(65600L)]
    [DataRow(131072L)]
    public void TruncatedFilesAreRefusedAsQemuRefusesThem(long length)
    {
        using var tmp = new TempDir();
        string img = Image(tmp);
        using (var fs = new FileStream(img, FileMode.Open)) fs.SetLength(length);
        var q = QemuOracle.Img("info", "-f", "qed", img);
        Assert.AreEqual(1, q.ExitCode);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(img).Dispose());
        Assert.AreEqual(q.StdErr.Trim().Replace("qemu-img: ", "", StringComparison.Ordinal), e.Message);
    }

    [TestMethod]
    public void HugeTablesInASparseFileAreNotLoadedWhole()
    {
        // 64 MiB clusters and 16-cluster tables: a 1 GiB L1 table, valid for an empty image in a sparse file of
        // 1 GiB + 64 MiB. qemu reads the whole table into memory; we read it a chunk at a time.
        using var tmp = new TempDir();
        string img = tmp["huge.qed"];
        var header = new byte[64];
        BitConverter.GetBytes(0x00444551u).CopyTo(header, 0);
        BitConverter.GetBytes(64u << 20).CopyTo(header, 4);
        BitConverter.GetBytes(16u).CopyTo(header, 8);
        BitConverter.GetBytes(1u).CopyTo(header, 12);
        BitConverter.GetBytes(64UL << 20).CopyTo(header, 40);
        using (var fs = new FileStream(img, FileMode.Create))
        {
            fs.Write(header);
            fs.SetLength((64L << 20) + (1L << 30));
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var dev = Open(img))
        {
            Assert.AreEqual(0, dev.VirtualSize);
            var result = dev.Check(Info.CheckRepair.None, new NullLog());
            Assert.AreEqual(0, result.Corruptions);
            Assert.AreEqual(0, result.Leaks);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsTrue(allocated < 64L << 20, $"allocated {allocated} bytes");
    }

    [TestMethod]
    [RequiresQemu]
    public void ReadsThroughInvalidTableEntriesFailWithEinval()
    {
        using var tmp = new TempDir();
        string img = Image(tmp);
        Poke(img, 6 * 65536, 1000 * 65536); // L2 entry 0 (data came first, at cluster 5) past the end of the file
        var q = QemuOracle.Io("-r", "-f", "qed", "-c", "read 0 512", img);
        StringAssert.Contains(q.StdOut + q.StdErr, "Invalid argument");
        using var dev = Open(img);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Read(0, new byte[512]));
        Assert.AreEqual(22, e.Errno);
        StringAssert.Contains(e.Message, img);
        StringAssert.EndsWith(e.Message, "Invalid argument");
        Poke(img, 65536, 100 * 65536); // L1 entry 0 past the end of the file
        using var dev2 = Open(img);
        Assert.ThrowsExactly<ImageCorruptException>(() => dev2.Read(0, new byte[512]));
    }

    private sealed class NullLog : Info.ICheckLog
    {
        public void Message(string line) { }
    }
}
