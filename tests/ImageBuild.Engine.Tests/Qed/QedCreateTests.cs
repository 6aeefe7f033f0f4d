using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qed.QedTestSupport;

namespace ImageBuild.Engine.Tests.Qed;

[TestClass]
public sealed class QedCreateTests
{
    [TestMethod]
    [RequiresQemu]
    [DataRow("", 1L << 30)]
    [DataRow("", 1000L)]
    [DataRow("", 0L)]
    [DataRow("cluster_size=4096", 1L << 30)]
    [DataRow("cluster_size=4096,table_size=1", 1L << 30)]
    [DataRow("cluster_size=4096,table_size=16", 1L << 30)]
    [DataRow("cluster_size=1M,table_size=2", 3L << 30)]
    [DataRow("cluster_size=64M,table_size=1", 0L)]
    [DataRow("cluster_size=4M", 0L)]
    [DataRow("table_size=8", 64L << 40)]
    [DataRow("cluster_size=2M,table_size=8", 9223372036854775296L)]
    [DataRow("preallocation=full", 10L << 20)]
    public void LayoutIsQemus(string options, long size)
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["q.qed"], size, options);
        CreateOurs(tmp["o.qed"], size, options);
        AssertSameBytes(tmp["q.qed"], tmp["o.qed"], options);
    }

    [TestMethod]
    [RequiresQemu]
    public void OversizedClusterAndTableSizesAreNarrowedAsQemuNarrowsThem()
    {
        // Both fields are 32 bits: 4 GiB + 64 KiB clusters are 64 KiB clusters, but the L1 table goes where the
        // cluster size as given says (qemu uses the option's value there), 4 GiB into a sparse file.
        using var tmp = new TempDir();
        const string options = "cluster_size=4295032832,table_size=4294967300";
        CreateQemu(tmp["q.qed"], 1 << 20, options);
        CreateOurs(tmp["o.qed"], 1 << 20, options);
        Assert.AreEqual(new FileInfo(tmp["q.qed"]).Length, new FileInfo(tmp["o.qed"]).Length);
        byte[] Head(string p)
        {
            using var fs = File.OpenRead(p);
            var b = new byte[65536];
            fs.ReadExactly(b);
            return b;
        }
        CollectionAssert.AreEqual(Head(tmp["q.qed"]), Head(tmp["o.qed"]));
        string Info(string p) => string.Join("\n", QemuOracle.ImgOk("info", p).Split('\n').Where(l => !l.StartsWith("disk size", StringComparison.Ordinal) && !l.StartsWith("image:", StringComparison.Ordinal)));
        Assert.AreEqual(Info(tmp["q.qed"]), Info(tmp["o.qed"]));
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("base.raw", "raw")]
    [DataRow("base.qcow2", "qcow2")]
    [DataRow("/some/absolute/dir/name-that-is-rather-long.img", "vmdk")]
    public void BackingFileIsRecordedAsQemuRecordsIt(string backing, string? format)
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["q.qed"], 1 << 20, "cluster_size=4096", backing, format);
        CreateOurs(tmp["o.qed"], 1 << 20, "cluster_size=4096", backing, format);
        AssertSameBytes(tmp["q.qed"], tmp["o.qed"], $"{backing} {format}");
        // Only a raw backing format is kept (as the no-probe feature bit).
        Assert.AreEqual(format == "raw" ? 5UL : 1UL, Features(tmp["o.qed"]));
    }

    [TestMethod]
    [RequiresQemu]
    public void BackingFormatWithoutBackingFileIsIgnored()
    {
        using var tmp = new TempDir();
        CreateQemu(tmp["q.qed"], 1 << 20, "backing_fmt=raw");
        CreateOurs(tmp["o.qed"], 1 << 20, "backing_fmt=raw");
        AssertSameBytes(tmp["q.qed"], tmp["o.qed"], "backing_fmt alone");
        Assert.AreEqual(0UL, Features(tmp["o.qed"]));
    }

    [TestMethod]
    [DataRow("cluster_size=1024", "QED cluster size must be within range [4096, 67108864] and power of 2")]
    [DataRow("cluster_size=3000", "QED cluster size must be within range [4096, 67108864] and power of 2")]
    [DataRow("cluster_size=128M", "QED cluster size must be within range [4096, 67108864] and power of 2")]
    [DataRow("cluster_size=0", "QED cluster size must be within range [4096, 67108864] and power of 2")]
    [DataRow("table_size=0", "QED table size must be within range [1, 16] and power of 2")]
    [DataRow("table_size=3", "QED table size must be within range [1, 16] and power of 2")]
    [DataRow("table_size=32", "QED table size must be within range [1, 16] and power of 2")]
    [DataRow("cluster_size=4M", "QED image size must be a non-zero multiple of cluster size and less than 0 bytes")]
    [DataRow("cluster_size=4096,table_size=1", "QED image size must be a non-zero multiple of cluster size and less than 1073741824 bytes")]
    [DataRow("backing_file=b.img,backing_fmt=bogus", "Parameter 'backing-fmt' does not accept value 'bogus'")]
    public void RefusalsLeaveAnEmptyFileAsQemuDoes(string options, string message)
    {
        using var tmp = new TempDir();
        string path = tmp["x.qed"];
        File.WriteAllText(path, "old content");
        var e = Assert.ThrowsExactly<ImageException>(() => CreateOurs(path, 2L << 30, options));
        Assert.AreEqual($"{path}: {message}", e.Message);
        Assert.AreEqual(0, new FileInfo(path).Length, "qemu creates (truncates) the file before it checks the qed options");
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("preallocation=bogus")]
    [DataRow("preallocation=metadata")]
    public void FileProtocolRefusalsLeaveWhatQemuLeaves(string options)
    {
        // qemu's file protocol refuses a value it cannot parse before creating the file, and 'metadata' after.
        using var tmp = new TempDir();
        var q = QemuOracle.Img("create", "-q", "-f", "qed", "-o", options, tmp["q.qed"], "1M");
        Assert.AreEqual(1, q.ExitCode);
        Assert.ThrowsExactly<ImageException>(() => CreateOurs(tmp["o.qed"], 1 << 20, options));
        Assert.AreEqual(File.Exists(tmp["q.qed"]), File.Exists(tmp["o.qed"]));
        if (File.Exists(tmp["o.qed"]))
            Assert.AreEqual(0, new FileInfo(tmp["o.qed"]).Length);
    }

    [TestMethod]
    [RequiresQemu]
    public void TableSizeOneImagesCannotBeOpenedInQemuEither()
    {
        using var tmp = new TempDir();
        CreateOurs(tmp["o.qed"], 1 << 20, "cluster_size=4096,table_size=1");
        var q = QemuOracle.Img("info", tmp["o.qed"]);
        Assert.AreEqual(1, q.ExitCode);
        StringAssert.Contains(q.StdErr, "QED table offset is invalid");
        var e = Assert.ThrowsExactly<ImageException>(() => Open(tmp["o.qed"]).Dispose());
        Assert.AreEqual($"Could not open '{tmp["o.qed"]}': QED table offset is invalid", e.Message);
    }
}
