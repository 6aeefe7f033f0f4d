using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vmdk;

/// <summary>
/// VMDKs made by qemu-img itself (every subformat it creates, zeroed grains, backing chains through
/// parentFileNameHint) read by the tool exactly as qemu-img reads them: info, map, check, convert and compare.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VmdkQemuImageOracleTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(15);

    [TestMethod]
    [DataRow("subformat=monolithicSparse")]
    [DataRow("subformat=monolithicFlat")]
    [DataRow("subformat=twoGbMaxExtentSparse")]
    [DataRow("subformat=twoGbMaxExtentFlat")]
    [DataRow("subformat=monolithicSparse,zeroed_grain=on")]
    [DataRow("subformat=twoGbMaxExtentSparse,zeroed_grain=on")]
    [DataRow("subformat=monolithicSparse,compat6=on,adapter_type=lsilogic")]
    public void QemuMadeImageReadsAsInQemu(string options)
    {
        using var d = new OracleDirs();
        string img = d["img"];
        Directory.CreateDirectory(img);
        ToolUnderTest.QemuOk(img, "create", "-q", "-f", "vmdk", "-o", options, "disk.vmdk", "3M");
        ToolUnderTest.QemuIo(img, "vmdk", "disk.vmdk",
            "write -P 0x5a 0 100k", "write -P 0xa5 1M 64k", "write -z 2M 128k", "write -P 0x3c 2200k 1k");
        AssertSameEverywhere(d, "../img/disk.vmdk");
    }

    /// <summary>streamOptimized: qemu writes it by converting (compressed grains, in-place GD).</summary>
    [TestMethod]
    public void QemuStreamOptimizedReadsAsInQemu()
    {
        using var d = new OracleDirs();
        string img = d["img"];
        Directory.CreateDirectory(img);
        ToolUnderTest.QemuOk(img, "create", "-q", "-f", "raw", "src.raw", "4M");
        ToolUnderTest.QemuIo(img, "raw", "src.raw", "write -P 0x5a 0 100k", "write -P 0xa5 3M 64k");
        ToolUnderTest.QemuOk(img, "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", "src.raw", "disk.vmdk");
        AssertSameEverywhere(d, "../img/disk.vmdk");
    }

    /// <summary>An overlay on a VMDK base (qemu: parentFileNameHint, parentCID = the base's CID): read through to the base.</summary>
    [TestMethod]
    [DataRow("subformat=monolithicSparse")]
    [DataRow("subformat=twoGbMaxExtentSparse")]
    public void BackingChainReadsAsInQemu(string options)
    {
        using var d = new OracleDirs();
        string img = MakeChain(d, options);
        AssertSameEverywhere(d, "../img/overlay.vmdk");
        foreach (var args in new[] { new[] { "info", "--backing-chain", "../img/overlay.vmdk" }, ["compare", "../img/base.vmdk", "../img/overlay.vmdk"] })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        Assert.IsTrue(File.Exists(Path.Combine(img, "overlay.vmdk")));
    }

    /// <summary>
    /// The base written after the overlay was made has a new CID: qemu's vmdk_is_cid_valid then fails every read that
    /// reaches the base ("Invalid argument"), while reads the overlay answers itself still work.
    /// </summary>
    [TestMethod]
    public void AParentWithAnotherCidFailsReadsThroughItAsInQemu()
    {
        using var d = new OracleDirs();
        string img = MakeChain(d, "subformat=monolithicSparse");
        ToolUnderTest.QemuIo(img, "vmdk", "base.vmdk", "write -P 0x77 512k 64k");
        var expected = ToolUnderTest.Qemu(d.Q, "convert", "-O", "raw", "../img/overlay.vmdk", "out.raw");
        var actual = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../img/overlay.vmdk", "out.raw");
        OracleAssert.NoCrash(actual);
        Assert.AreEqual(1, expected.ExitCode, $"fixture: qemu-img fails\n{expected}");
        Assert.AreEqual(expected.ExitCode, actual.ExitCode, actual.ToString());
        // qemu-img's parallel convert may report the failure once per request in flight: the first line is the same
        Assert.AreEqual(expected.NormalizedStdErr.Split('\n')[0], actual.NormalizedStdErr.TrimEnd('\n'), actual.ToString());
        foreach (var args in new[] { new[] { "info", "../img/overlay.vmdk" }, ["map", "--output=json", "../img/overlay.vmdk"], ["check", "../img/overlay.vmdk"] })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }

    /// <summary>
    /// An overlay whose parentFileNameHint names itself: qemu-img 7.2 recurses until it runs out of memory; the tool
    /// refuses the loop at once with one line (info without the chain still works, as in qemu).
    /// </summary>
    [TestMethod]
    public void AParentLoopIsRefusedAtOnce()
    {
        using var d = new OracleDirs();
        string img = MakeChain(d, "subformat=monolithicSparse");
        byte[] bytes = File.ReadAllBytes(Path.Combine(img, "overlay.vmdk"));
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        int at = text.IndexOf("parentFileNameHint=\"base.vmdk\"", StringComparison.Ordinal);
        Assert.IsTrue(at > 0, "fixture: qemu wrote the parent hint");
        System.Text.Encoding.Latin1.GetBytes("parentFileNameHint=\"loop.vmdk\"").CopyTo(bytes, at);
        File.WriteAllBytes(Path.Combine(img, "loop.vmdk"), bytes);
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, "info", "../img/loop.vmdk"), ToolUnderTest.Run(d.T, "info", "../img/loop.vmdk"));
        var r = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../img/loop.vmdk", "out.raw");
        OracleAssert.NoCrash(r);
        Assert.IsTrue(r.Elapsed < Quick, r.ToString());
        Assert.AreEqual(1, r.ExitCode, r.ToString());
        Assert.AreEqual("qemu-img: Could not open '../img/loop.vmdk': Backing file '../img/loop.vmdk' creates an infinite loop.\n", r.NormalizedStdErr);
    }

    /// <summary>qemu's vmdk has no bdrv_change_backing_file: rebase -u of a VMDK overlay is refused with qemu's message.</summary>
    [TestMethod]
    public void RebaseIsRefusedAsInQemu()
    {
        using var d = new OracleDirs();
        MakeChain(d, "subformat=monolithicSparse");
        foreach (string twin in new[] { d.Q, d.T })
            CopyChain(d["img"], twin);
        string[] args = ["rebase", "-u", "-b", "other.vmdk", "-F", "vmdk", "overlay.vmdk"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "overlay.vmdk"), Path.Combine(d.T, "overlay.vmdk"), "overlay left as it was");
    }

    /// <summary>
    /// commit of a qcow2 overlay into a monolithicFlat VMDK base: the same flat data as qemu's, and the base's
    /// descriptor rewritten in place with a new CID (the rest byte for byte).
    /// </summary>
    [TestMethod]
    public void CommitIntoAVmdkBaseAsInQemu()
    {
        using var d = new OracleDirs();
        foreach (string twin in new[] { d.Q, d.T })
        {
            ToolUnderTest.QemuOk(twin, "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", "base.vmdk", "2M");
            ToolUnderTest.QemuIo(twin, "vmdk", "base.vmdk", "write -P 0x11 0 1M");
            ToolUnderTest.QemuOk(twin, "create", "-q", "-f", "qcow2", "-b", "base.vmdk", "-F", "vmdk", "ov.qcow2");
            ToolUnderTest.QemuIo(twin, "qcow2", "ov.qcow2", "write -P 0x22 512k 1M");
        }
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, "commit", "ov.qcow2"), ToolUnderTest.Run(d.T, "commit", "ov.qcow2"));
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "base-flat.vmdk"), Path.Combine(d.T, "base-flat.vmdk"), "committed data");
        // the descriptor as qemu reads it, up to its NUL: a new CID with fewer hex digits than the old leaves the
        // file's old last byte behind that NUL (qemu's CID is random, so this happens on about one run in sixteen)
        static string Masked(string path)
        {
            string text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(path));
            int nul = text.IndexOf('\0');
            return System.Text.RegularExpressions.Regex.Replace(nul < 0 ? text : text[..nul], "\nCID=[0-9a-f]+\n", "\nCID=X\n");
        }
        Assert.AreEqual(Masked(Path.Combine(d.Q, "base.vmdk")), Masked(Path.Combine(d.T, "base.vmdk")), "descriptor, CID masked");
    }

    /// <summary>
    /// A sparse file of capacity 0 whose embedded descriptor names the extents (qemu's vmdk_open_vmdk4 hands it to
    /// vmdk_open_desc_file): read as qemu reads it. One that names itself makes qemu-img 7.2 recurse until it crashes;
    /// the tool stops at a nesting limit with one line.
    /// </summary>
    [TestMethod]
    public void DescriptorsEmbeddedInEmptySparseFilesAreFollowed()
    {
        using var d = new OracleDirs();
        string img = d["img"];
        Directory.CreateDirectory(img);
        ToolUnderTest.QemuOk(img, "create", "-q", "-f", "raw", "f1.raw", "1M");
        ToolUnderTest.QemuIo(img, "raw", "f1.raw", "write -P 0x61 0 1M");
        ToolUnderTest.QemuOk(img, "create", "-q", "-f", "vmdk", "s.vmdk", "1M");
        byte[] sparse = File.ReadAllBytes(Path.Combine(img, "s.vmdk"));
        File.WriteAllBytes(Path.Combine(img, "nested.vmdk"), WithEmbedded(sparse, "monolithicFlat", "RW 2048 FLAT \"f1.raw\" 0"));
        File.WriteAllBytes(Path.Combine(img, "self.vmdk"), WithEmbedded(sparse, "twoGbMaxExtentSparse", "RW 2048 SPARSE \"self.vmdk\""));
        foreach (var args in new[] { new[] { "info", "../img/nested.vmdk" }, ["info", "--output=json", "../img/nested.vmdk"], ["map", "../img/nested.vmdk"] })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        string[] convert = ["convert", "-O", "raw", "../img/nested.vmdk", "out.raw"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, convert), ToolUnderTest.Run(d.T, convert));
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), "nested descriptor");
        var r = ToolUnderTest.Run(d.T, "info", "../img/self.vmdk");
        OracleAssert.NoCrash(r);
        Assert.IsTrue(r.Elapsed < Quick, r.ToString());
        Assert.AreEqual(1, r.ExitCode, r.ToString());
        StringAssert.Contains(r.NormalizedStdErr, "descriptors embedded in sparse extents nest more than");
    }

    /// <summary>
    /// A grain table entry, or a grain directory entry, naming a sector far past the end of the file: qemu reads
    /// zeros there (a grain of zeros; a table of unallocated entries) and check stops at the grain ("points after
    /// EOF"): the tool does the same, quickly.
    /// </summary>
    [TestMethod]
    [DataRow("grain")]
    [DataRow("table")]
    public void TablesAndGrainsPastTheEndOfTheFileAsInQemu(string which)
    {
        using var d = new OracleDirs();
        string img = d["img"];
        Directory.CreateDirectory(img);
        ToolUnderTest.QemuOk(img, "create", "-q", "-f", "vmdk", "s.vmdk", "1M");
        ToolUnderTest.QemuIo(img, "vmdk", "s.vmdk", "write -P 0x11 0 128k");
        byte[] bytes = File.ReadAllBytes(Path.Combine(img, "s.vmdk"));
        long gd = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(56)) * 512; // SparseExtentHeader.gdOffset
        long gt = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)gd)) * 512;
        int at = which == "grain" ? (int)gt + 4 : (int)gd; // the second grain's GTE, or the first GT's GDE
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 0x7fffff00);
        File.WriteAllBytes(Path.Combine(img, "bad.vmdk"), bytes);
        AssertSameEverywhere(d, "../img/bad.vmdk", quick: true);
    }

    /// <summary>A qemu-made sparse file with capacity 0 and the given descriptor at sector 1 (where its desc_offset points).</summary>
    private static byte[] WithEmbedded(byte[] sparse, string createType, string extentLine)
    {
        byte[] copy = (byte[])sparse.Clone();
        Array.Clear(copy, 12, 8); // SparseExtentHeader.capacity
        string text = $"# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"{createType}\"\n\n{extentLine}\n\0";
        System.Text.Encoding.ASCII.GetBytes(text).CopyTo(copy, 512);
        return copy;
    }

    /// <summary>img/base.vmdk (3 MiB, data at 0 and 1 MiB) and img/overlay.vmdk on it (data at 64 KiB and 2 MiB).</summary>
    private static string MakeChain(OracleDirs d, string options)
    {
        string img = d["img"];
        Directory.CreateDirectory(img);
        ToolUnderTest.QemuOk(img, "create", "-q", "-f", "vmdk", "-o", options, "base.vmdk", "3M");
        ToolUnderTest.QemuIo(img, "vmdk", "base.vmdk", "write -P 0x11 0 256k", "write -P 0x22 1M 64k");
        ToolUnderTest.QemuOk(img, "create", "-q", "-f", "vmdk", "-o", options, "-b", "base.vmdk", "-F", "vmdk", "overlay.vmdk");
        ToolUnderTest.QemuIo(img, "vmdk", "overlay.vmdk", "write -P 0x33 64k 64k", "write -P 0x44 2M 4k");
        return img;
    }

    private static void CopyChain(string from, string to)
    {
        foreach (string f in Directory.GetFiles(from))
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    private static void AssertSameEverywhere(OracleDirs d, string disk, bool quick = false)
    {
        foreach (var args in new[]
        {
            new[] { "info", disk }, ["info", "--output=json", disk], ["convert", "-O", "raw", disk, "out.raw"],
            ["map", disk], ["map", "--output=json", disk], ["check", disk], ["check", "--output=json", disk],
            ["compare", "-f", "vmdk", "-F", "raw", disk, "out.raw"],
        })
        {
            var expected = ToolUnderTest.Qemu(d.Q, args);
            var actual = ToolUnderTest.Run(d.T, args);
            OracleAssert.SameOutcome(expected, actual);
            Assert.IsTrue(!quick || actual.Elapsed < Quick, $"too slow\n{actual}");
            if (args[0] == "convert")
            {
                Assert.AreEqual(0, expected.ExitCode, $"fixture: qemu-img converts\n{expected}");
                OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"convert of {disk}");
            }
        }
    }
}
