using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vmdk;

/// <summary>
/// `convert -O vmdk -o subformat=X` (with and without -c) against qemu-img: the same outcome, the same files and
/// bytes once the CID is masked (the grains allocated in the same order, the compressed grains of a streamOptimized
/// image byte for byte, the short last grain compressed as it is), and qemu-img finds ours clean and equal to the
/// source. Byte identity of compressed grains holds with --qemu-compression.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VmdkConvertOracleTests
{
    /// <summary>5 MiB and 7 sectors: data grains, a partial grain, zeros written as data, holes, incompressible data, a short last grain.</summary>
    private const long SourceSize = 5 * 1024 * 1024 + 7 * 512;

    private static void MakeSource(string dir)
    {
        string path = Path.Combine(dir, "src.raw");
        OracleFixtures.WriteSparseRaw(path, SourceSize, (0, 1 << 20), (2 << 20, 100_000), (SourceSize - 3000, 3000));
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.Position = 3 << 20;
        fs.Write(new byte[65536]); // zeros stored as data in the source
        var random = new byte[3 * 65536];
        new Random(7).NextBytes(random); // grains that compress to more than a grain
        fs.Position = 4 << 20;
        fs.Write(random);
    }

    [TestMethod]
    [DataRow("monolithicSparse", "")]
    [DataRow("monolithicSparse", "-c")]
    [DataRow("monolithicFlat", "")]
    [DataRow("monolithicFlat", "-c")] // qemu: invalid cluster size
    [DataRow("twoGbMaxExtentSparse", "")]
    [DataRow("twoGbMaxExtentSparse", "-c")]
    [DataRow("twoGbMaxExtentFlat", "")]
    [DataRow("streamOptimized", "")] // compressed without -c: qemu's needs_compressed_writes
    [DataRow("streamOptimized", "-c")]
    [DataRow("monolithicSparse,zeroed_grain=on", "")]
    [DataRow("streamOptimized,adapter_type=lsilogic,hwversion=14", "")]
    public void ConvertMatchesQemu(string subformat, string compress)
    {
        using var d = new OracleDirs();
        MakeSource(d.Root);
        string[] args = ["convert", .. compress.Length > 0 ? new[] { compress } : [], "-O", "vmdk", "-o", "subformat=" + subformat, "../src.raw", "a.vmdk"];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, ToolUnderTest.WithQemuCompression(args));
        OracleAssert.SameOutcome(expected, actual);
        if (expected.ExitCode != 0) return; // what a failed convert leaves behind is the device's (and the CLI's) concern
        VmdkOracleImages.AssertSameButCid(d.Q, d.T, string.Join(' ', args));
        Assert.AreEqual(0, ToolUnderTest.Qemu(d.T, "check", "a.vmdk").ExitCode, "qemu-img checks ours clean");
        var cmp = ToolUnderTest.Qemu(d.T, "compare", "-f", "raw", "-F", "vmdk", "../src.raw", "a.vmdk");
        Assert.AreEqual(0, cmp.ExitCode, $"qemu-img compare: {cmp}");
    }

    /// <summary>A copy-on-write overlay: grains the source shares with the base stay unallocated, new grains are filled from the base.</summary>
    [TestMethod]
    [DataRow("monolithicSparse")]
    [DataRow("twoGbMaxExtentSparse")]
    [DataRow("streamOptimized")] // each new grain is first filled from the base, whose bytes stay after the compressed data
    public void ConvertOntoABackingFileMatchesQemu(string subformat)
    {
        using var d = new OracleDirs();
        MakeSource(d.Root);
        ToolUnderTest.QemuOk(d.Root, "create", "-q", "-f", "vmdk", "base.vmdk", SourceSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ToolUnderTest.QemuIo(d.Root, "vmdk", "base.vmdk", "write -P 0x33 0 2M", "write -P 0x44 4M 64k");
        string[] args = ["convert", "-O", "vmdk", "-o", "subformat=" + subformat, "-B", "../base.vmdk", "-F", "vmdk", "../src.raw", "a.vmdk"];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, ToolUnderTest.WithQemuCompression(args));
        OracleAssert.SameOutcome(expected, actual);
        VmdkOracleImages.AssertSameButCid(d.Q, d.T, string.Join(' ', args));
        var cmp = ToolUnderTest.Qemu(d.T, "compare", "-f", "raw", "-F", "vmdk", "../src.raw", "a.vmdk");
        Assert.AreEqual(0, cmp.ExitCode, $"qemu-img compare: {cmp}");
    }

    /// <summary>convert -n into an existing streamOptimized image: the target asks for compressed writes, without -c.</summary>
    [TestMethod]
    public void ConvertIntoAnExistingStreamCompressesWithoutC()
    {
        using var d = new OracleDirs();
        MakeSource(d.Root);
        ToolUnderTest.QemuOk(d.Q, "create", "-q", "-f", "vmdk", "-o", "subformat=streamOptimized", "a.vmdk",
            SourceSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Copy(Path.Combine(d.Q, "a.vmdk"), Path.Combine(d.T, "a.vmdk"));
        string[] args = ["convert", "-n", "-O", "vmdk", "../src.raw", "a.vmdk"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, ToolUnderTest.WithQemuCompression(args)));
        VmdkOracleImages.AssertSameButCid(d.Q, d.T, string.Join(' ', args));
        Assert.AreEqual(0, ToolUnderTest.Qemu(d.T, "compare", "-f", "raw", "-F", "vmdk", "../src.raw", "a.vmdk").ExitCode);
    }

    /// <summary>Reading back: what we wrote converts to the same raw bytes in qemu-img and in the tool.</summary>
    [TestMethod]
    [DataRow("monolithicSparse")]
    [DataRow("streamOptimized")]
    [DataRow("twoGbMaxExtentFlat")]
    public void WhatWeWriteReadsTheSameInBoth(string subformat)
    {
        using var d = new OracleDirs();
        MakeSource(d.Root);
        ToolUnderTest.Run(d.Root, "convert", "-O", "vmdk", "-o", "subformat=" + subformat, "src.raw", "ours.vmdk");
        ToolUnderTest.QemuOk(d.Q, "convert", "-O", "raw", "../ours.vmdk", "back.raw");
        var back = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../ours.vmdk", "back.raw");
        Assert.AreEqual(0, back.ExitCode, back.ToString());
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Root, "src.raw"), Path.Combine(d.Q, "back.raw"), "qemu-img reads ours");
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Root, "src.raw"), Path.Combine(d.T, "back.raw"), "we read ours");
    }
}
