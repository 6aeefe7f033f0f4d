using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vdi;

/// <summary>
/// Hostile VDI headers and maps: the tool answers like qemu-img (exit code, stderr, stdout, converted bytes) and
/// quickly, without a stack trace. Each image is a qemu-made 4 MiB VDI with data in guest block 1 and one field patched.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VdiBadInputOracleTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(15);

    [TestMethod]
    //       case                          field   value                 info/convert/check exit codes
    [DataRow("signature", 0x40, 0L, 1, 1, 1)] // forced with -f vdi
    [DataRow("version-1.0", 0x44, 0x10000L, 1, 1, 1)]
    [DataRow("header-size-5", 0x48, 5L, 0, 0, 0)] // qemu does not look at it
    [DataRow("image-type-4", 0x4C, 4L, 0, 0, 0)] // nor at this
    [DataRow("bmap-unaligned", 0x154, 0x201L, 1, 1, 1)]
    [DataRow("data-unaligned", 0x158, 0x301L, 1, 1, 1)]
    [DataRow("data-offset-zero", 0x158, 0L, 0, 0, 0)] // blocks read from the header: as qemu reads them
    [DataRow("data-offset-past-eof", 0x158, 0x7FFFFE00L, 0, 0, 0)]
    [DataRow("sector-size", 0x168, 4096L, 1, 1, 1)]
    [DataRow("block-size-2m", 0x178, 2097152L, 1, 1, 1)]
    [DataRow("block-size-zero", 0x178, 0L, 1, 1, 1)]
    [DataRow("disk-size-too-large", 0x170, 0x1fffff8000001L, 1, 1, 1)]
    [DataRow("disk-size-max", 0x170, 0x1fffff8000000L, 1, 1, 1)]
    [DataRow("disk-size-past-map", 0x170, 5000000L, 1, 1, 1)]
    [DataRow("disk-size-odd", 0x170, 4194303L, 0, 0, 0)]
    [DataRow("blocks-over-max", 0x180, 0x20000000L, 1, 1, 1)]
    [DataRow("blocks-too-few", 0x180, 3L, 1, 1, 1)]
    [DataRow("blocks-padding", 0x180, 5L, 0, 0, 2)] // the fifth entry is the map's zero padding: block 0 twice
    [DataRow("allocated-wrong", 0x184, 100L, 0, 0, 2)]
    [DataRow("link-uuid", 0x1A8, 1L, 1, 1, 1)]
    [DataRow("parent-uuid", 0x1B8, 1L, 1, 1, 1)]
    [DataRow("entry-past-eof", 0x204, 0x100000L, 0, 0, 2)]
    [DataRow("entry-max", 0x204, 0xFFFFFFFDL, 0, 0, 2)]
    [DataRow("entry-discarded", 0x204, 0xFFFFFFFEL, 0, 0, 2)] // the data block is then counted by nobody
    [DataRow("entry-shared", 0x200, 0L, 0, 0, 2)]
    public void HostileImageIsHandledLikeQemu(string kind, int field, long value, int infoExit, int convertExit, int checkExit)
    {
        using var d = new OracleDirs();
        string name = Build(d.Root, kind, field, value);
        string[] fmt = kind == "signature" ? ["-f", "vdi"] : [];
        var runs = new List<(string[], int)>
        {
            ([ "info", .. fmt, "../" + name], infoExit),
            ([ "info", .. fmt, "--output=json", "../" + name], infoExit),
            ([ "convert", .. fmt, "-O", "raw", "../" + name, "out.raw"], convertExit),
            ([ "check", .. fmt, "../" + name], checkExit),
        };
        if (infoExit == 0)
            runs.Add((["map", "--output=json", "../" + name], 0));
        foreach (var (args, exit) in runs)
        {
            var expected = ToolUnderTest.Qemu(d.Q, args);
            Assert.AreEqual(exit, expected.ExitCode, $"fixture: qemu-img's exit code\n{expected}");
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, $"too slow on hostile input\n{actual}");
            OracleAssert.SameOutcome(expected, actual);
            if (args[0] == "convert" && expected.ExitCode == 0)
                OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"convert of {kind}");
        }
    }

    /// <summary>
    /// A block map reaching past the end of the file: qemu-img 7.2 reads the missing part as zeros (entries naming
    /// data block 0, one "also used by" line each from check) and goes on; like the qcow2 driver with its tables,
    /// we refuse such an image with one line naming the file, before reading or allocating anything of the map's size.
    /// </summary>
    [TestMethod]
    [DataRow("blocks-max", 0x180, 0x1fffff80L)] // the most blocks qemu accepts: a 2 GiB map
    [DataRow("bmap-past-eof", 0x154, 0xfffffe00L)]
    public void AMapPastTheEndOfTheFileIsRefused(string kind, int field, long value)
    {
        using var d = new OracleDirs();
        string name = Build(d.Root, kind, field, value);
        var qemu = ToolUnderTest.Qemu(d.Q, "info", "../" + name);
        Assert.AreEqual(0, qemu.ExitCode, $"fixture: qemu-img reads {kind} leniently\n{qemu}");
        if (ToolUnderTest.IsQemu) return;
        foreach (var args in new[]
        {
            new[] { "info", "../" + name }, ["convert", "-O", "raw", "../" + name, "out.raw"], ["check", "../" + name],
            ["map", "../" + name],
        })
        {
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, $"too slow on hostile input\n{actual}");
            OracleAssert.NoCrash(actual);
            Assert.AreEqual(1, actual.ExitCode, actual.ToString());
            Assert.AreEqual(
                $"qemu-img: Could not open '../{name}': '../{name}': block map at offset {(field == 0x154 ? value : 512)} ",
                actual.NormalizedStdErr[..actual.NormalizedStdErr.IndexOf("(", StringComparison.Ordinal)], actual.ToString());
            Assert.AreEqual(1, actual.StdErr.TrimEnd('\n').Split('\n').Length, $"one error line\n{actual}");
            Assert.IsFalse(File.Exists(Path.Combine(d.T, "out.raw")), "no output left behind by a failed convert");
        }
    }

    [TestMethod]
    [DataRow(100)]
    [DataRow(0x41)]
    [DataRow(0x150)] // the map offset (0x154) is cut off: zero, the map then overlaps the header, as in qemu
    public void ATruncatedHeaderReadsAsZerosPastTheEndAsInQemu(int length)
    {
        using var d = new OracleDirs();
        string name = Build(d.Root, "truncated", 0x48, 0x180);
        using (var fs = new FileStream(Path.Combine(d.Root, name), FileMode.Open)) fs.SetLength(length);
        foreach (var args in new[] { new[] { "info", "-f", "vdi", "../" + name }, ["info", "../" + name], ["check", "-f", "vdi", "../" + name] })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }

    private static string Build(string dir, string kind, int field, long value)
    {
        string name = kind + ".vdi";
        ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", name, "4M");
        ToolUnderTest.QemuIo(dir, "vdi", name, "write -P 0x5a 1M 1M");
        string path = Path.Combine(dir, name);
        if (field == 0x170) VdiOracleImages.WriteLe64(path, field, (ulong)value);
        else VdiOracleImages.WriteLe32(path, field, (uint)value);
        return name;
    }
}
