using System.Buffers.Binary;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// qemu-img snapshot and convert/measure -l through imagebuild's command line, against qemu-img: images we change
/// are byte-identical to qemu's (apart from the creation dates), pass qemu-img check, and qemu reads them back.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class SnapshotTests
{
    private static (int Rc, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = Program.Run(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    private static void Ok(params string[] args)
    {
        var r = Run(args);
        Assert.AreEqual(0, r.Rc, $"imagebuild {string.Join(' ', args)}: {r.Err}");
    }

    private static void AssertClean(string image)
    {
        var r = QemuOracle.Img("check", image);
        Assert.AreEqual(0, r.ExitCode, r.StdOut + r.StdErr);
        StringAssert.Contains(r.StdOut, "No errors were found on the image.");
        Assert.IsFalse(r.StdOut.Contains("leaked", StringComparison.Ordinal), r.StdOut);
    }

    /// <summary>A qcow2 image with plain, compressed and (v3) zero clusters.</summary>
    private static void MakeImage(string path, string options)
    {
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", options, path, "8M");
        QemuOracle.IoOk("-c", "write -P 0x11 0 1M", "-c", "write -c -P 0x22 2M 128k", "-c", "write -P 0x66 5M 4k", path);
    }

    /// <summary>Offsets of the date fields (date_sec, date_nsec) of every snapshot table entry.</summary>
    private static List<long> DateFieldOffsets(byte[] image)
    {
        uint count = BinaryPrimitives.ReadUInt32BigEndian(image.AsSpan(60));
        long offset = (long)BinaryPrimitives.ReadUInt64BigEndian(image.AsSpan(64));
        var list = new List<long>();
        for (uint i = 0; i < count; i++)
        {
            var h = image.AsSpan((int)offset);
            list.Add(offset + 16);
            long size = 40 + BinaryPrimitives.ReadUInt32BigEndian(h[36..]) + BinaryPrimitives.ReadUInt16BigEndian(h[12..]) + BinaryPrimitives.ReadUInt16BigEndian(h[14..]);
            offset += (size + 7) & ~7L;
        }
        return list;
    }

    /// <summary>The two files are identical except, at most, in the snapshot creation dates.</summary>
    private static void AssertSameExceptDates(string expected, string actual)
    {
        byte[] a = File.ReadAllBytes(expected), b = File.ReadAllBytes(actual);
        Assert.AreEqual(a.Length, b.Length, "file length");
        foreach (long d in DateFieldOffsets(a))
            Array.Copy(a, d, b, d, 8);
        int first = Enumerable.Range(0, a.Length).FirstOrDefault(i => a[i] != b[i], -1);
        Assert.AreEqual(-1, first, $"first differing byte at offset {first:#x}");
    }

    private static void AssertSame(string expected, string actual) =>
        Assert.IsTrue(File.ReadAllBytes(expected).AsSpan().SequenceEqual(File.ReadAllBytes(actual)), $"{actual} differs from {expected}");

    [TestMethod]
    [DataRow("compat=0.10")]
    [DataRow("compat=1.1")]
    [DataRow("compat=1.1,lazy_refcounts=on")]
    [DataRow("extended_l2=on,cluster_size=128k")]
    [DataRow("refcount_bits=64,cluster_size=4k")]
    [DataRow("compression_type=zstd,cluster_size=512")]
    public void CreateApplyDeleteWriteWhatQemuWrites(string options)
    {
        using var tmp = new TempDir();
        string q = tmp["q.qcow2"], i = tmp["i.qcow2"];
        MakeImage(q, options);
        File.Copy(q, i);

        // Create: ours next to qemu's, twice with guest writes in between.
        QemuOracle.ImgOk("snapshot", "-c", "s1", q);
        Ok("snapshot", "-c", "s1", i);
        AssertSameExceptDates(q, i);
        AssertClean(i);
        QemuOracle.IoOk("-c", "write -P 0x33 64k 128k", "-c", "write -P 0x44 3M 64k", "-c", "write -P 0x55 2M 4k", q);
        File.Copy(q, i, overwrite: true);
        QemuOracle.ImgOk("snapshot", "-c", "s2", q);
        Ok("snapshot", "-c", "s2", i);
        AssertSameExceptDates(q, i);
        AssertClean(i);
        QemuOracle.IoOk("-c", "write -P 0x77 0 64k", q);

        // Apply and delete qemu's snapshots: the very bytes qemu leaves.
        File.Copy(q, i, overwrite: true);
        QemuOracle.ImgOk("snapshot", "-a", "s1", q);
        Ok("snapshot", "-a", "s1", i);
        AssertSame(q, i);
        AssertClean(i);
        QemuOracle.ImgOk("snapshot", "-d", "s2", q);
        Ok("snapshot", "-d", "s2", i);
        AssertSame(q, i);
        AssertClean(i);
        QemuOracle.ImgOk("snapshot", "-a", "1", q);
        Ok("snapshot", "-a", "1", i);
        AssertSame(q, i);
        QemuOracle.ImgOk("snapshot", "-d", "s1", q);
        Ok("snapshot", "-d", "s1", i);
        AssertSame(q, i);
        AssertClean(i);
        StringAssert.Contains(QemuOracle.ImgOk("info", i), "virtual size: 8 MiB");
    }

    [TestMethod]
    public void QemuRevertsToOurSnapshot()
    {
        using var tmp = new TempDir();
        string img = tmp["a.qcow2"];
        MakeImage(img, "compat=1.1");
        QemuOracle.ImgOk("convert", "-O", "raw", img, tmp["orig.raw"]);
        Ok("snapshot", "-c", "before", img);
        StringAssert.Contains(QemuOracle.ImgOk("snapshot", "-l", img), "1         before ");
        QemuOracle.IoOk("-c", "write -P 0x99 0 3M", "-c", "write -z 5M 64k", img);
        AssertClean(img);
        QemuOracle.ImgOk("snapshot", "-a", "before", img);
        StringAssert.Contains(QemuOracle.ImgOk("compare", "-f", "raw", "-F", "qcow2", tmp["orig.raw"], img), "Images are identical.");
        QemuOracle.ImgOk("snapshot", "-d", "before", img);
        AssertClean(img);
    }

    [TestMethod]
    [DataRow("compat=0.10")]
    [DataRow("compat=1.1")]
    public void WritesAfterOurSnapshotCopyOnWrite(string options)
    {
        using var tmp = new TempDir();
        string img = tmp["a.qcow2"];
        MakeImage(img, options);
        QemuOracle.ImgOk("convert", "-O", "raw", img, tmp["orig.raw"]);
        Ok("snapshot", "-c", "s1", img);

        // Overwrite the whole guest (data, compressed cluster, zeros) through our own write path.
        var pattern = new byte[8 << 20];
        pattern.AsSpan(0, 512 << 10).Fill(0x77);
        pattern.AsSpan(2 << 20, 3 << 20).Fill(0x78);
        File.WriteAllBytes(tmp["new.raw"], pattern);
        Ok("convert", "-n", "-f", "raw", "-O", "qcow2", tmp["new.raw"], img);
        AssertClean(img);

        StringAssert.Contains(QemuOracle.ImgOk("compare", "-f", "raw", "-F", "qcow2", tmp["new.raw"], img), "Images are identical.");
        QemuOracle.ImgOk("convert", "-l", "s1", "-O", "raw", img, tmp["s1.raw"]);
        AssertSame(tmp["orig.raw"], tmp["s1.raw"]);

        Ok("snapshot", "-a", "s1", img);
        StringAssert.Contains(QemuOracle.ImgOk("compare", "-f", "raw", "-F", "qcow2", tmp["orig.raw"], img), "Images are identical.");
        Ok("snapshot", "-d", "s1", img);
        AssertClean(img);
    }

    [TestMethod]
    public void RevertChangesTheSizeAsQemuDoes()
    {
        using var tmp = new TempDir();
        string q = tmp["q.qcow2"], i = tmp["i.qcow2"];
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", q, "4M");
        QemuOracle.IoOk("-c", "write -P 0x11 0 1M", q);
        QemuOracle.ImgOk("snapshot", "-c", "small", q);
        QemuOracle.ImgOk("resize", "-q", q, "600M");
        QemuOracle.IoOk("-c", "write -P 0x44 590M 64k", q);
        QemuOracle.ImgOk("snapshot", "-c", "big", q);
        QemuOracle.ImgOk("resize", "-q", "--shrink", q, "2M");
        File.Copy(q, i);
        foreach (string name in new[] { "small", "big" })
        {
            QemuOracle.ImgOk("snapshot", "-a", name, q);
            Ok("snapshot", "-a", name, i);
            AssertSame(q, i);
            AssertClean(i);
        }
        StringAssert.Contains(QemuOracle.ImgOk("info", i), "virtual size: 600 MiB");
    }

    [TestMethod]
    public void ListAndInfoPrintQemusTable()
    {
        using var tmp = new TempDir();
        string img = tmp["a.qcow2"];
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", img, "1M");
        Assert.AreEqual((0, "", ""), Run("snapshot", "-l", img));
        foreach (string name in new[] { new string('n', 300), "", "dup", "dup", "é😀", "x" })
            QemuOracle.ImgOk("snapshot", "-c", name, img);
        QemuOracle.ImgOk("snapshot", "-d", "dup", img);
        Assert.AreEqual((0, QemuOracle.ImgOk("snapshot", "-l", img), ""), Run("snapshot", "-l", img));
        Assert.AreEqual((0, QemuOracle.ImgOk("snapshot", "-U", "-q", "-l", img), ""), Run("snapshot", "-U", "-q", "-l", img));
        Assert.AreEqual(QemuOracle.ImgOk("info", img), Run("info", img).Out);
    }

    [TestMethod]
    public void IdsNamesAndDuplicatesFollowQemu()
    {
        using var tmp = new TempDir();
        string q = tmp["q.qcow2"], i = tmp["i.qcow2"];
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", q, "1M");
        File.Copy(q, i);
        foreach (var (tool, img) in new[] { ("qemu", q), ("ours", i) })
        {
            foreach (string[] args in new[] { new[] { "-c", "a" }, ["-c", "a"], ["-c", new string('L', 300)], ["-d", "a"], ["-c", ""], ["-c", "b"] })
            {
                string[] full = ["snapshot", .. args, img];
                if (tool == "qemu") QemuOracle.ImgOk(full);
                else Ok(full);
            }
        }
        AssertSameExceptDates(q, i);
        string Strip(string s) => System.Text.RegularExpressions.Regex.Replace(s, @"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "DATE");
        Assert.AreEqual(Strip(QemuOracle.ImgOk("snapshot", "-l", q)), Strip(Run("snapshot", "-l", i).Out));
    }

    [TestMethod]
    [DataRow("s1")]
    [DataRow("1")]
    [DataRow("2")]
    [DataRow("snapshot.id=1")]
    [DataRow("snapshot.name=s2")]
    [DataRow("snapshot.id=2,snapshot.name=s2")]
    public void ConvertAndMeasureReadTheSnapshotAsQemuDoes(string param)
    {
        using var tmp = new TempDir();
        string img = tmp["a.qcow2"];
        // Whole-cluster writes: convert into qcow2 of partly written clusters differs from qemu in its zero
        // detection (qemu aligns sparse runs to the target cluster), which is not what this test is about.
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", img, "8M");
        QemuOracle.IoOk("-c", "write -P 0x11 0 1M", "-c", "write -c -P 0x22 2M 128k", "-c", "write -P 0x66 5M 64k", img);
        Ok("snapshot", "-c", "s1", img);
        QemuOracle.IoOk("-c", "write -P 0x33 1M 2M", "-c", "write -z 0 64k", img);
        Ok("snapshot", "-c", "s2", img);
        QemuOracle.IoOk("-c", "write -P 0x44 0 8M", img);
        foreach (string fmt in new[] { "raw", "qcow2" })
        {
            QemuOracle.ImgOk("convert", "-l", param, "-O", fmt, img, tmp["q." + fmt]);
            Ok("convert", "-l", param, "-O", fmt, img, tmp["i." + fmt]);
            AssertSame(tmp["q." + fmt], tmp["i." + fmt]);
        }
        Assert.AreEqual((0, QemuOracle.ImgOk("measure", "-l", param, "-O", "qcow2", img), ""), Run("measure", "-l", param, "-O", "qcow2", img));
    }

    [TestMethod]
    [DataRow("snapshot", "-a", "nope", "a.qcow2")]
    [DataRow("snapshot", "-d", "nope", "a.qcow2")]
    [DataRow("snapshot", "-d", "1", "a.qcow2")]
    [DataRow("snapshot", "a.qcow2")]
    [DataRow("snapshot", "-l", "-c", "x", "a.qcow2")]
    [DataRow("snapshot")]
    [DataRow("snapshot", "-c")]
    [DataRow("snapshot", "-c", "x", "a.qcow2", "b")]
    [DataRow("snapshot", "-c", "x", "r.raw")]
    [DataRow("snapshot", "-l", "r.raw")]
    [DataRow("snapshot", "-a", "x", "r.raw")]
    [DataRow("snapshot", "-d", "x", "r.raw")]
    [DataRow("snapshot", "-c", "x", "nofile")]
    [DataRow("snapshot", "-f", "qcow2", "-l", "a.qcow2")]
    [DataRow("snapshot", "--list", "a.qcow2")]
    [DataRow("snapshot", "-U", "-c", "x", "a.qcow2")]
    [DataRow("snapshot", "-c", "x", "one.qcow2")]
    [DataRow("snapshot", "-c", "x", "df.qcow2")]
    [DataRow("convert", "-s", "s1", "a.qcow2", "o.raw")]
    [DataRow("convert", "-l", "nope", "a.qcow2", "o.raw")]
    [DataRow("convert", "-l", "snapshot.id=1,snapshot.name=other", "a.qcow2", "o.raw")]
    [DataRow("convert", "-l", "snapshot.foo=1", "a.qcow2", "o.raw")]
    [DataRow("convert", "-l", "s1", "a.qcow2", "a.qcow2", "o.raw")]
    [DataRow("convert", "-f", "raw", "-l", "1", "r.raw", "o.raw")]
    [DataRow("measure", "-l", "nope", "-O", "qcow2", "a.qcow2")]
    [DataRow("measure", "-l", "snapshot.x", "-O", "qcow2", "a.qcow2")]
    [DataRow("convert", "-l", "snapshot.id,snapshot.name=s1", "a.qcow2", "o.raw")]
    [DataRow("convert", "-l", "snapshot.name=s1,", "a.qcow2", "o.raw")]
    public void ErrorsAreQemus(params string[] args)
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["a.qcow2"], "4M");
        QemuOracle.ImgOk("snapshot", "-c", "s1", tmp["a.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["r.raw"], "1M");
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-o", "refcount_bits=1", tmp["one.qcow2"], "1M");
        QemuOracle.IoOk("-c", "write 0 64k", tmp["one.qcow2"]);
        Assert.AreEqual(0, QemuOracle.Run(QemuOracle.QemuImg, ["create", "-q", "-f", "qcow2", "-o", "data_file=d.raw", "df.qcow2", "1M"], tmp.Path).ExitCode);
        string[] files = ["a.qcow2", "r.raw", "one.qcow2", "df.qcow2", "d.raw"];

        TwinImages.Run(tmp, files, args);
        foreach (var f in files)
            AssertSame(Path.Combine(tmp["q"], f), Path.Combine(tmp["i"], f));
    }
}
