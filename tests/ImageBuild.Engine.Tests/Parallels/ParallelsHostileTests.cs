using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Parallels.ParallelsTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Parallels;

/// <summary>Hostile headers and tables: qemu's one-line refusals, bounded memory, no .NET exception text.</summary>
[TestClass]
public sealed class ParallelsHostileTests
{
    private static string Make(TempDir tmp)
    {
        string path = tmp["a.hdd"];
        Create(path, 16384, clusterSize: 4096);
        return path;
    }

    private static string OpenError(string path, bool writable = false) =>
        Assert.ThrowsExactly<ImageException>(() => Open(path, writable)).Message;

    [TestMethod]
    [DataRow(VersionField, 3u, "Image not in Parallels format")]
    [DataRow(Tracks, 0u, "Invalid image: Zero sectors per track")]
    [DataRow(Tracks, 4186128u, "Invalid image: Too big cluster")]
    [DataRow(BatEntries, 0x20000000u, "Catalog too large")]
    public void HeaderFieldsQemuRefusesAreRefusedWithItsWords(int field, uint value, string message)
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        PatchU32(path, field, value);
        StringAssert.Contains(OpenError(path), message);
    }

    [TestMethod]
    public void AWrongMagicIsNotParallels()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        Patch(path, 0, "WithoutFreeSpacf"u8.ToArray());
        StringAssert.Contains(OpenError(path), "Image not in Parallels format");
    }

    [TestMethod]
    public void ATableLargerThanOneReadIsAnIoErrorAsInQemu()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        PatchU32(path, BatEntries, 0x1FFFFFFF);
        Assert.AreEqual($"Could not open '{path}': Could not open '{path}': Input/output error", OpenError(path));
    }

    [TestMethod]
    public void AHugeTableMostlyPastTheEndOfTheFileOpensWithoutReadingItAll()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        PatchU32(path, BatEntries, 0x1FFFFF00);
        PatchU64(path, NbSectors, 0x1FFFFF00UL * 8);
        long before = GC.GetTotalAllocatedBytes();
        using (var dev = Open(path))
        {
            var buf = new byte[4096];
            dev.Read(dev.VirtualSize - 4096, buf);
            Assert.IsTrue(buf.All(b => b == 0));
        }
        Assert.IsTrue(GC.GetTotalAllocatedBytes() - before < 64L << 20, "bounded memory: the 2 GiB table is never held");
    }

    [TestMethod]
    [DataRow((1UL << 54) - (1UL << 21) + 1)]
    [DataRow(ulong.MaxValue)]
    public void AVirtualSizePastQemusLimitIsRefused(ulong sectors)
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        PatchU64(path, NbSectors, sectors);
        StringAssert.Contains(OpenError(path), "Could not refresh total sector count: File too large");
    }

    [TestMethod]
    public void AWritePastTheTableIsRefusedNotAsserted()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        PatchU64(path, NbSectors, 64); // 32 KiB of guest space, 4 table entries of 4 KiB
        using var dev = Open(path, writable: true);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Write(20480, new byte[512]));
        StringAssert.Contains(e.Message, "the BAT has only 4 entries");
    }

    [TestMethod]
    public void AnEntryPointingIntoTheTableIsReadButNotWrittenThrough()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        Patch(path, 0, "WithoutFreeSpace"u8.ToArray());
        PatchU32(path, BatEntries, 1000); // the table now reaches byte 4064
        PatchU64(path, NbSectors, 8000);
        PatchU32(path, Bat, 1); // old format: guest cluster 0 at sector 1, inside the table
        using var dev = Open(path, writable: true);
        var buf = new byte[512];
        dev.Read(0, buf); // qemu reads whatever the entry names: here the table's own zeros
        Assert.IsTrue(buf.All(b => b == 0));
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Write(0, new byte[512]));
        StringAssert.Contains(e.Message, "inside the header or the BAT");
    }

    [TestMethod]
    public void DataOffInsideTheTableRefusesAllocation()
    {
        using var tmp = new TempDir();
        string path = Make(tmp);
        PatchU32(path, BatEntries, 1000); // the table now reaches byte 4064
        PatchU64(path, NbSectors, 8000);
        PatchU32(path, DataOff, 2); // and data would go at byte 1024
        using var dev = Open(path, writable: true);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Write(0, new byte[512]));
        StringAssert.Contains(e.Message, "starts inside the header or the BAT");
    }
}
