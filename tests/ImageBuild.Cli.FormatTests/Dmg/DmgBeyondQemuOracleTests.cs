using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Dmg;

/// <summary>
/// What no qemu-img 7.2 reads (Debian's is built without the bzip2 and lzfse modules, and none reads ADC or LZMA):
/// real macOS zlib DMGs re-encoded chunk by chunk into bzip2 and LZMA (xz and .lzma-alone) chunks read to the bytes
/// qemu-img reads from the zlib original; chunks of a type no reader knows get qemu's warning, and reading them fails
/// with one line naming the type.
/// </summary>
[TestClass]
[RequiresQemu]
[RequiresSharedImages]
public sealed class DmgBeyondQemuOracleTests
{
    [TestMethod]
    [DataRow("node-udif/compression-zlib.dmg", "bzip2")]
    [DataRow("node-udif/compression-zlib.dmg", "xz")]
    [DataRow("node-udif/compression-zlib.dmg", "lzma-alone")]
    [DataRow("dfvfs/hfsplus_zlib.dmg", "mixed")]
    [DataRow("qemu-sample_images/simple-dmg.dmg", "mixed")]
    public void ReencodedRealZlibDmgReadsAsQemuReadsTheOriginal(string image, string encoding)
    {
        using var d = new OracleDirs();
        string original = Path.Combine(QemuOracle.SharedImages!, image);
        ToolUnderTest.QemuOk(d.Q, "convert", "-f", "dmg", "-O", "raw", original, "out.raw");
        byte[] disk = File.ReadAllBytes(Path.Combine(d.Q, "out.raw"));

        var (sectors, chunks) = DmgBuilder.ReadChunks(original);
        int reencoded = 0;
        using (var b = new DmgBuilder(d["re.dmg"]) { SectorCount = sectors })
        {
            foreach (var (entry, stored) in chunks)
            {
                if (entry.Type != DmgBuilder.Zlib)
                {
                    b.AddStored(entry.Type, entry.SectorCount, stored);
                    continue;
                }
                var data = disk.AsSpan(checked((int)entry.Sector * 512), checked((int)entry.SectorCount * 512));
                string e = encoding == "mixed" ? (reencoded % 3 == 0 ? "bzip2" : reencoded % 3 == 1 ? "xz" : "lzma-alone") : encoding;
                if (e == "lzma-alone") b.AddStored(DmgBuilder.Lzma, entry.SectorCount, DmgBuilder.LzmaAlone(data));
                else b.Add(e == "bzip2" ? DmgBuilder.Bzip2 : DmgBuilder.Lzma, data);
                reencoded++;
            }
            b.Finish();
        }
        Assert.IsTrue(reencoded > 0, $"{image} has zlib chunks to re-encode");

        var r = ToolUnderTest.Run(d.T, "convert", "-f", "dmg", "-O", "raw", "../re.dmg", "out.raw");
        OracleAssert.NoCrash(r);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        Assert.AreEqual("", r.StdErr + r.StdOut, r.ToString());
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"{image} re-encoded as {encoding}");
    }

    /// <summary>
    /// The node-udif disk made of chunks taken from its ADC, lzfse, bzip2 and zlib twins (macOS wrote the same chunk
    /// layout in each), mixed in one table: it reads to the bytes qemu-img reads from the zlib twin.
    /// </summary>
    [TestMethod]
    [DataRow("adc", "lzfse", "bz2")]
    [DataRow("lzfse", "zlib", "adc")]
    public void ChunksCopiedFromMacOsTwinsMixInOneImage(string first, string second, string third)
    {
        using var d = new OracleDirs();
        string Twin(string kind) => Path.Combine(QemuOracle.SharedImages!, "node-udif", $"compression-{kind}.dmg");
        ToolUnderTest.QemuOk(d.Q, "convert", "-f", "dmg", "-O", "raw", Twin("zlib"), "out.raw");
        var twins = new[] { first, second, third }.Select(k => DmgBuilder.ReadChunks(Twin(k))).ToArray();
        var (sectors, layout) = twins[0];
        using (var b = new DmgBuilder(d["mixed.dmg"]) { SectorCount = sectors })
        {
            int data = 0;
            for (int i = 0; i < layout.Count; i++)
            {
                if (layout[i].Entry.Type is DmgBuilder.Zero or DmgBuilder.Ignore)
                {
                    b.AddStored(layout[i].Entry.Type, layout[i].Entry.SectorCount, []);
                    continue;
                }
                var (entry, stored) = twins[data++ % 3].Chunks[i];
                b.AddStored(entry.Type, entry.SectorCount, stored);
            }
            b.Finish();
            Assert.AreEqual(3, data, "the node-udif disk has three data chunks");
        }
        var r = ToolUnderTest.Run(d.T, "convert", "-f", "dmg", "-O", "raw", "../mixed.dmg", "out.raw");
        OracleAssert.NoCrash(r);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"{first}/{second}/{third} mixed");
    }

    /// <summary>
    /// A chunk of an unknown type: qemu's warning at open, then a failed read; qemu says "Input/output error", the
    /// tool also names the type and the chunk's first sector.
    /// </summary>
    [TestMethod]
    public void AnUnknownChunkTypeIsWarnedAboutAndNamedWhenRead()
    {
        using var d = new OracleDirs();
        byte[] disk = DmgOracleImages.SourceDisk();
        using (var b = new DmgBuilder(d["a.dmg"]))
        {
            b.Add(DmgBuilder.Zlib, disk.AsSpan(0, 1 << 20));
            b.AddStored(0x80000009, 2048, DmgBuilder.ZlibCompress(disk.AsSpan(1 << 20, 1 << 20)));
            b.Finish();
        }
        DmgOracleImages.SameAsQemu(d, "info", "../a.dmg");
        var q = ToolUnderTest.Qemu(d.Q, "convert", "-O", "raw", "../a.dmg", "out.raw");
        var t = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../a.dmg", "out.raw");
        OracleAssert.NoCrash(t);
        Assert.AreEqual(1, q.ExitCode, q.ToString());
        Assert.AreEqual(q.ExitCode, t.ExitCode, t.ToString());
        var qLines = q.NormalizedStdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var tLines = t.NormalizedStdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(2, tLines.Length, t.ToString());
        Assert.AreEqual(qLines[0], tLines[0], "qemu's warning");
        StringAssert.StartsWith(qLines[1], "qemu-img: error while reading at byte ");
        StringAssert.EndsWith(qLines[1], ": Input/output error");
        string where = qLines[1][..^": Input/output error".Length];
        Assert.AreEqual(where + ": '../a.dmg': chunk type 0x80000009 at sector 2048 is not supported: Input/output error", tLines[1]);
    }
}
