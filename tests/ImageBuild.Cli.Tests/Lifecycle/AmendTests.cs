using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>imagebuild amend against qemu-img amend on twin copies: the same exit code and messages, and the same image.</summary>
[TestClass]
[RequiresQemu]
public sealed class AmendTests
{
    /// <summary>A v3 image with data, zero clusters (allocated and not), a v2 image, and an overlay with zero clusters.</summary>
    private static TempDir Images()
    {
        var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["v3.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write -P 1 0 1M", "-c", "write -z 1M 512k", "-c", "write -z -u 2M 64k", tmp["v3.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", "compat=0.10", tmp["v2.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write -P 3 64k 128k", tmp["v2.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-b", "v3.qcow2", "-F", "qcow2", tmp["top.qcow2"]);
        QemuOracle.IoOk("-c", "write -P 2 0 64k", "-c", "write -z 64k 128k", "-c", "write -z 3M 64k", tmp["top.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", tmp["lazy.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write 0 64k", tmp["lazy.qcow2"]);
        return tmp;
    }

    [TestMethod]
    [DataRow("v3.qcow2", "compat=0.10")]
    [DataRow("v3.qcow2", "compat=v3")]
    [DataRow("v3.qcow2", "lazy_refcounts=on")]
    [DataRow("lazy.qcow2", "lazy_refcounts=off")]
    [DataRow("lazy.qcow2", "compat=0.10")]
    [DataRow("v3.qcow2", "refcount_bits=1")]
    [DataRow("v3.qcow2", "refcount_bits=8")]
    [DataRow("v3.qcow2", "refcount_bits=64")]
    [DataRow("v3.qcow2", "size=8M")]
    [DataRow("v3.qcow2", "size=2M")]
    [DataRow("v2.qcow2", "compat=1.1")]
    [DataRow("v2.qcow2", "compat=1.1,lazy_refcounts=on,refcount_bits=4")]
    [DataRow("top.qcow2", "compat=0.10")]
    [DataRow("top.qcow2", "backing_file=v3.qcow2,backing_fmt=qcow2")]
    [DataRow("v3.qcow2", "refcount_bits=2,size=16M")]
    public void ChangeMatchesQemu(string image, string options)
    {
        using var tmp = Images();
        string[] files = ["v3.qcow2", "v2.qcow2", "top.qcow2", "lazy.qcow2"];
        var (q, i, rc) = TwinImages.Run(tmp, files, "amend", "-o", options, image);
        Assert.AreEqual(0, rc);
        TwinImages.AssertSameImage(Path.Combine(q, image), Path.Combine(i, image), sameBytes: true);
    }

    [TestMethod]
    [DataRow("compat=0.10")]
    [DataRow("refcount_bits=8,compat=1.1")]
    [DataRow("lazy_refcounts=on")]
    public void ProgressMatchesQemu(string options)
    {
        using var tmp = Images();
        var (q, i, _) = TwinImages.Run(tmp, ["v3.qcow2"], "amend", "-p", "-o", options, "v3.qcow2");
        TwinImages.AssertSameImage(Path.Combine(q, "v3.qcow2"), Path.Combine(i, "v3.qcow2"), sameBytes: true);
    }

    [TestMethod]
    [DataRow("v3.qcow2", "compat=foo")]
    [DataRow("v3.qcow2", "refcount_bits=3")]
    [DataRow("v3.qcow2", "refcount_bits=abc")]
    [DataRow("v3.qcow2", "compat=0.10,refcount_bits=8")]
    [DataRow("v3.qcow2", "compat=0.10,lazy_refcounts=on")]
    [DataRow("v3.qcow2", "lazy_refcounts=maybe")]
    [DataRow("v3.qcow2", "data_file=x")]
    [DataRow("v3.qcow2", "data_file_raw=on")]
    [DataRow("v3.qcow2", "encrypt.keyslot=1")]
    [DataRow("v3.qcow2", "size=1000")]
    [DataRow("v3.qcow2", "size=abc")]
    [DataRow("v3.qcow2", "cluster_size=4k")]
    [DataRow("v3.qcow2", "preallocation=full")]
    [DataRow("v3.qcow2", "foo=bar")]
    [DataRow("v3.qcow2", "compat=1.1,,")]
    [DataRow("v3.qcow2", ",compat=1.1")]
    [DataRow("top.qcow2", "backing_file=x")]
    [DataRow("top.qcow2", "backing_fmt=raw")]
    [DataRow("top.qcow2", "backing_file=v3.qcow2")]
    [DataRow("v2.qcow2", "lazy_refcounts=on")]
    [DataRow("v2.qcow2", "refcount_bits=8")]
    [DataRow("nope.qcow2", "compat=1.1")]
    public void RefusalMatchesQemu(string image, string options)
    {
        using var tmp = Images();
        var (q, i, rc) = TwinImages.Run(tmp, ["v3.qcow2", "v2.qcow2", "top.qcow2"], "amend", "-o", options, image);
        Assert.AreEqual(1, rc);
        if (File.Exists(Path.Combine(q, image)))
            TwinImages.AssertSameImage(Path.Combine(q, image), Path.Combine(i, image), sameBytes: true);
    }

    [TestMethod]
    public void RefusalsOfFeaturesV2CannotKeep()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", "extended_l2=on", tmp["ext.qcow2"], "4M");
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", "compression_type=zstd", tmp["zstd.qcow2"], "4M");
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", "compression_type=zstd", tmp["zstdc.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write -c 0 64k", tmp["zstdc.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", "data_file=" + tmp["d.raw"], tmp["df.qcow2"], "4M");
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["snap.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write 0 64k", tmp["snap.qcow2"]);
        QemuOracle.ImgOk("snapshot", "-c", "s1", tmp["snap.qcow2"]);
        string[] files = ["ext.qcow2", "zstd.qcow2", "zstdc.qcow2", "df.qcow2", "snap.qcow2"];
        Assert.AreEqual(1, TwinImages.Run(tmp, files, "amend", "-o", "compat=0.10", "ext.qcow2").Rc);
        Assert.AreEqual(1, TwinImages.Run(tmp, files, "amend", "-o", "compat=0.10", "zstdc.qcow2").Rc);
        Assert.AreEqual(1, TwinImages.Run(tmp, files, "amend", "-o", "compat=0.10", "df.qcow2").Rc);
        Assert.AreEqual(1, TwinImages.Run(tmp, files, "amend", "-o", "refcount_bits=1", "snap.qcow2").Rc);
        var (q, i, rc) = TwinImages.Run(tmp, files, "amend", "-o", "compat=0.10", "zstd.qcow2");
        Assert.AreEqual(0, rc);
        TwinImages.AssertSameImage(Path.Combine(q, "zstd.qcow2"), Path.Combine(i, "zstd.qcow2"), sameBytes: true);
        (q, i, rc) = TwinImages.Run(tmp, files, "amend", "-o", "refcount_bits=2", "snap.qcow2");
        Assert.AreEqual(0, rc);
        TwinImages.AssertSameImage(Path.Combine(q, "snap.qcow2"), Path.Combine(i, "snap.qcow2"), sameBytes: true);
    }

    [TestMethod]
    public void HelpAndUsageMatchQemu()
    {
        using var tmp = Images();
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["r.raw"], "1M");
        string[] files = ["v3.qcow2", "r.raw"];
        TwinImages.Run(tmp, files, "amend", "-f", "qcow2", "-o", "help");
        TwinImages.Run(tmp, files, "amend", "-o", "?", "v3.qcow2");
        TwinImages.Run(tmp, files, "amend", "-f", "raw", "-o", "help");
        TwinImages.Run(tmp, files, "amend", "-f", "foo", "-o", "help");
        TwinImages.Run(tmp, files, "amend", "-o", "help");
        TwinImages.Run(tmp, files, "amend", "-o", "help", "r.raw");
        TwinImages.Run(tmp, files, "amend", "-o", "size=2M", "r.raw");
        TwinImages.Run(tmp, files, "amend", "-o", "compat=1.1", "v3.qcow2", "r.raw");
        TwinImages.Run(tmp, files, "amend", "v3.qcow2");
    }

    /// <summary>
    /// Downgrading an image with persistent bitmaps: qemu-img 7.2 does not refuse; it stores the bitmaps and leaves
    /// a v2 header with a bitmaps extension that the next open reports as inconsistent (their clusters leak).
    /// </summary>
    [TestMethod]
    public void DowngradeWithBitmapsMatchesQemu()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["bm.qcow2"], "4M");
        QemuOracle.ImgOk("bitmap", "--add", tmp["bm.qcow2"], "b0");
        QemuOracle.IoOk("-c", "write 0 64k", tmp["bm.qcow2"]);
        var (q, i, rc) = TwinImages.Run(tmp, ["bm.qcow2"], "amend", "-o", "compat=0.10", "bm.qcow2");
        Assert.AreEqual(0, rc);
        Assert.IsTrue(File.ReadAllBytes(Path.Combine(q, "bm.qcow2")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(i, "bm.qcow2"))));
        (q, i, rc) = TwinImages.Run(tmp, ["bm.qcow2"], "amend", "-o", "refcount_bits=1", "bm.qcow2");
        Assert.AreEqual(0, rc);
        TwinImages.AssertSameImage(Path.Combine(q, "bm.qcow2"), Path.Combine(i, "bm.qcow2"), sameBytes: true);
    }

    /// <summary>
    /// A zero cluster that still shares its host cluster with a snapshot: qemu-img 7.2 zeroes the shared cluster in
    /// place (the snapshot loses its data; check reports an OFLAG_COPIED error). We drop the reference instead.
    /// </summary>
    [TestMethod]
    public void DowngradeKeepsSnapshotDataOfSharedZeroClusters()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["s.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write -P 5 0 128k", tmp["s.qcow2"]);
        QemuOracle.ImgOk("snapshot", "-c", "s1", tmp["s.qcow2"]);
        QemuOracle.IoOk("-c", "write -z 0 64k", tmp["s.qcow2"]);
        QemuOracle.ImgOk("convert", "-l", "s1", "-O", "raw", tmp["s.qcow2"], tmp["before.raw"]);
        var r = TwinImages.Ours(tmp.Path, "amend", "-o", "compat=0.10", "s.qcow2");
        Assert.AreEqual(0, r.Rc, r.Err);
        var check = QemuOracle.Img("check", tmp["s.qcow2"]);
        Assert.AreEqual(0, check.ExitCode, check.StdOut + check.StdErr);
        QemuOracle.ImgOk("convert", "-l", "s1", "-O", "raw", tmp["s.qcow2"], tmp["after.raw"]);
        Assert.IsTrue(File.ReadAllBytes(tmp["before.raw"]).AsSpan().SequenceEqual(File.ReadAllBytes(tmp["after.raw"])), "snapshot data");
        StringAssert.Contains(QemuOracle.ImgOk("info", tmp["s.qcow2"]), "compat: 0.10");
        var io = QemuOracle.IoOk("-c", "read -P 0 0 64k", "-c", "read -P 5 64k 64k", tmp["s.qcow2"]);
        Assert.IsFalse(io.Contains("Pattern verification failed", StringComparison.Ordinal), io);
    }
}
