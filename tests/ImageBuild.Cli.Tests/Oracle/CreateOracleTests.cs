using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// `create` against qemu-img: the same arguments in twin directories must give the same exit code, the same
/// `Formatting ...` line and errors, and an image that qemu-img checks clean and describes exactly as the image
/// qemu-img itself creates (info JSON, check JSON, map JSON).
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class CreateOracleTests
{
    [TestMethod]
    // sizes
    [DataRow("qcow2", "", "1000")]
    [DataRow("qcow2", "", "1M")]
    [DataRow("qcow2", "", "64M")]
    [DataRow("qcow2", "", "3T")]
    [DataRow("qcow2", "", "0")]
    [DataRow("qcow2", "", "256T")]
    [DataRow("qcow2", "", "1E")] // too large for 64 KiB clusters: qcow2 refuses
    [DataRow("qcow2", "cluster_size=2M", "1E")]
    [DataRow("qcow2", "cluster_size=2M", "7E")]
    [DataRow("qcow2", "", "8E")] // out of int64 range
    [DataRow("qcow2", "", "12Q")] // bad suffix
    [DataRow("qcow2", "", "1.5")]
    [DataRow("qcow2", "", "")] // no size
    [DataRow("qcow2", "size=1M", "1M")] // size twice
    [DataRow("qcow2", "size=2M", "")]
    // compat
    [DataRow("qcow2", "compat=0.10", "64M")]
    [DataRow("qcow2", "compat=1.1", "64M")]
    [DataRow("qcow2", "compat=v2", "1M")]
    [DataRow("qcow2", "compat=v3", "1M")]
    [DataRow("qcow2", "compat=2.0", "1M")]
    // cluster sizes
    [DataRow("qcow2", "cluster_size=512", "64M")]
    [DataRow("qcow2", "cluster_size=1024", "64M")]
    [DataRow("qcow2", "cluster_size=2048", "64M")]
    [DataRow("qcow2", "cluster_size=4096", "64M")]
    [DataRow("qcow2", "cluster_size=8k", "64M")]
    [DataRow("qcow2", "cluster_size=16k", "64M")]
    [DataRow("qcow2", "cluster_size=32k", "64M")]
    [DataRow("qcow2", "cluster_size=128k", "64M")]
    [DataRow("qcow2", "cluster_size=256k", "64M")]
    [DataRow("qcow2", "cluster_size=512k", "64M")]
    [DataRow("qcow2", "cluster_size=1M", "64M")]
    [DataRow("qcow2", "cluster_size=2M", "64M")]
    [DataRow("qcow2", "cluster_size=512,compat=0.10", "1000")]
    [DataRow("qcow2", "cluster_size=256", "1M")]
    [DataRow("qcow2", "cluster_size=1000", "1M")]
    [DataRow("qcow2", "cluster_size=4M", "1M")]
    // preallocation
    [DataRow("qcow2", "preallocation=off", "3M")]
    [DataRow("qcow2", "preallocation=metadata", "3M")]
    [DataRow("qcow2", "preallocation=falloc", "3M")]
    [DataRow("qcow2", "preallocation=full", "3M")]
    [DataRow("qcow2", "preallocation=metadata,cluster_size=512", "1M")]
    [DataRow("qcow2", "preallocation=full,cluster_size=4096", "1M")]
    [DataRow("qcow2", "preallocation=metadata,compat=0.10", "2M")]
    [DataRow("qcow2", "preallocation=falloc,extended_l2=on", "2M")]
    [DataRow("qcow2", "preallocation=bogus", "1M")]
    // lazy refcounts, refcount widths
    [DataRow("qcow2", "lazy_refcounts=on", "64M")]
    [DataRow("qcow2", "lazy_refcounts=on,compat=0.10", "1M")]
    [DataRow("qcow2", "refcount_bits=1", "64M")]
    [DataRow("qcow2", "refcount_bits=1", "3T")]
    [DataRow("qcow2", "refcount_bits=2", "64M")]
    [DataRow("qcow2", "refcount_bits=4", "64M")]
    [DataRow("qcow2", "refcount_bits=8", "64M")]
    [DataRow("qcow2", "refcount_bits=16", "64M")]
    [DataRow("qcow2", "refcount_bits=32", "64M")]
    [DataRow("qcow2", "refcount_bits=64", "64M")]
    [DataRow("qcow2", "refcount_bits=64,cluster_size=512", "3T")]
    [DataRow("qcow2", "refcount_bits=3", "1M")]
    [DataRow("qcow2", "refcount_bits=128", "1M")]
    [DataRow("qcow2", "refcount_bits=8,compat=0.10", "1M")]
    // compression type, extended L2
    [DataRow("qcow2", "compression_type=zlib", "64M")]
    [DataRow("qcow2", "compression_type=zstd", "64M")]
    [DataRow("qcow2", "compression_type=zstd,compat=0.10", "1M")]
    [DataRow("qcow2", "compression_type=lz4", "1M")]
    [DataRow("qcow2", "extended_l2=on,cluster_size=16k", "64M")]
    [DataRow("qcow2", "extended_l2=on", "64M")]
    [DataRow("qcow2", "extended_l2=on,cluster_size=2M", "3T")]
    [DataRow("qcow2", "extended_l2=on,cluster_size=8k", "1M")]
    [DataRow("qcow2", "extended_l2=on,compat=0.10", "1M")]
    // external data file
    [DataRow("qcow2", "data_file=data.raw", "4M")]
    [DataRow("qcow2", "data_file=data.raw,data_file_raw=on", "4M")]
    [DataRow("qcow2", "data_file_raw=on", "4M")]
    // unknown option
    [DataRow("qcow2", "foo=bar", "1M")]
    // raw
    [DataRow("raw", "", "1000")]
    [DataRow("raw", "", "1M")]
    [DataRow("raw", "", "0")]
    [DataRow("raw", "", "3T")]
    [DataRow("raw", "preallocation=off", "1M")]
    [DataRow("raw", "preallocation=falloc", "1M")]
    [DataRow("raw", "preallocation=full", "1M")]
    [DataRow("raw", "preallocation=full", "1000")]
    [DataRow("raw", "preallocation=metadata", "1M")]
    [DataRow("raw", "", "8E")]
    [DataRow("raw", "", "")]
    [DataRow("nosuch", "", "1M")]
    public void CreateMatchesQemu(string format, string options, string size)
    {
        using var d = new OracleDirs();
        string name = format == "raw" ? "img.raw" : "img.qcow2";
        var args = new List<string> { "create", "-f", format };
        if (options.Length > 0) { args.Add("-o"); args.Add(options); }
        args.Add(name);
        if (size.Length > 0) args.Add(size);

        var expected = ToolUnderTest.Qemu(d.Q, [.. args]);
        var actual = ToolUnderTest.Run(d.T, [.. args]);
        OracleAssert.SameOutcome(expected, actual);
        if (expected.ExitCode == 0)
            AssertSameImage(d, name);
        if (options.Contains("data_file=data.raw") && expected.ExitCode == 0)
        {
            Assert.IsTrue(File.Exists(Path.Combine(d.T, "data.raw")), "external data file created");
            Assert.AreEqual(new FileInfo(Path.Combine(d.Q, "data.raw")).Length, new FileInfo(Path.Combine(d.T, "data.raw")).Length,
                "external data file length");
        }
    }

    [TestMethod]
    [DataRow("-b base.qcow2 -F qcow2", "")]
    [DataRow("-b base.qcow2 -F qcow2", "128M")]
    [DataRow("-b base.qcow2 -F qcow2", "16M")]
    [DataRow("-b base.raw -F raw", "")]
    [DataRow("-o backing_file=base.qcow2,backing_fmt=qcow2", "")]
    [DataRow("-b base.qcow2 -F qcow2 -o compat=0.10", "")]
    [DataRow("-b base.qcow2 -F qcow2 -o extended_l2=on,cluster_size=32k", "")]
    [DataRow("-b base.qcow2", "")] // backing format required
    [DataRow("-b nope.qcow2 -F qcow2", "")] // backing missing
    [DataRow("-b nope.qcow2 -F qcow2 -u", "1M")] // unsafe: not opened
    [DataRow("-b nope.qcow2 -F qcow2 -u", "")] // unsafe needs a size
    [DataRow("-b top.qcow2 -F qcow2", "1M")] // same file as backing
    [DataRow("-b base.qcow2 -F raw", "")] // wrong backing format: size of the raw view
    public void CreateWithBackingMatchesQemu(string backingArgs, string size)
    {
        using var d = new OracleDirs();
        d.QemuOkInBoth("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "base.qcow2", "64M");
        d.QemuOkInBoth("create", "-q", "-f", "raw", "base.raw", "3M");
        var args = new List<string> { "create", "-f", "qcow2" };
        args.AddRange(backingArgs.Split(' '));
        args.Add("top.qcow2");
        if (size.Length > 0) args.Add(size);

        var expected = ToolUnderTest.Qemu(d.Q, [.. args]);
        var actual = ToolUnderTest.Run(d.T, [.. args]);
        OracleAssert.SameOutcome(expected, actual);
        if (expected.ExitCode == 0)
            AssertSameImage(d, "top.qcow2", backingMayBeMissing: backingArgs.Contains("-u"));
    }

    [TestMethod]
    public void CreateInSubdirectoryResolvesBackingBesideTheNewImage()
    {
        using var d = new OracleDirs();
        foreach (var dir in new[] { d.Q, d.T }) Directory.CreateDirectory(Path.Combine(dir, "sub"));
        d.QemuOkInBoth("create", "-q", "-f", "qcow2", "sub/base.qcow2", "8M");
        string[] args = ["create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "sub/top.qcow2"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        AssertSameImage(d, "sub/top.qcow2");
    }

    [TestMethod]
    public void QuietCreatePrintsNothingAndOverwritesAnExistingFile()
    {
        using var d = new OracleDirs();
        // an existing image full of data is replaced by a fresh one
        d.QemuOkInBoth("create", "-q", "-f", "qcow2", "img.qcow2", "8M");
        ToolUnderTest.QemuIo(d.Q, "qcow2", "img.qcow2", "write -P 0x11 0 2M");
        ToolUnderTest.QemuIo(d.T, "qcow2", "img.qcow2", "write -P 0x11 0 2M");
        string[] args = ["create", "-q", "-f", "qcow2", "img.qcow2", "64M"];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);
        Assert.AreEqual("", actual.StdOut, "-q prints nothing");
        AssertSameImage(d, "img.qcow2");
    }

    /// <summary>
    /// info JSON (except actual-size), check JSON and map JSON of our image equal those of qemu-img's. An image whose
    /// backing file may be missing (create -u) is checked and mapped through --image-opts with backing= (none).
    /// Map is skipped above 4 TiB virtual size (qemu-img map walks every L2 slot and takes minutes there).
    /// </summary>
    internal static void AssertSameImage(OracleDirs d, string name, bool backingMayBeMissing = false)
    {
        string[] info = backingMayBeMissing
            ? ["info", "--output=json", "-U", name]
            : ["info", "--output=json", "--backing-chain", "-U", name];
        var qi = ToolUnderTest.QemuOk(d.Q, info);
        var ti = ToolUnderTest.Qemu(d.T, info);
        Assert.AreEqual(0, ti.ExitCode, $"qemu-img cannot read the image made by the tool under test\n{ti}");
        OracleAssert.JsonDataEqual(qi, ti.StdOut, "qemu-img info of the created image", "actual-size");

        var qInfo = System.Text.Json.Nodes.JsonNode.Parse(qi)!;
        var top = qInfo is System.Text.Json.Nodes.JsonArray arr ? arr[0]! : qInfo;
        string format = top["format"]!.GetValue<string>();
        long virtualSize = top["virtual-size"]!.GetValue<long>();
        string[] target = backingMayBeMissing
            ? ["-U", "--image-opts", $"driver={format},file.filename={name},backing="]
            : ["-U", name];
        if (format == "qcow2")
        {
            string[] check = ["check", "--output=json", .. target];
            var qc = ToolUnderTest.Qemu(d.Q, check);
            var tc = ToolUnderTest.Qemu(d.T, check);
            Assert.AreEqual(0, tc.ExitCode, $"qemu-img check of the created image is not clean\n{tc}");
            Assert.AreEqual(qc.ExitCode, tc.ExitCode);
            OracleAssert.JsonDataEqual(qc.StdOut, tc.StdOut, "qemu-img check of the created image");
        }
        if (virtualSize <= 4L << 40)
        {
            string[] map = ["map", "--output=json", .. target];
            var qm = ToolUnderTest.QemuOk(d.Q, map);
            var tm = ToolUnderTest.Qemu(d.T, map);
            Assert.AreEqual(0, tm.ExitCode, tm.ToString());
            if (format == "raw")
            {
                // allocation of a raw file is up to the host file system: compare what reads as data vs zero only
                AssertSameDataZero(qm, tm.StdOut);
            }
            else
            {
                OracleAssert.JsonDataEqual(qm, tm.StdOut, "qemu-img map of the created image");
            }
        }
    }

    private static void AssertSameDataZero(string expectedMap, string actualMap)
    {
        var e = MapExtent.DataRanges(MapExtent.Parse(expectedMap));
        var a = MapExtent.DataRanges(MapExtent.Parse(actualMap));
        CollectionAssert.AreEqual(e, a, $"data ranges of the raw image\nexpected:\n{expectedMap}\nactual:\n{actualMap}");
    }
}
