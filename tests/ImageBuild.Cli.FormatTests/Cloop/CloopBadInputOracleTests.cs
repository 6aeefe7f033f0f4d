using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Cloop;

/// <summary>
/// Hostile cloop headers, offsets tables and blocks: qemu-img's checks and messages on open; quick failures with
/// one line naming the file for blocks that do not inflate to exactly one block (decompression bombs included),
/// where qemu-img prints a bare I/O error; bounded memory and time whatever the header claims.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class CloopBadInputOracleTests
{
    private const int BlockSize = 65536;
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(15);

    [TestMethod]
    //       case                      field  value                 info exit
    [DataRow("block-size-odd", 128, 1000UL, 1)]
    [DataRow("block-size-zero", 128, 0UL, 1)]
    [DataRow("block-size-too-large", 128, 0x4000200UL, 1)]
    [DataRow("block-size-max", 128, 0x4000000UL, 0)]          // 64 MiB is allowed; the blocks then inflate short
    [DataRow("blocks-over-max", 132, 0x20000000UL, 1)]
    [DataRow("too-many-offsets", 132, 0x4000000UL, 1)]
    [DataRow("blocks-fewer", 132, 2UL, 0)]                    // the rest of the table is ignored
    [DataRow("blocks-more", 132, 5UL, 1)]                     // block data read as offsets: not increasing
    [DataRow("offsets-decreasing", 144, 100UL, 1)]
    [DataRow("block-too-long", 168, 0x8100000UL, 1)]          // the last block longer than 128 MiB
    [DataRow("block-past-eof", 168, 0x7000000UL, 0)]          // read as zeros: not a zlib stream
    public void HostileHeaderIsHandledLikeQemu(string kind, int field, ulong value, int infoExit)
    {
        using var d = new OracleDirs();
        string name = kind + ".cloop", path = Path.Combine(d.Root, name);
        WriteValid(path);
        if (field == 128 || field == 132) OracleFixtures.WriteBe32(path, field, (uint)value);
        else OracleFixtures.WriteBe64(path, field, value);
        RunBoth(d, name, infoExit);
    }

    /// <summary>Blocks whose zlib stream is bad: info works, every read of the block fails as in qemu, ours naming the file.</summary>
    [TestMethod]
    [DataRow("bomb")]          // inflates to 16 MiB where the block is 64 KiB
    [DataRow("short")]         // inflates to half a block
    [DataRow("no-trailer")]    // a whole block of output, but the stream is cut before its Adler-32
    [DataRow("bad-adler")]
    [DataRow("garbage")]
    [DataRow("empty")]         // zero compressed bytes
    public void BadBlockFailsTheReadAsInQemu(string kind)
    {
        using var d = new OracleDirs();
        string name = kind + ".cloop", path = Path.Combine(d.Root, name);
        byte[] good = CloopOracleImages.Zlib(OracleFixtures.MixedContent(BlockSize, 61));
        byte[] bad = kind switch
        {
            "bomb" => CloopOracleImages.Zlib(new byte[16 << 20]),
            "short" => CloopOracleImages.Zlib(new byte[BlockSize / 2]),
            "no-trailer" => good[..^4],
            "bad-adler" => Flip(good, good.Length - 1),
            "garbage" => OracleFixtures.MixedContent(5000, 62),
            _ => [],
        };
        CloopOracleImages.Write(path, BlockSize, good, bad, good);
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, "info", "../" + name), ToolUnderTest.Run(d.T, "info", "../" + name));
        var qemu = ToolUnderTest.Qemu(d.Q, "convert", "-O", "raw", "../" + name, "out.raw");
        Assert.AreEqual(1, qemu.ExitCode, $"fixture: qemu-img fails the read\n{qemu}");
        StringAssert.Matches(qemu.NormalizedStdErr, new System.Text.RegularExpressions.Regex("^qemu-img: error while reading at byte [0-9]+: Input/output error\n$"), qemu.ToString());
        if (ToolUnderTest.IsQemu) return;
        var ours = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../" + name, "out.raw");
        Assert.IsTrue(ours.Elapsed < Quick, $"too slow on hostile input\n{ours}");
        OracleAssert.NoCrash(ours);
        Assert.AreEqual(1, ours.ExitCode, ours.ToString());
        StringAssert.StartsWith(ours.NormalizedStdErr, qemu.NormalizedStdErr[..qemu.NormalizedStdErr.IndexOf(": Input", StringComparison.Ordinal)] + $": '../{name}': compressed block 1 at offsets ", ours.ToString());
        StringAssert.EndsWith(ours.NormalizedStdErr, $"does not inflate to exactly {BlockSize} bytes: Input/output error\n", ours.ToString());
        // the good blocks around it still read
        foreach (var args in new[] { new[] { "compare", "-f", "cloop", "-F", "cloop", "../" + name, "../" + name } })
            Assert.AreEqual(ToolUnderTest.Qemu(d.Q, args).ExitCode, ToolUnderTest.Run(d.T, args).ExitCode);
    }

    /// <summary>
    /// An offsets table reaching past the end of the file: qemu-img reads zeros for it (then finds the offsets not
    /// increasing, or reads zero-length blocks); as for every format's tables we refuse it with one line naming the file.
    /// </summary>
    [TestMethod]
    [DataRow(0x3FFFFFFUL)]  // the most blocks qemu accepts: a 512 MiB table
    [DataRow(200UL)]
    public void AnOffsetsTablePastTheEndOfTheFileIsRefused(ulong blocks)
    {
        using var d = new OracleDirs();
        string name = "table-past-eof.cloop", path = Path.Combine(d.Root, name);
        WriteValid(path);
        OracleFixtures.WriteBe32(path, 132, (uint)blocks);
        using (var fs = new FileStream(path, FileMode.Open)) fs.SetLength(1000);
        var qemu = ToolUnderTest.Qemu(d.Q, "info", "../" + name);
        Assert.AreEqual(1, qemu.ExitCode, $"fixture: qemu-img fails on the zeros past the end\n{qemu}");
        if (ToolUnderTest.IsQemu) return;
        foreach (var args in new[] { new[] { "info", "../" + name }, ["convert", "-O", "raw", "../" + name, "out.raw"] })
        {
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, $"too slow on hostile input\n{actual}");
            OracleAssert.NoCrash(actual);
            Assert.AreEqual(1, actual.ExitCode, actual.ToString());
            Assert.AreEqual(
                $"qemu-img: Could not open '../{name}': '../{name}': offsets table at offset 136 ({(blocks + 1) * 8} bytes) lies past the end of the file (1000 bytes)\n",
                actual.NormalizedStdErr, actual.ToString());
        }
    }

    [TestMethod]
    public void WritingIsRefusedAsQemuRefusesIt()
    {
        using var d = new OracleDirs();
        WriteValid(Path.Combine(d.Root, "c.cloop"));
        foreach (var args in new[]
        {
            new[] { "resize", "../c.cloop", "8M" }, ["commit", "../c.cloop"], ["create", "-f", "cloop", "new.cloop", "1M"],
            ["rebase", "-u", "-b", "", "../c.cloop"], ["measure", "-O", "cloop", "--size", "1M"],
        })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }

    private static void RunBoth(OracleDirs d, string name, int infoExit)
    {
        List<string[]> runs =
        [
            ["info", "../" + name], ["info", "--output=json", "../" + name], ["check", "../" + name],
            ["convert", "-O", "raw", "../" + name, "out.raw"],
        ];
        if (infoExit == 0) runs.Add(["map", "--output=json", "../" + name]);
        foreach (var args in runs)
        {
            var expected = ToolUnderTest.Qemu(d.Q, args);
            if (args[0] == "info") Assert.AreEqual(infoExit, expected.ExitCode, $"fixture: qemu-img's exit code\n{expected}");
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, $"too slow on hostile input\n{actual}");
            OracleAssert.NoCrash(actual);
            Assert.AreEqual(expected.ExitCode, actual.ExitCode, $"exit code\n{expected}\n{actual}");
            if (args[0] != "convert" || expected.ExitCode == 0)
                OracleAssert.SameOutcome(expected, actual);
            if (args[0] == "convert" && expected.ExitCode == 0)
                OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"convert of {name}");
        }
    }

    /// <summary>Four 64 KiB blocks: offsets at 136..176, block 3's end at 168.</summary>
    private static void WriteValid(string path) => CloopOracleImages.Write(path, BlockSize,
        CloopOracleImages.Zlib(OracleFixtures.MixedContent(BlockSize, 71)), CloopOracleImages.Zlib(new byte[BlockSize]),
        CloopOracleImages.Zlib(OracleFixtures.MixedContent(BlockSize, 72)), CloopOracleImages.Zlib(OracleFixtures.MixedContent(BlockSize, 73)));

    private static byte[] Flip(byte[] b, int at)
    {
        var c = (byte[])b.Clone();
        c[at] ^= 1;
        return c;
    }
}
