using System.Buffers.Binary;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Bochs;

/// <summary>
/// Hostile Bochs headers and catalogs: the tool answers like qemu-img (exit code, stdout, stderr, converted bytes),
/// quickly and without a stack trace. Each image is a 4 MiB BochsBuilder v2 image (16 KiB extents, 256 catalog
/// entries) with one field patched.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class BochsBadInputOracleTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(15);

    [TestMethod]
    //       case                   field  value         info exit
    [DataRow("version-3", 64, 0x30000L, 1)]           // forced with -f bochs: not in Bochs format
    [DataRow("catalog-too-large", 72, 0x100001L, 1)]
    [DataRow("catalog-too-small", 72, 255L, 1)]
    [DataRow("extent-small", 80, 256L, 1)]
    [DataRow("extent-not-power-of-two", 80, 24576L, 1)]
    [DataRow("extent-too-large", 80, 0x1000000L, 1)]
    [DataRow("extent-larger", 80, 32768L, 0)]         // slots then overlap: read as qemu reads them
    [DataRow("bitmap-zero", 76, 0L, 0)]               // qemu's 32-bit 1 + (0 - 1) / 512: 8 Mi bitmap sectors per slot
    [DataRow("bitmap-large", 76, 4096L, 0)]
    [DataRow("disk-size-odd", 88, 4194303L, 0)]       // rounded down to sectors
    [DataRow("disk-size-small", 88, 4096L, 0)]
    [DataRow("version-1", 64, 0x10000L, 1)]           // the disk size then comes from the reserved word: too big
    [DataRow("slot-past-eof", 512, 0x100000L, 0)]     // extent 0 in a slot past the end of the file: zeros
    [DataRow("slot-max", 512, 0xFFFFFFFEL, 0)]
    [DataRow("header-size-small", 68, 64L, 0)]        // the catalog is read from inside the header
    public void HostileImageIsHandledLikeQemu(string kind, int field, long value, int infoExit)
    {
        using var d = new OracleDirs();
        string name = Build(d.Root, kind, field, value);
        string[] fmt = kind == "version-3" ? ["-f", "bochs"] : [];
        List<string[]> runs =
        [
            ["info", .. fmt, "../" + name], ["info", .. fmt, "--output=json", "../" + name],
            ["convert", .. fmt, "-O", "raw", "../" + name, "out.raw"], ["check", .. fmt, "../" + name],
        ];
        if (infoExit == 0) runs.Add(["map", "--output=json", "../" + name]);
        foreach (var args in runs)
        {
            var expected = ToolUnderTest.Qemu(d.Q, args);
            if (args[0] == "info") Assert.AreEqual(infoExit, expected.ExitCode, $"fixture: qemu-img's exit code\n{expected}");
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, $"too slow on hostile input\n{actual}");
            OracleAssert.SameOutcome(expected, actual);
            if (args[0] == "convert" && expected.ExitCode == 0)
                OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"convert of {kind}");
        }
    }

    /// <summary>
    /// A catalog reaching past the end of the file: qemu-img 7.2 reads the missing entries as zeros (slot 0) and goes
    /// on; as for every format's tables, we refuse such an image with one line naming the file, before reading it.
    /// </summary>
    [TestMethod]
    [DataRow("truncated-catalog", 0, 0L)]
    [DataRow("header-size-huge", 68, 0xFFFFF000L)]
    public void ACatalogPastTheEndOfTheFileIsRefused(string kind, int field, long value)
    {
        using var d = new OracleDirs();
        string name = Build(d.Root, kind, field, value);
        if (kind == "truncated-catalog")
            using (var fs = new FileStream(Path.Combine(d.Root, name), FileMode.Open)) fs.SetLength(1000);
        var qemu = ToolUnderTest.Qemu(d.Q, "info", "../" + name);
        Assert.AreEqual(0, qemu.ExitCode, $"fixture: qemu-img reads {kind} leniently\n{qemu}");
        if (ToolUnderTest.IsQemu) return;
        foreach (var args in new[] { new[] { "info", "../" + name }, ["convert", "-O", "raw", "../" + name, "out.raw"], ["map", "../" + name] })
        {
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, $"too slow on hostile input\n{actual}");
            OracleAssert.NoCrash(actual);
            Assert.AreEqual(1, actual.ExitCode, actual.ToString());
            long offset = field == 68 ? value : 512;
            StringAssert.StartsWith(actual.NormalizedStdErr,
                $"qemu-img: Could not open '../{name}': '../{name}': catalog at offset {offset} (1024 bytes) lies past the end of the file", actual.ToString());
            Assert.AreEqual(1, actual.StdErr.TrimEnd('\n').Split('\n').Length, $"one error line\n{actual}");
            Assert.IsFalse(File.Exists(Path.Combine(d.T, "out.raw")), "no output left behind by a failed convert");
        }
    }

    [TestMethod]
    public void WritingIsRefusedAsQemuRefusesIt()
    {
        using var d = new OracleDirs();
        string name = Build(d.Root, "plain", 0, 0);
        foreach (var args in new[]
        {
            new[] { "resize", "../" + name, "8M" }, ["commit", "../" + name], ["create", "-f", "bochs", "new.bochs", "1M"],
            ["amend", "-o", "size=8M", "../" + name], ["snapshot", "-c", "s", "../" + name],
        })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }

    private static string Build(string dir, string kind, int field, long value)
    {
        string name = kind + ".bochs", path = Path.Combine(dir, name);
        BochsBuilder.Write(path, BochsOracleTests.Content(), new BochsBuilder.Layout(2, 16384));
        if (field == 0) return name;
        var bytes = new byte[field == 88 ? 8 : 4];
        if (bytes.Length == 8) BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)value);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)value);
        OracleFixtures.Patch(path, field, bytes);
        return name;
    }
}
