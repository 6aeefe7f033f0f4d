using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.Dmg;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Dmg;

/// <summary>
/// Reading builder-made DMGs through the engine: every chunk encoding, both table forms, requests that start and end
/// inside chunks, cover many at once (decoded in parallel) or go back to a chunk decoded before (the cache).
/// </summary>
[TestClass]
public sealed class DmgReadTests
{
    private static BlockDevice Open(string path, List<string>? warnings = null)
    {
        var ctx = new ImageContext(FormatRegistry.CreateDefault(), (warnings ?? []).Add);
        return ImageOpener.Open(ctx, path, new OpenOptions { Format = "dmg" });
    }

    /// <summary>2 MiB of sectors, some compressible, some random, some zero.</summary>
    private static byte[] Disk()
    {
        var disk = new byte[2 << 20];
        var rng = new Random(5);
        for (int s = 0; s < disk.Length / 512; s++)
        {
            var sector = disk.AsSpan(s * 512, 512);
            if (s % 3 == 0) rng.NextBytes(sector);
            else if (s % 3 == 1) sector.Fill((byte)s);
        }
        return disk;
    }

    private static string Build(TempDir tmp, byte[] disk, uint[] types, int chunkSectors, bool resourceFork = false)
    {
        string path = tmp["a.dmg"];
        using var b = new DmgBuilder(path);
        for (int i = 0; i * chunkSectors * 512 < disk.Length; i++)
            b.Add(types[i % types.Length], disk.AsSpan(i * chunkSectors * 512, Math.Min(chunkSectors * 512, disk.Length - i * chunkSectors * 512)));
        b.Finish(resourceFork);
        return path;
    }

    [TestMethod]
    [DataRow(DmgBuilder.Raw, false)]
    [DataRow(DmgBuilder.Zlib, false)]
    [DataRow(DmgBuilder.Bzip2, false)]
    [DataRow(DmgBuilder.Lzma, false)]
    [DataRow(DmgBuilder.Zlib, true)]
    public void EveryEncodingReadsBackTheDisk(uint type, bool resourceFork)
    {
        using var tmp = new TempDir();
        byte[] disk = Disk();
        using var dev = Open(Build(tmp, disk, [type], 256, resourceFork));
        Assert.AreEqual(disk.Length, dev.VirtualSize);
        var all = new byte[disk.Length];
        dev.Read(0, all);
        CollectionAssert.AreEqual(disk, all);
    }

    [TestMethod]
    public void LzmaAloneChunksAreRead()
    {
        using var tmp = new TempDir();
        byte[] disk = Disk();
        using (var b = new DmgBuilder(tmp["a.dmg"]))
        {
            b.AddStored(DmgBuilder.Lzma, 2048, DmgBuilder.LzmaAlone(disk.AsSpan(0, 1 << 20)));
            b.AddStored(DmgBuilder.Lzma, 2048, DmgBuilder.LzmaAlone(disk.AsSpan(1 << 20, 1 << 20)));
            b.Finish();
        }
        using var dev = Open(tmp["a.dmg"]);
        var all = new byte[disk.Length];
        dev.Read(0, all);
        CollectionAssert.AreEqual(disk, all);
    }

    /// <summary>Unaligned, partial and backward reads over mixed chunks give the disk's bytes.</summary>
    [TestMethod]
    public void PartialAndUnalignedReadsMatchTheDisk()
    {
        using var tmp = new TempDir();
        byte[] disk = Disk();
        using var dev = Open(Build(tmp, disk, [DmgBuilder.Zlib, DmgBuilder.Raw, DmgBuilder.Bzip2, DmgBuilder.Zlib, DmgBuilder.Lzma], 100));
        var rng = new Random(9);
        for (int i = 0; i < 200; i++)
        {
            int start = rng.Next(disk.Length - 1);
            int length = rng.Next(1, Math.Min(disk.Length - start, 300_000) + 1);
            var buf = new byte[length];
            dev.Read(start, buf);
            Assert.IsTrue(buf.AsSpan().SequenceEqual(disk.AsSpan(start, length)), $"read of {length} at {start}");
        }
    }

    /// <summary>Zero and ignore chunks read as zeros without any data; a zero chunk may be of any size.</summary>
    [TestMethod]
    public void ZeroAndIgnoreChunksReadAsZeros()
    {
        using var tmp = new TempDir();
        using (var b = new DmgBuilder(tmp["a.dmg"]))
        {
            b.AddStored(DmgBuilder.Zero, 1UL << 30, []);  // 512 GiB
            b.AddStored(DmgBuilder.Ignore, 2048, []);
            b.Add(DmgBuilder.Raw, Enumerable.Repeat((byte)7, 512).ToArray());
            b.Finish();
        }
        using var dev = Open(tmp["a.dmg"]);
        Assert.AreEqual(((1L << 30) + 2049) * 512, dev.VirtualSize);
        var buf = new byte[1 << 20];
        Array.Fill(buf, (byte)0xEE);
        dev.Read((1L << 39) - 4096, buf); // the zero chunk's last 4 KiB and most of the ignore chunk
        Assert.IsFalse(buf.AsSpan().ContainsAnyExcept((byte)0));
        var last = new byte[512];
        dev.Read(((1L << 30) + 2048) * 512, last);
        Assert.IsTrue(last.All(x => x == 7));
    }

    [TestMethod]
    public void AnUnknownChunkTypeIsWarnedAboutOnceAndNamedWhenRead()
    {
        using var tmp = new TempDir();
        using (var b = new DmgBuilder(tmp["a.dmg"]))
        {
            b.Add(DmgBuilder.Raw, new byte[512]);
            b.AddStored(0x80000010, 1, [1, 2, 3]);
            b.AddStored(0x80000011, 1, [1, 2, 3]);
            b.Finish();
        }
        var warnings = new List<string>();
        using var dev = Open(tmp["a.dmg"], warnings);
        CollectionAssert.AreEqual(new[] { "warning: Image contains chunks of unknown type 80000010, accessing them will result in I/O errors" }, warnings);
        dev.Read(0, new byte[512]);
        var e = Assert.ThrowsExactly<ImageException>(() => dev.Read(512, new byte[512]));
        Assert.AreEqual($"'{tmp["a.dmg"]}': chunk type 0x80000010 at sector 1 is not supported: Input/output error", e.Message);
    }

    [TestMethod]
    public void ADictionaryLargerThanAChunkIsRefused()
    {
        using var tmp = new TempDir();
        byte[] data = Disk().AsSpan(0, 1 << 20).ToArray();
        using (var b = new DmgBuilder(tmp["a.dmg"]))
        {
            b.AddStored(DmgBuilder.Lzma, 2048, DmgBuilder.Tool("xz", ["--format=xz", "--lzma2=dict=256MiB", "-c"], data));
            b.Finish();
        }
        using var dev = Open(tmp["a.dmg"]);
        var e = Assert.ThrowsExactly<ImageException>(() => dev.Read(0, new byte[512]));
        StringAssert.Contains(e.Message, "xz: dictionary of 268435456 bytes is larger than a chunk");
    }

    [TestMethod]
    [DataRow("", new byte[0])]
    [DataRow("TWFu", new byte[] { 77, 97, 110 })]
    [DataRow("\tTW\nFu\r\n  TQ==\n", new byte[] { 77, 97, 110, 77 })]
    [DataRow("T*W-F~u", new byte[] { 77, 97, 110 })]
    [DataRow("TWE=junk", new byte[] { 77, 97 })]
    public void Base64SkipsWhatIsNotInTheAlphabet(string text, byte[] expected) =>
        CollectionAssert.AreEqual(expected, LenientBase64.Decode(System.Text.Encoding.ASCII.GetBytes(text)));

    [TestMethod]
    public void TheChunkTableFindsSectorsAndLeavesGaps()
    {
        var t = new DmgChunkTable();
        t.Add(new DmgChunk(DmgChunkType.Raw, 100, 10, 0, 5120, 1));
        t.Add(new DmgChunk(DmgChunkType.Raw, 0, 50, 0, 512, 0));   // out of order: sorted on Seal
        t.Add(new DmgChunk(DmgChunkType.Zero, 60, 0, 0, 0, 2));    // covers nothing: left out
        t.Seal();
        Assert.AreEqual(2, t.Count);
        Assert.AreEqual(0, t.Find(0));
        Assert.AreEqual(0, t.Find(49));
        Assert.AreEqual(-1, t.Find(50));
        Assert.AreEqual(-1, t.Find(99));
        Assert.AreEqual(1, t.Find(109));
        Assert.AreEqual(-1, t.Find(110));
        Assert.AreEqual(-1, t.Find(ulong.MaxValue));
    }
}
