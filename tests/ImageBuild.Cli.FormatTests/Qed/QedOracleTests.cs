using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Qed;

/// <summary>
/// The qed driver end to end: every command line runs with qemu-img and with the tool under test on copies of the
/// same files; exit codes, stdout, stderr (JSON as data too) and the files left behind must be equal.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class QedOracleTests
{
    private const long Cluster = 65536;

    /// <summary>
    /// The images most tests look at: a written image (data, zero clusters, an L2 table at cluster 7), a raw and a
    /// qcow2 backing file with overlays, an empty image with 4 KiB clusters.
    /// </summary>
    private static QedOracleFixture Images()
    {
        var f = new QedOracleFixture();
        f.Qemu("create", "-q", "-f", "qed", "w.qed", "4M");
        f.Io("w.qed", "write -P 1 0 128k", "write -P 2 1M 64k", "write -z 2M 128k", "write -P 3 3M 1000");
        f.Qemu("create", "-q", "-f", "raw", "base.raw", "4M");
        ToolUnderTest.QemuIo(f.Setup, "raw", "base.raw", "write -P 0xaa 0 4M");
        f.Qemu("create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        ToolUnderTest.QemuIo(f.Setup, "qcow2", "base.qcow2", "write -P 0xbb 0 2M");
        f.Qemu("create", "-q", "-f", "qed", "-b", "base.raw", "-F", "raw", "-o", "cluster_size=4096", "over-raw.qed");
        f.Io("over-raw.qed", "write -P 4 4k 1000", "write -z 64k 64k", "write -P 5 1M 8k");
        f.Qemu("create", "-q", "-f", "qed", "-b", "base.qcow2", "-F", "qcow2", "over-qcow2.qed", "6M");
        f.Io("over-qcow2.qed", "write -P 6 512k 64k", "write -P 7 5M 64k");
        f.Qemu("create", "-q", "-f", "qed", "-o", "cluster_size=4096,table_size=2", "empty.qed", "1G");
        return f;
    }

    [TestMethod]
    [DataRow("w.qed")]
    [DataRow("over-raw.qed")]
    [DataRow("over-qcow2.qed")]
    [DataRow("empty.qed")]
    public void InfoMapCheckAreQemus(string image)
    {
        using var f = Images();
        f.Same("info", image);
        f.Same("info", "--output=json", image);
        f.Same("info", "--backing-chain", image);
        f.Same("info", "--backing-chain", "--output=json", image);
        f.Same("map", image);
        f.Same("map", "--output=json", image);
        f.Same("check", image);
        f.Same("check", "--output=json", image);
        f.Same(["o.raw"], "convert", "-O", "raw", image, "o.raw");
        f.Same("compare", image, "w.qed");
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("cluster_size=4096")]
    [DataRow("cluster_size=4096,table_size=16")]
    [DataRow("cluster_size=2M,table_size=2")]
    [DataRow("table_size=1")]
    [DataRow("table_size=3")]
    [DataRow("cluster_size=1000")]
    [DataRow("cluster_size=4M")]
    [DataRow("backing_fmt=raw")]
    [DataRow("preallocation=full")]
    [DataRow("preallocation=metadata")]
    [DataRow("help")]
    public void CreateIsQemus(string options)
    {
        using var f = Images();
        string[] args = options.Length == 0 ? ["create", "-f", "qed", "n.qed", "100M"] : ["create", "-f", "qed", "-o", options, "n.qed", "100M"];
        f.Same(["n.qed"], args);
    }

    [TestMethod]
    //       size  options
    [DataRow("", "-b", "base.raw", "-F", "raw")]
    [DataRow("", "-b", "base.qcow2", "-F", "qcow2")]
    [DataRow("", "-b", "base.raw")]
    [DataRow("", "-b", "w.qed", "-F", "qed", "-o", "cluster_size=8192")]
    [DataRow("1M", "-u", "-b", "missing.img", "-F", "vmdk")]
    [DataRow("1M", "-u", "-b", "missing.img", "-F", "bogus")]
    [DataRow("5G", "-b", "base.raw", "-F", "raw")]
    public void CreateWithABackingFileIsQemus(string size, params string[] options)
    {
        using var f = Images();
        f.Same(["n.qed"], ["create", "-f", "qed", .. options, "n.qed", .. size.Length > 0 ? new[] { size } : []]);
    }

    [TestMethod]
    [DataRow("w.qed", "8M")]
    [DataRow("w.qed", "+1M")]
    [DataRow("w.qed", "64T")]
    [DataRow("w.qed", "65T")]
    [DataRow("w.qed", "2M")]
    [DataRow("w.qed", "4097k")]
    [DataRow("w.qed", "+1000")]
    [DataRow("empty.qed", "2G")]
    public void ResizeIsQemus(string image, string size)
    {
        using var f = Images();
        f.Same([image], "resize", image, size);
        f.Same([image], "resize", "--shrink", image, size);
        f.Same([image], "resize", "--preallocation=falloc", image, size);
        f.Same([image], "resize", "--preallocation=metadata", image, size);
    }

    [TestMethod]
    [DataRow("-u", "-b", "base.qcow2", "-F", "qcow2")]
    [DataRow("-u", "-b", "other", "-F", "raw")]
    [DataRow("-u", "-b", "")]
    [DataRow("-u", "-b", "base.qcow2")]
    [DataRow("-b", "base.qcow2", "-F", "qcow2")]
    [DataRow("-b", "w.qed", "-F", "qed")]
    [DataRow("-b", "")]
    public void RebaseIsQemus(params string[] options)
    {
        using var f = Images();
        f.Same(["over-raw.qed"], ["rebase", .. options, "over-raw.qed"]);
        f.Same(["over-qcow2.qed"], ["rebase", .. options, "over-qcow2.qed"]);
    }

    [TestMethod]
    public void ABackingNameThatDoesNotFitTheHeaderClusterIsRefused()
    {
        using var f = Images();
        string longName = new('x', 4100);
        f.Same(["over-raw.qed"], "rebase", "-u", "-b", longName[..4000], "-F", "raw", "over-raw.qed");
        f.Same(["over-raw.qed"], "rebase", "-u", "-b", longName[..4033], "-F", "raw", "over-raw.qed"); // 64 + 4033 > 4096
        f.Same(["w.qed"], "rebase", "-u", "-b", longName, "-F", "raw", "w.qed");
    }

    [TestMethod]
    public void CommitKeepsTheOverlayAsQemuDoes()
    {
        // qed has no make_empty: after a commit the overlay keeps its clusters. The base gets the same content.
        using var f = Images();
        f.Qemu("create", "-q", "-f", "qed", "-o", "cluster_size=4096", "b.qed", "2M");
        f.Io("b.qed", "write -P 0x44 0 256k");
        f.Qemu("create", "-q", "-f", "qed", "-b", "b.qed", "-F", "qed", "t.qed");
        f.Io("t.qed", "write -P 0x55 100k 300k", "write -z 600k 64k");
        var (q, t) = f.Same(["t.qed"], "commit", "t.qed");
        f.Same(["t.qed"], "commit", "-d", "t.qed");
        var cmp = QemuOracle.Img("compare", "-f", "qed", "-F", "qed", Path.Combine(q, "b.qed"), Path.Combine(t, "b.qed"));
        Assert.AreEqual(0, cmp.ExitCode, cmp.StdOut + cmp.StdErr);
        QemuOracle.ImgOk("check", Path.Combine(t, "b.qed"));
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("-o", "cluster_size=4096,table_size=2")]
    [DataRow("-o", "cluster_size=1M")]
    [DataRow("-S", "0")]
    [DataRow("-B", "base.qcow2", "-F", "qcow2")]
    [DataRow("-c")]
    public void ConvertToQedIsByteIdentical(params string[] options)
    {
        using var f = Images();
        f.Qemu("create", "-q", "-f", "qcow2", "src.qcow2", "4M");
        ToolUnderTest.QemuIo(f.Setup, "qcow2", "src.qcow2", "write -P 1 0 1M", "write -z 1M 1M", "write -P 3 2500k 700k", "write -P 0 3M 64k");
        f.Same(["n.qed"], ["convert", "-O", "qed", .. options.Where(o => o.Length > 0), "src.qcow2", "n.qed"]);
    }

    [TestMethod]
    public void ConvertIntoAnExistingQedIsByteIdentical()
    {
        using var f = Images();
        f.Same(["w.qed"], "convert", "-n", "-O", "qed", "over-qcow2.qed", "w.qed");
        f.Same(["over-raw.qed"], "convert", "-n", "-O", "qed", "w.qed", "over-raw.qed");
    }

    // ---------------------------------------------------------------- check and repairs

    /// <summary>Offsets in w.qed: L1 at cluster 1, data at clusters 5 and 6 (0..128k), L2 at 7, data at 11 (1M).</summary>
    public static IEnumerable<object[]> Corruptions =>
    [
        ["l2-entry-past-eof", 7 * Cluster + 16, 100UL * Cluster],
        ["l2-entry-unaligned", 7 * Cluster + 8, 11UL * Cluster + 512],
        ["l2-entry-in-header", 7 * Cluster + 8, 0UL],
        ["l2-entry-twice", 7 * Cluster + 8, 5UL * Cluster],
        ["l2-entry-on-l1", 7 * Cluster + 8, 1UL * Cluster],
        ["l1-entry-past-eof", Cluster + 8, 50UL * Cluster],
        ["l1-entry-unaligned", Cluster + 8, 7UL * Cluster + 512],
        ["l1-entries-share-a-table", Cluster + 8, 7UL * Cluster],
        ["need-check", 16, 2UL],
    ];

    [TestMethod]
    [DynamicData(nameof(Corruptions))]
    public void CheckAndRepairAreQemus(string what, long offset, ulong value)
    {
        using var f = Images();
        f.Poke("w.qed", offset, value);
        f.Same(["w.qed"], "check", "w.qed");
        f.Same(["w.qed"], "check", "--output=json", "w.qed");
        f.Same(["w.qed"], "check", "-r", "leaks", "w.qed");
        f.Same(["w.qed"], "check", "-r", "all", "w.qed");
        f.Same(["w.qed"], "check", "-r", "all", "--output=json", "w.qed");
        f.Same(["w.qed"], "info", "--output=json", "w.qed");
        _ = what;
    }

    [TestMethod]
    [DynamicData(nameof(Corruptions))]
    public void AnUncleanImageIsRepairedWhenOpenedForWriting(string what, long offset, ulong value)
    {
        using var f = Images();
        f.Poke("w.qed", offset, value);
        f.Poke("w.qed", 16, 2); // need check
        f.Same(["w.qed"], "resize", "w.qed", "+0");
        f.Same(["w.qed"], "info", "w.qed");
        _ = what;
    }

    [TestMethod]
    public void LeaksAreReportedNotRepaired()
    {
        using var f = Images();
        using (var fs = new FileStream(f["w.qed"], FileMode.Open)) fs.SetLength(fs.Length + 2 * Cluster + 100);
        f.Same(["w.qed"], "check", "w.qed");
        f.Same(["w.qed"], "check", "-r", "all", "w.qed");
        f.Same(["w.qed"], "check", "-r", "leaks", "--output=json", "w.qed");
    }

    // ---------------------------------------------------------------- hostile headers

    public static IEnumerable<object[]> Headers =>
    [
        ["cluster-size-1024", 4, 1024UL, 4],
        ["cluster-size-not-power-of-two", 4, 3000UL, 4],
        ["cluster-size-128M", 4, 0x8000000UL, 4],
        ["cluster-size-64M", 4, 0x4000000UL, 4],
        ["table-size-0", 8, 0UL, 4],
        ["table-size-3", 8, 3UL, 4],
        ["table-size-32", 8, 32UL, 4],
        ["table-size-1", 8, 1UL, 4],
        ["header-size-huge", 12, 0xffffffffUL, 4],
        ["unknown-feature", 16, 0x10UL, 8],
        ["unknown-compat-feature", 24, 0xffUL, 8],
        ["unknown-autoclear-feature", 32, 0xffUL, 8],
        ["l1-offset-0", 40, 0UL, 8],
        ["l1-offset-unaligned", 40, 0x10001UL, 8],
        ["l1-offset-past-eof", 40, 0x200000UL, 8],
        ["l1-offset-overflowing", 40, 0xfffffffffff00000UL, 8],
        ["image-size-not-sectors", 48, 1000UL, 8],
        ["image-size-beyond-tables", 48, 0x100000000000000UL, 8],
        ["backing-name-outside-header", 56, 65530UL, 4],
        ["backing-name-too-long", 60, 4096UL, 4],
    ];

    [TestMethod]
    [DynamicData(nameof(Headers))]
    public void HostileHeadersAreJudgedAsQemuJudgesThem(string what, int offset, ulong value, int width)
    {
        using var f = Images();
        f.Poke("over-raw.qed", offset, value, width);
        f.Same(["over-raw.qed"], "info", "over-raw.qed");
        f.Same(["over-raw.qed"], "info", "-f", "qed", "--output=json", "over-raw.qed");
        f.Same(["o.raw"], "convert", "-O", "raw", "over-raw.qed", "o.raw");
        f.Same(["over-raw.qed"], "check", "over-raw.qed");
        f.Same(["over-raw.qed"], "resize", "over-raw.qed", "+1M");
        _ = what;
    }

    [TestMethod]
    public void BadMagicIsRawUnlessQedIsNamed()
    {
        using var f = Images();
        f.Poke("w.qed", 0, 0x12345678, 4);
        f.Same("info", "w.qed");
        f.Same("info", "-f", "qed", "w.qed");
        f.Same("check", "-f", "qed", "w.qed");
    }

    [TestMethod]
    public void MeasureAndAmendAreRefusedAsQemuRefusesThem()
    {
        using var f = Images();
        f.Same("measure", "-O", "qed", "--size", "1G");
        f.Same(["w.qed"], "amend", "-o", "size=8M", "w.qed");
        f.Same(["w.qed"], "snapshot", "-c", "s1", "w.qed");
        f.Same("snapshot", "-l", "w.qed");
    }
}
