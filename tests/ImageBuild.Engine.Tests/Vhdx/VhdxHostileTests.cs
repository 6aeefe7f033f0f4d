using ImageBuild.Engine.Formats.Vhdx;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vhdx.VhdxTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Vhdx;

/// <summary>Headers, regions, metadata and tables no writer makes: one-line errors naming the file, bounded memory, no hang.</summary>
[TestClass]
public sealed class VhdxHostileTests
{
    private static string Made(TempDir tmp, long size = 16 * MiB, params (string, string)[] options)
    {
        string path = tmp["h.vhdx"];
        Create(path, size, options);
        return path;
    }

    private static ImageException Refused(string path)
    {
        var e = Assert.ThrowsExactly<ImageException>(() => Open(path).Dispose());
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
        StringAssert.StartsWith(e.Message, $"Could not open '{path}': ");
        return e;
    }

    private static ImageException RefusedAny(string path)
    {
        try
        {
            Open(path).Dispose();
        }
        catch (ImageException e)
        {
            Assert.IsFalse(e.Message.Contains('\n'), e.Message);
            StringAssert.Contains(e.Message, path);
            return e;
        }
        throw new AssertFailedException("the image opened");
    }

    [TestMethod]
    public void BothHeadersBadIsNoValidHeader()
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        Patch(path, 0x10010, [0xEE]);
        using (Open(path)) { } // one bad header: the other is used
        Patch(path, 0x20010, [0xEE]);
        Assert.AreEqual($"Could not open '{path}': No valid VHDX header found", Refused(path).Message);
    }

    [TestMethod]
    public void AHeaderOfVersionTwoIsNotValid()
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        var raw = File.ReadAllBytes(path).AsSpan(0x10000, 4096).ToArray();
        raw[66] = 2;
        VhdxChecksum.Update(raw, 4);
        Patch(path, 0x10000, raw);
        Patch(path, 0x20000, raw);
        Assert.AreEqual($"Could not open '{path}': No valid VHDX header found", Refused(path).Message);
    }

    [TestMethod]
    [DataRow(0x30020)] // a region table byte: checksum wrong
    [DataRow(0x30000)] // the signature
    public void ABadRegionTableIsInvalid(int offset)
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        Patch(path, offset, [0x55]);
        Assert.AreEqual($"Could not open '{path}': Could not open '{path}': Invalid argument", Refused(path).Message);
    }

    [TestMethod]
    public void OverlappingRegionsAreReportedAndRefused()
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        var table = File.ReadAllBytes(path).AsSpan(0x30000, 0x10000).ToArray();
        BitConverterLe(table, 0x30 + 0x10, 2L * MiB); // the metadata region moved onto the BAT
        VhdxChecksum.Update(table, 4);
        Patch(path, 0x30000, table);
        var warnings = new List<string>();
        var ctx = new ImageBuild.Engine.Block.ImageContext(ImageBuild.Engine.Block.FormatRegistry.CreateDefault(), warnings.Add);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(path, ctx: ctx).Dispose());
        StringAssert.EndsWith(e.Message, "Invalid argument");
        CollectionAssert.AreEqual(new[] { "VHDX region 2097152-3145728 overlaps with region 2097152-3145728" }, warnings);
    }

    [TestMethod]
    public void ARegionPastTheEndOfTheFileIsRefused()
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        var table = File.ReadAllBytes(path).AsSpan(0x30000, 0x10000).ToArray();
        BitConverterLe(table, 0x10 + 0x10, 1L << 40); // the BAT region 1 TiB into an 8 MiB file
        VhdxChecksum.Update(table, 4);
        Patch(path, 0x30000, table);
        StringAssert.Contains(RefusedAny(path).Message, "BAT region at offset 1099511627776 (1048576 bytes) lies past the end of the file (8388608 bytes)");
    }

    /// <summary>
    /// The BAT is bounded by its region: a 64 TiB virtual size with 1 MiB blocks needs 64 Mi entries (513 MiB), which
    /// a 1 MiB region cannot hold — refused as qemu refuses it, before anything that size is read or allocated.
    /// </summary>
    [TestMethod]
    public void ABatLargerThanItsRegionIsRefusedWithoutAllocatingIt()
    {
        using var tmp = new TempDir();
        string path = Made(tmp, 16 * MiB, ("block_size", "1M"));
        PatchU64(path, Items + 8, 64UL << 40);
        long before = GC.GetAllocatedBytesForCurrentThread();
        StringAssert.EndsWith(Refused(path).Message, "Invalid argument");
        Assert.IsTrue(GC.GetAllocatedBytesForCurrentThread() - before < 4 * MiB, "nothing the size of the BAT allocated");
    }

    /// <summary>A real 64 TiB image with 1 MiB blocks (a 513 MiB BAT, sparse) opens, reads and writes with the table read in pages.</summary>
    [TestMethod]
    public void ASixtyFourTebibyteImageWithOneMebibyteBlocksNeedsNoHugeArray()
    {
        using var tmp = new TempDir();
        string path = Made(tmp, 64L << 40, ("block_size", "1M"), ("block_state_zero", "off"));
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var dev = Open(path, writable: true))
        {
            Assert.AreEqual(64L << 40, dev.VirtualSize);
            var data = Pattern(4096, 7);
            dev.Write(dev.VirtualSize - 4096, data);
            var back = new byte[4096];
            dev.Read(dev.VirtualSize - 4096, back);
            CollectionAssert.AreEqual(data, back);
        }
        Assert.IsTrue(GC.GetAllocatedBytesForCurrentThread() - before < 64 * MiB, "the BAT is read in pages, never whole");
        using var ro = Open(path);
        var again = new byte[4096];
        ro.Read(ro.VirtualSize - 4096, again);
        CollectionAssert.AreEqual(Pattern(4096, 7), again);
    }

    [TestMethod]
    public void AMetadataItemOutsideTheRegionIsRefused()
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        PatchU32(path, Metadata + 32 + 16, 0xFFFFFF00); // file parameters item offset
        StringAssert.Contains(RefusedAny(path).Message, "lies outside the metadata region (1048576 bytes)");
    }

    [TestMethod]
    [DataRow(3u << 20)]   // not a power of two
    [DataRow(512u << 20)] // above 256 MiB
    [DataRow(4096u)]      // below 1 MiB
    public void ABadBlockSizeIsInvalid(uint blockSize)
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        PatchU32(path, Items, blockSize);
        StringAssert.EndsWith(Refused(path).Message, ": Invalid argument");
    }

    [TestMethod]
    [DataRow(1024u)]
    [DataRow(0u)]
    public void ASectorSizeOtherThan512Or4096IsNotSupported(uint sectorSize)
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        PatchU32(path, Items + 32, sectorSize);
        StringAssert.EndsWith(Refused(path).Message, ": Operation not supported");
    }

    [TestMethod]
    public void ATableClaimingMoreEntriesThanFitIsInvalid()
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        Patch(path, Metadata + 10, [0xFF, 0xFF]);
        StringAssert.EndsWith(Refused(path).Message, ": Invalid argument");
    }

    [TestMethod]
    public void AFullyPresentBlockOverTheLogIsReported()
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        PatchU64(path, Bat, (1UL << 20) | VhdxBatEntry.FullyPresent);
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(24 * MiB); // the block's end inside the file
        var warnings = new List<string>();
        var ctx = new ImageBuild.Engine.Block.ImageContext(ImageBuild.Engine.Block.FormatRegistry.CreateDefault(), warnings.Add);
        Assert.ThrowsExactly<ImageException>(() => Open(path, ctx: ctx).Dispose());
        CollectionAssert.AreEqual(new[] { "VHDX region 1048576-9437184 overlaps with region 3145728-4194304" }, warnings);
    }

    [TestMethod]
    public void AGarbageLogNamedByTheHeaderIsIgnoredAsQemuIgnoresIt()
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        foreach (long h in new long[] { 0x10000, 0x20000 })
        {
            var raw = File.ReadAllBytes(path).AsSpan((int)h, 4096).ToArray();
            Guid.NewGuid().TryWriteBytes(raw.AsSpan(48, 16));
            VhdxChecksum.Update(raw, 4);
            Patch(path, h, raw);
        }
        Patch(path, MiB, Pattern(64 << 10, 3)); // noise where the log is
        using var dev = Open(path);
        var b = new byte[4096];
        dev.Read(0, b);
        Assert.IsTrue(b.All(x => x == 0));
    }

    [TestMethod]
    public void ATruncatedFileNeverHangsOrThrowsOtherThanImageException()
    {
        using var tmp = new TempDir();
        string path = Made(tmp);
        byte[] whole = File.ReadAllBytes(path);
        foreach (int length in new[] { 0, 7, 100, 0x10000, 0x10800, 0x30010, 0x200000, 0x300100 })
        {
            File.WriteAllBytes(path, whole[..length]);
            RefusedAny(path);
        }
    }

    private static void BitConverterLe(byte[] b, int at, long value) =>
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(at), value);
}
