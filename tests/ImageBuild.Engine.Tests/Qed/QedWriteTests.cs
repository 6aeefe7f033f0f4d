using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qed.QedTestSupport;

namespace ImageBuild.Engine.Tests.Qed;

/// <summary>
/// Our writes give the same file as qemu's for the same requests: allocation order (data clusters, then a new L2
/// table), copy-on-write from the backing file, zero clusters, in-place writes, the need-check bit.
/// </summary>
[TestClass]
public sealed class QedWriteTests
{
    private static readonly string[] Mixed =
    [
        "write -P 1 0 100k", "write -P 2 1M 3000", "write -P 3 3M 2M", "write -P 4 7M 512", "write -z 5M 1M",
        "write -P 5 5M 4k", "write -z 100k 1000", "write -P 6 64k 64k", "write -z -u 3M 64k", "discard 4M 1M",
        "write -z 6M 130k", "write -P 7 6200k 1k",
    ];

    /// <summary>Same requests on an image qemu created, by qemu-io and by us: the files must be equal.</summary>
    private static void AssertSameAsQemu(string options, string? backing, string? backingFormat, long size, string[] commands)
    {
        using var tmp = new TempDir();
        string q = tmp["q.qed"], o = tmp["o.qed"];
        if (backing is not null)
        {
            backing = tmp[backing];
            QemuOracle.ImgOk("create", "-q", "-f", "raw", backing, "12M");
            QemuOracle.IoOk("-f", "raw", "-c", "write -P 0xaa 0 12M", backing);
        }
        CreateQemu(q, size, options, backing, backingFormat);
        File.Copy(q, o);
        QemuIo(q, commands);
        using (var dev = Open(o, writable: true))
            Apply(dev, commands);
        AssertSameBytes(q, o, $"{options} backing={backing}");
        QemuOracle.ImgOk("check", o);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("cluster_size=4096")]
    [DataRow("cluster_size=4096,table_size=2")]
    [DataRow("cluster_size=1M,table_size=16")]
    public void WritesWithoutBackingFileAreQemus(string options) =>
        AssertSameAsQemu(options, null, null, 8 << 20, Mixed);

    [TestMethod]
    [RequiresQemu]
    [DataRow("")]
    [DataRow("cluster_size=4096")]
    [DataRow("cluster_size=2M,table_size=2")]
    public void WritesOverABackingFileCopyItAsQemuDoes(string options) =>
        AssertSameAsQemu(options, "base.raw", "raw", 8 << 20, Mixed);

    [TestMethod]
    [RequiresQemu]
    public void AnOverlayLargerThanItsBackingFileReadsZerosPastIt() =>
        AssertSameAsQemu("cluster_size=4096", "base.raw", "raw", 16 << 20, ["write -P 1 12M 1000", "write -P 2 12284k 8k", "write -z 13M 4k"]);

    [TestMethod]
    [RequiresQemu]
    [DataRow(null)]
    [DataRow("base.raw")]
    public void WritesAtTheEndOfAnImageThatIsNotWholeClusters(string? backing) =>
        // The last cluster is allocated whole; a zero write that does not reach a cluster boundary writes zeros.
        AssertSameAsQemu("", backing, backing is null ? null : "raw", 1000 << 10,
            ["write -z 960k 40k", "write -P 1 900k 100k", "write -z 896k 104k", "write -P 2 0 1000k"]);

    [TestMethod]
    [RequiresQemu]
    public void AWriteIntoAZeroClusterCopiesBackingDataAsQemuDoes()
    {
        // qemu's allocating write over a zero cluster fills the rest of the cluster from the backing file.
        string[] commands = ["write -z 0 64k", "write -P 0x11 0 512"];
        AssertSameAsQemu("", "base.raw", "raw", 1 << 20, commands);
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["b.raw"], "1M");
        QemuOracle.IoOk("-f", "raw", "-c", "write -P 0xaa 0 1M", tmp["b.raw"]);
        CreateOurs(tmp["o.qed"], null, "", tmp["b.raw"], "raw");
        using var dev = Open(tmp["o.qed"], writable: true);
        Apply(dev, commands);
        var buf = new byte[1024];
        dev.Read(512, buf);
        Assert.IsTrue(buf.All(b => b == 0xaa));
    }

    [TestMethod]
    [RequiresQemu]
    public void WritesSpanningSeveralL2TablesAreQemus() =>
        // cluster 4096 and table_size 1... is not openable; 2 clusters of table map 1024 clusters = 4 MiB per L2 table
        AssertSameAsQemu("cluster_size=4096,table_size=2", null, null, 32 << 20,
            ["write -P 1 3M 3M", "write -z 8M 9M", "write -P 2 7M 4M", "write -P 3 20M 1k"]);

    [TestMethod]
    [RequiresQemu]
    public void TheNeedCheckBitIsSetWhileWritingAndClearedOnClose()
    {
        using var tmp = new TempDir();
        string q = tmp["q.qed"], o = tmp["o.qed"];
        CreateQemu(q, 4 << 20, "");
        File.Copy(q, o);
        string[] commands = ["write -P 1 0 64k", "write -z 1M 64k"];
        QemuIoThenAbort(q, commands);
        var dev = Open(o, writable: true);
        try
        {
            Apply(dev, commands);
            // Before the close: what qemu leaves when it never closes the image.
            File.Copy(o, tmp["open.qed"]);
            AssertSameBytes(q, tmp["open.qed"], "while open");
            Assert.AreEqual(2UL, Features(tmp["open.qed"]), "need-check set by the first allocating write");
            Assert.IsTrue(dev.IsDirty);
        }
        finally
        {
            dev.Dispose();
        }
        Assert.AreEqual(0UL, Features(o), "cleared on a clean close");
    }

    [TestMethod]
    [RequiresQemu]
    public void WithABackingFileTheNeedCheckBitIsNotUsed()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["b.raw"], "4M");
        string q = tmp["q.qed"], o = tmp["o.qed"];
        CreateQemu(q, null, "", tmp["b.raw"], "raw");
        File.Copy(q, o);
        QemuIoThenAbort(q, "write -P 1 0 64k");
        using var dev = Open(o, writable: true);
        Apply(dev, "write -P 1 0 64k");
        File.Copy(o, tmp["open.qed"]);
        AssertSameBytes(q, tmp["open.qed"], "while open");
        Assert.AreEqual(5UL, Features(tmp["open.qed"]));
    }

    [TestMethod]
    [RequiresQemu]
    public void WritesToAllocatedClustersDoNotTouchMetadata()
    {
        using var tmp = new TempDir();
        string o = tmp["o.qed"];
        CreateOurs(o, 4 << 20, "");
        QemuIo(o, "write -P 1 0 128k");
        byte[] before = File.ReadAllBytes(o);
        using (var dev = Open(o, writable: true))
            Apply(dev, "write -P 2 1000 5000", "write -z 64k 64k");
        byte[] after = File.ReadAllBytes(o);
        Assert.AreEqual(before.Length, after.Length);
        CollectionAssert.AreEqual(before[..(5 * 65536)], after[..(5 * 65536)], "header and L1 unchanged");
        CollectionAssert.AreEqual(before[(7 * 65536)..], after[(7 * 65536)..], "L2 table unchanged");
        QemuOracle.IoOk("-f", "qed", "-c", "read -P 2 1000 5000", "-c", "read -P 0 64k 64k", "-c", "read -P 1 0 1000", o);
    }

    [TestMethod]
    public void DiscardKeepsTheData()
    {
        using var tmp = new TempDir();
        string o = tmp["o.qed"];
        CreateOurs(o, 4 << 20, "");
        using var dev = Open(o, writable: true);
        Apply(dev, "write -P 3 0 64k", "discard 0 64k");
        var buf = new byte[65536];
        dev.Read(0, buf);
        Assert.IsTrue(buf.All(b => b == 3), "qed has no discard: the data stays");
    }
}
