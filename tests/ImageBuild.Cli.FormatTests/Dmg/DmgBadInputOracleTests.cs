using System.Text;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Dmg;

/// <summary>
/// Hostile DMGs: where qemu-img answers with one line the tool answers alike; where qemu-img reads on regardless
/// (overlapping tables, data past the end of the file) or reports in two lines (chunk limits), the tool refuses with
/// one line naming the file. Always quickly and without a stack trace.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class DmgBadInputOracleTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(20);

    private static readonly byte[] Disk = DmgOracleImages.SourceDisk();

    /// <summary>A two-chunk zlib DMG (1 MiB each) with the changes of <paramref name="kind"/>.</summary>
    private static void Build(string path, string kind)
    {
        using var b = new DmgBuilder(path);
        var first = Disk.AsSpan(0, 1 << 20);
        var second = Disk.AsSpan(1 << 20, 1 << 20);
        switch (kind)
        {
            case "bomb": // the chunk inflates to 2 MiB but declares 1 MiB
                b.AddStored(DmgBuilder.Zlib, 2048, DmgBuilder.ZlibCompress(Disk.AsSpan(0, 2 << 20)));
                b.Add(DmgBuilder.Zlib, second);
                break;
            case "short": // declares 2 MiB, inflates to 1 MiB
                b.AddStored(DmgBuilder.Zlib, 4096, DmgBuilder.ZlibCompress(first));
                break;
            case "no-adler32": // the stream's checksum cut off: qemu's inflate never reaches Z_STREAM_END
                byte[] cut = DmgBuilder.ZlibCompress(first);
                b.AddStored(DmgBuilder.Zlib, 2048, cut.AsSpan(0, cut.Length - 4));
                b.Add(DmgBuilder.Zlib, second);
                break;
            case "trailing-bytes": // bytes after the stream's end: qemu's inflate stops at the end
                b.AddStored(DmgBuilder.Zlib, 2048, [.. DmgBuilder.ZlibCompress(first), 1, 2, 3, 4, 5]);
                b.Add(DmgBuilder.Zlib, second);
                break;
            case "corrupt":
                byte[] z = DmgBuilder.ZlibCompress(first);
                z.AsSpan(10, 64).Fill(0x55);
                b.AddStored(DmgBuilder.Zlib, 2048, z);
                b.Add(DmgBuilder.Zlib, second);
                break;
            default:
                b.Add(DmgBuilder.Zlib, first);
                b.Add(DmgBuilder.Zlib, second);
                break;
        }
        var e = b.Entries;
        switch (kind)
        {
            case "length-over-max": e[1] = e[1] with { Length = 64 * 1024 * 1024 + 1 }; break;
            case "sectors-over-max": e[1] = e[1] with { SectorCount = 131073 }; break;
            case "zero-sectors-huge": e[1] = e[1] with { Type = DmgBuilder.Zero, SectorCount = 1UL << 40 }; b.SectorCount = 4096; break;
            case "overlap": e[1] = e[1] with { Sector = 1024 }; break;
            case "out-of-order": (e[0], e[1]) = (e[1] with { Sector = 2048 }, e[0] with { Sector = 0 }); break;
            case "offset-past-eof": e[1] = e[1] with { Offset = 1UL << 40 }; break;
            case "length-past-eof": e[1] = e[1] with { Length = e[1].Length + (1 << 20) }; break;
            case "gap": e[1] = e[1] with { Sector = 4096 }; b.SectorCount = 6144; break;
            case "disk-past-chunks": b.SectorCount = 8192; break;
            case "sector-count-negative": b.SectorCount = -1; break;
            case "deep-nesting": b.PlistPrefix = string.Concat(Enumerable.Repeat("<dict><array>", 200_000)) + string.Concat(Enumerable.Repeat("</array></dict>", 200_000)); break;
            case "huge-base64": b.PlistPrefix = "<key>junk</key><data>" + new string('A', 12 << 20) + "</data>\n"; break;
            case "plist-over-16m": b.PlistPrefix = "<!--" + new string('x', 16 << 20) + "-->"; break;
            case "data-unclosed": b.PlistSuffix = "<key>junk</key><data>AAAA\n"; break;
            case "no-tables": b.PlistPrefix = "<key>junk</key><data>AAAA\n"; break; // this element runs to the table's end tag
            case "base64-garbage": b.PlistPrefix = "<data>!!%%$$ \t\n&&**</data>"; break;
        }
        b.Finish();
    }

    [TestMethod]
    //       kind                     convert exit (both tools)
    [DataRow("bomb", 1)]
    [DataRow("short", 1)]
    [DataRow("corrupt", 1)]
    [DataRow("no-adler32", 1)]
    [DataRow("trailing-bytes", 0)]
    [DataRow("zero-sectors-huge", 0)]
    [DataRow("disk-past-chunks", 1)]
    [DataRow("sector-count-negative", 1)]
    [DataRow("deep-nesting", 0)]
    [DataRow("huge-base64", 0)]
    [DataRow("plist-over-16m", 1)]
    [DataRow("data-unclosed", 1)]
    [DataRow("base64-garbage", 0)]
    [DataRow("gap", 1)]
    [DataRow("no-tables", 139)] // qemu-img crashes (SIGSEGV: a binary search of an empty table)
    public void HostileImageFailsOrReadsLikeQemu(string kind, int convertExit)
    {
        using var d = new OracleDirs();
        Build(d["a.dmg"], kind);
        var info = ToolUnderTest.Qemu(d.Q, "info", "../a.dmg");
        var ours = ToolUnderTest.Run(d.T, "info", "../a.dmg");
        Assert.IsTrue(ours.Elapsed < Quick, $"too slow\n{ours}");
        OracleAssert.SameOutcome(info, ours);

        var q = ToolUnderTest.Qemu(d.Q, "convert", "-O", "raw", "../a.dmg", "out.raw");
        var t = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../a.dmg", "out.raw");
        Assert.IsTrue(t.Elapsed < Quick, $"too slow\n{t}");
        OracleAssert.NoCrash(t);
        Assert.AreEqual(convertExit, q.ExitCode, $"fixture: qemu-img's exit code\n{q}");
        if (q.ExitCode < 128) Assert.AreEqual(q.ExitCode, t.ExitCode, t.ToString());
        if (q.ExitCode >= 128)
        {
            AssertOneLineNamingTheFile(t);
            Assert.AreEqual(1, t.ExitCode, t.ToString());
        }
        else if (q.ExitCode == 0)
        {
            OracleAssert.SameOutcome(q, t);
            OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"convert of {kind}");
        }
        else if (q.StdErr.Contains("Could not open", StringComparison.Ordinal))
        {
            OracleAssert.SameOutcome(q, t);
        }
        else
        {
            // a read error: qemu's "error while reading at byte N: Input/output error", with what and where added
            AssertOneLineNamingTheFile(t);
            StringAssert.EndsWith(t.StdErr, ": Input/output error\n", t.ToString());
            StringAssert.StartsWith(t.StdErr, q.StdErr.Split(": Input/output error")[0].Replace("qemu-img:", "imagebuild:"), t.ToString());
        }
    }

    /// <summary>
    /// Tables qemu accepts but reads arbitrarily (overlapping chunks: which one a sector comes from depends on the
    /// reads before) or reads as zeros (data past the end of the file), and chunk limits qemu reports in two lines:
    /// one line naming the file and the problem, exit 1.
    /// </summary>
    [TestMethod]
    [DataRow("length-over-max", "Could not open '../a.dmg': length 67108865 for chunk 1 is larger than max (67108864)")]
    [DataRow("sectors-over-max", "Could not open '../a.dmg': sector count 131073 for chunk 1 is larger than max (131072)")]
    [DataRow("overlap", "Could not open '../a.dmg': dmg: chunk 1 (sectors 1024..3071) overlaps chunk 0 (sectors 0..2047)")]
    [DataRow("offset-past-eof", "error while reading at byte 0: '../a.dmg': zlib chunk 1 (sectors 2048..4095): its data at offset 1099511627776")]
    [DataRow("length-past-eof", "error while reading at byte 0: '../a.dmg': zlib chunk 1 (sectors 2048..4095): its data at offset")]
    public void HostileTablesAreRefusedInOneLine(string kind, string message)
    {
        using var d = new OracleDirs();
        Build(d["a.dmg"], kind);
        var t = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../a.dmg", "out.raw");
        Assert.IsTrue(t.Elapsed < Quick, $"too slow\n{t}");
        AssertOneLineNamingTheFile(t);
        Assert.AreEqual(1, t.ExitCode, t.ToString());
        StringAssert.StartsWith(t.StdErr, "imagebuild: " + message, t.ToString());
    }

    /// <summary>A table out of sector order is read in sector order (qemu's binary search would miss chunks).</summary>
    [TestMethod]
    public void ATableOutOfOrderIsReadInSectorOrder()
    {
        using var d = new OracleDirs();
        Build(d["a.dmg"], "out-of-order");
        var t = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../a.dmg", "out.raw");
        Assert.AreEqual(0, t.ExitCode, t.ToString());
        CollectionAssert.AreEqual(Disk.AsSpan(0, 2 << 20).ToArray(), File.ReadAllBytes(Path.Combine(d.T, "out.raw")));
    }

    /// <summary>Encrypted images (CDSA, version 1 and 2): qemu finds no trailer; the tool says why.</summary>
    [TestMethod]
    [DataRow("encrcdsa", true)]
    [DataRow("cdsaencr", false)]
    public void EncryptedImagesAreRefusedByName(string magic, bool atStart)
    {
        using var d = new OracleDirs();
        var bytes = new byte[64 << 10];
        new Random(3).NextBytes(bytes);
        Encoding.ASCII.GetBytes(magic).CopyTo(bytes, atStart ? 0 : bytes.Length - 8);
        File.WriteAllBytes(d["e.dmg"], bytes);
        var q = ToolUnderTest.Qemu(d.Q, "info", "../e.dmg");
        Assert.AreEqual("qemu-img: Could not open '../e.dmg': Could not locate UDIF trailer in dmg file\n", q.StdErr, q.ToString());
        var t = ToolUnderTest.Run(d.T, "info", "../e.dmg");
        Assert.AreEqual(1, t.ExitCode, t.ToString());
        Assert.AreEqual("imagebuild: Could not open '../e.dmg': dmg: encrypted images are not supported\n", t.StdErr, t.ToString());
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(100)]
    [DataRow(4096)]
    public void FilesWithoutATrailerFailLikeQemu(int size)
    {
        using var d = new OracleDirs();
        File.WriteAllBytes(d["n.dmg"], new byte[size]);
        DmgOracleImages.SameAsQemu(d, "info", "../n.dmg");
        DmgOracleImages.SameAsQemu(d, "convert", "-O", "raw", "../n.dmg", "out.raw");
    }

    /// <summary>A resource fork whose header or resource lengths leave its bounds: qemu's EINVAL, worded alike.</summary>
    [TestMethod]
    //       field (from the fork's start)   value
    [DataRow(0, 0x7fffffffu)]  // resource data offset past the fork
    [DataRow(8, 0u)]           // no resource data
    [DataRow(8, 0x7fffffffu)]  // resource data longer than the fork
    [DataRow(256, 0u)]         // a resource of length 0
    [DataRow(256, 0x7fffffffu)] // a resource past the resource data
    [DataRow(260, 0x12345678u)] // not a block table: skipped, so no chunk holds sector 0 (qemu crashes on reading)
    public void ResourceForkBoundsFailLikeQemu(int field, uint value)
    {
        using var d = new OracleDirs();
        DmgOracleImages.Build(d["a.dmg"], Disk, _ => DmgBuilder.Zlib, resourceFork: true);
        byte[] file = File.ReadAllBytes(d["a.dmg"]);
        long fork = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan(file.Length - 512 + 0x28));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan((int)fork + field), value);
        File.WriteAllBytes(d["a.dmg"], file);
        var (qemu, _) = DmgOracleImages.SameAsQemu(d, "info", "../a.dmg");
        if (qemu.ExitCode != 0)
        {
            StringAssert.EndsWith(qemu.StdErr, ": Invalid argument\n", qemu.ToString());
            return;
        }
        var t = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../a.dmg", "out.raw");
        AssertOneLineNamingTheFile(t);
        Assert.AreEqual("imagebuild: error while reading at byte 0: '../a.dmg': no chunk holds sector 0: Input/output error\n", t.StdErr, t.ToString());
    }

    private static void AssertOneLineNamingTheFile(TimedResult t)
    {
        OracleAssert.NoCrash(t);
        Assert.AreEqual("", t.StdOut, t.ToString());
        Assert.AreEqual(1, t.StdErr.Count(c => c == '\n'), $"one line\n{t}");
        StringAssert.Contains(t.StdErr, "a.dmg", t.ToString());
    }
}
