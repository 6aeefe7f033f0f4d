using System.Buffers.Binary;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vmdk;

/// <summary>
/// ImageBuild's create option stream_layout=vmware (not in qemu-img): a streamOptimized VMDK in VMware's own layout
/// (GD_AT_END in the header, grains behind markers, GT and GD markers, footer, end-of-stream marker). qemu-img reads
/// it as the source it came from and finds it clean; imagebuild reads it back the same. Against qemu-img itself
/// (IMAGEBUILD_EXE=qemu-img) there is nothing to compare: the option is ours.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VmdkStreamLayoutOracleTests
{
    private const string Vmware = "subformat=streamOptimized,stream_layout=vmware";

    /// <summary>5 MiB and 7 sectors: data, zeros stored as data, holes, incompressible grains, a short last grain.</summary>
    private const long SourceSize = 5 * 1024 * 1024 + 7 * 512;

    /// <summary>Not a whole number of grains (3 MiB and 5 sectors), with data in the short last grain.</summary>
    private const long OddSize = (3L << 20) + 2560;

    private static string MakeSource(string dir, long size)
    {
        string path = Path.Combine(dir, "src.raw");
        OracleFixtures.WriteSparseRaw(path, size, (0, 1 << 20), (2 << 20, 100_000), (size - 3000, 3000));
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.Position = 1 << 20;
        fs.Write(new byte[65536]); // zeros stored as data: VMware leaves such grains out
        if (size > (4 << 20) + 3 * 65536)
        {
            var random = new byte[3 * 65536];
            new Random(7).NextBytes(random); // grains that compress to more than a grain
            fs.Position = 4 << 20;
            fs.Write(random);
        }
        return path;
    }

    /// <summary>The stream's frame as VMware writes it: GD_AT_END first, then footer marker, footer, EOS at the end.</summary>
    private static void AssertVmwareFrame(string path)
    {
        byte[] image = File.ReadAllBytes(path);
        Assert.AreEqual(0, image.Length % 512, "whole sectors");
        Assert.AreEqual(ulong.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(56)), "header gdOffset GD_AT_END");
        Assert.AreEqual(0x30001u, BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(8)), "flags: newline test, compressed, markers; no redundant GD");
        var footerMarker = image.AsSpan(image.Length - 1536, 512);
        Assert.AreEqual(1UL, BinaryPrimitives.ReadUInt64LittleEndian(footerMarker), "footer marker numSectors");
        Assert.AreEqual(3u, BinaryPrimitives.ReadUInt32LittleEndian(footerMarker[12..]), "MARKER_FOOTER");
        var footer = image.AsSpan(image.Length - 1024, 512);
        Assert.IsTrue(footer[..4].SequenceEqual("KDMV"u8), "footer magic");
        ulong gd = BinaryPrimitives.ReadUInt64LittleEndian(footer[56..]);
        Assert.IsTrue(gd >= 129 && gd * 512 < (ulong)image.Length - 1536, $"footer gdOffset {gd}");
        var gdMarker = image.AsSpan((int)(gd - 1) * 512, 512);
        Assert.AreEqual(2u, BinaryPrimitives.ReadUInt32LittleEndian(gdMarker[12..]), "MARKER_GD before the directory");
        Assert.IsFalse(image.AsSpan(image.Length - 512).ContainsAnyExcept((byte)0), "end-of-stream marker");
    }

    /// <summary>qemu-img finds ours clean, reads it as the source, and so does imagebuild.</summary>
    private static void AssertReadsAsSource(string dir, string source, string image)
    {
        var check = ToolUnderTest.Qemu(dir, "check", image);
        Assert.AreEqual(0, check.ExitCode, $"qemu-img check: {check}");
        var cmp = ToolUnderTest.Qemu(dir, "compare", "-f", "raw", "-F", "vmdk", source, image);
        Assert.AreEqual(0, cmp.ExitCode, $"qemu-img compare: {cmp}");
        ToolUnderTest.QemuOk(dir, "convert", "-f", "vmdk", "-O", "raw", image, "by-qemu.raw");
        var ours = ToolUnderTest.Run(dir, "convert", "-f", "vmdk", "-O", "raw", image, "by-us.raw");
        Assert.AreEqual(0, ours.ExitCode, ours.ToString());
        OracleFixtures.AssertFilesEqual(Path.Combine(dir, "by-qemu.raw"), Path.Combine(dir, "by-us.raw"), "imagebuild reads it as qemu-img does");
    }

    [TestMethod]
    [DataRow(SourceSize, "")]
    [DataRow(SourceSize, "-c")]
    [DataRow(OddSize, "")]
    public void ConvertWritesAStreamQemuReadsAsTheSource(long size, string compress)
    {
        if (ToolUnderTest.IsQemu) return; // ImageBuild's own option
        using var d = new OracleDirs();
        string src = MakeSource(d.Root, size);
        string[] args = ["convert", .. compress.Length > 0 ? new[] { compress } : [], "-O", "vmdk", "-o", Vmware, src, "a.vmdk"];
        var r = ToolUnderTest.Run(d.T, args);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        string image = Path.Combine(d.T, "a.vmdk");
        AssertVmwareFrame(image);
        AssertReadsAsSource(d.T, src, "a.vmdk");
        using (var map = System.Text.Json.JsonDocument.Parse(ToolUnderTest.QemuOk(d.T, "map", "--output=json", "a.vmdk")))
        {
            var at1M = map.RootElement.EnumerateArray().Single(e =>
                e.GetProperty("start").GetInt64() <= 1 << 20 && e.GetProperty("start").GetInt64() + e.GetProperty("length").GetInt64() > 1 << 20);
            Assert.IsFalse(at1M.GetProperty("data").GetBoolean(), $"the zero grain at 1 MiB is left out: {at1M}");
        }
        // smaller than qemu's own stream of the same source: no preallocated tables, no zero grains
        ToolUnderTest.QemuOk(d.Q, "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", src, "q.vmdk");
        Assert.IsTrue(new FileInfo(image).Length < new FileInfo(Path.Combine(d.Q, "q.vmdk")).Length, "smaller than qemu's stream");
    }

    [TestMethod]
    [DataRow("10M", 10L << 20)]
    [DataRow("1000", 1024L)] // rounded up to a sector, as qemu does
    [DataRow("5G", 5L << 30)]
    public void AnEmptyStreamIsComplete(string size, long bytes)
    {
        if (ToolUnderTest.IsQemu) return;
        using var d = new OracleDirs();
        var r = ToolUnderTest.Run(d.T, "create", "-q", "-f", "vmdk", "-o", Vmware, "e.vmdk", size);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        string image = Path.Combine(d.T, "e.vmdk");
        AssertVmwareFrame(image);
        using (var info = System.Text.Json.JsonDocument.Parse(ToolUnderTest.QemuOk(d.T, "info", "--output=json", "e.vmdk")))
            Assert.AreEqual(bytes, info.RootElement.GetProperty("virtual-size").GetInt64(), "virtual size");
        // header, descriptor and the rest of overHead (128 sectors), GD marker, directory, footer marker, footer, EOS
        long gdSectors = ((bytes / 512 + 65535) / 65536 * 4 + 511) / 512;
        Assert.AreEqual((128 + 1 + gdSectors + 3) * 512, new FileInfo(image).Length, "nothing but the frame");
        File.WriteAllBytes(Path.Combine(d.T, "zeros.raw"), []);
        using (var z = new FileStream(Path.Combine(d.T, "zeros.raw"), FileMode.Open)) z.SetLength(bytes);
        AssertReadsAsSource(d.T, "zeros.raw", "e.vmdk");
    }

    /// <summary>convert -n into an empty VMware-layout stream: the trailer is cut off, grains appended, the trailer written again.</summary>
    [TestMethod]
    public void ConvertIntoAnEmptyVmwareStreamAppends()
    {
        if (ToolUnderTest.IsQemu) return;
        using var d = new OracleDirs();
        string src = MakeSource(d.Root, SourceSize);
        var r = ToolUnderTest.Run(d.T, "create", "-q", "-f", "vmdk", "-o", Vmware, "a.vmdk", SourceSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        r = ToolUnderTest.Run(d.T, "convert", "-n", "-f", "raw", "-O", "vmdk", src, "a.vmdk");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        AssertVmwareFrame(Path.Combine(d.T, "a.vmdk"));
        AssertReadsAsSource(d.T, src, "a.vmdk");
    }

    [TestMethod]
    [DataRow("stream_layout=vmware", "stream_layout is only valid with subformat=streamOptimized, not monolithicSparse")]
    [DataRow("subformat=monolithicFlat,stream_layout=qemu", "stream_layout is only valid with subformat=streamOptimized, not monolithicFlat")]
    [DataRow("subformat=streamOptimized,stream_layout=VMware", "invalid parameter value: VMware")]
    [DataRow("subformat=streamOptimized,stream_layout=", "invalid parameter value: ")]
    [DataRow(Vmware + ",zeroed_grain=on", "VMware stream layout can't enable zeroed grain")]
    [DataRow(Vmware + ",backing_file=base.vmdk,backing_fmt=vmdk", "VMware stream layout can't have backing file")]
    public void TheOptionIsRefusedWhereItHasNoMeaning(string options, string message)
    {
        if (ToolUnderTest.IsQemu) return;
        using var d = new OracleDirs();
        ToolUnderTest.QemuOk(d.T, "create", "-q", "-f", "vmdk", "base.vmdk", "1M");
        var r = ToolUnderTest.Run(d.T, "create", "-q", "-f", "vmdk", "-o", options, "a.vmdk", "1M");
        Assert.AreEqual(1, r.ExitCode, r.ToString());
        Assert.AreEqual($"qemu-img: a.vmdk: {message}\n", r.NormalizedStdErr, r.ToString());
        Assert.IsFalse(File.Exists(Path.Combine(d.T, "a.vmdk")), "nothing made");
    }

    [TestMethod]
    [DataRow("create", "-f", "vmdk", "-o", "help")]
    [DataRow("create", "-f", "vmdk", "-o", "?")]
    [DataRow("create", "-f", "vmdk", "-o", "subformat=monolithicFlat,help")]
    [DataRow("convert", "-O", "vmdk", "-o", "help")]
    public void HelpIsQemusWithTheStreamLayoutLine(params string[] args)
    {
        using var d = new OracleDirs();
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        var lines = expected.NormalizedStdOut.Split('\n').ToList();
        if (!ToolUnderTest.IsQemu)
        {
            // sorted by name as qemu sorts them: after size, before subformat
            int at = lines.FindIndex(l => l.StartsWith("  subformat=", StringComparison.Ordinal));
            Assert.IsTrue(at > 0, expected.ToString());
            lines.Insert(at, "  stream_layout=<str>    - streamOptimized layout, qemu (default: as qemu-img writes it) or vmware (grain directory at the end, markers, footer and end-of-stream marker, as VMware's tools write it); an ImageBuild extension, not in qemu-img");
        }
        Assert.AreEqual(expected.ExitCode, actual.ExitCode, actual.ToString());
        Assert.AreEqual(string.Join('\n', lines), actual.NormalizedStdOut);
        Assert.AreEqual(expected.NormalizedStdErr, actual.NormalizedStdErr);
    }
}
