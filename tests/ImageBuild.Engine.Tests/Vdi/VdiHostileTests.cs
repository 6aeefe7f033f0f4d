using ImageBuild.Engine.Formats.Vdi;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vdi.VdiTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Vdi;

/// <summary>Headers and maps no writer makes: one-line errors naming the file, no huge allocation, no writes astray.</summary>
[TestClass]
public sealed class VdiHostileTests
{
    [TestMethod]
    [DataRow(BlocksInImage, 0x1fffff80u)] // the most blocks qemu opens: a 2 GiB map in a 1 MiB file
    [DataRow(OffsetBmap, 0xfffffe00u)]
    public void AMapPastTheEndOfTheFileIsRefusedWithoutReadingIt(int field, uint value)
    {
        using var tmp = new TempDir();
        string path = tmp["h.vdi"];
        Create(path, 4 * MiB);
        PatchU32(path, field, value);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsExactly<ImageException>(() => Open(path));
        Assert.IsTrue(GC.GetAllocatedBytesForCurrentThread() - before < 4 * MiB, "nothing the size of the map allocated");
        StringAssert.StartsWith(e.Message, $"Could not open '{path}': '{path}': block map at offset ");
        StringAssert.Contains(e.Message, "lies past the end of the file (1024 bytes)");
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    [TestMethod]
    public void AnEntryPastTheEndOfTheFileReadsAsZerosLikeQemuButIsNotWrittenThrough()
    {
        using var tmp = new TempDir();
        string path = tmp["h.vdi"];
        Create(path, 4 * MiB);
        PatchU32(path, 0x200 + 4, 0x00100000); // guest block 1 names data block 1 Mi: 1 TiB into the file
        PatchU32(path, BlocksAllocated, 1);
        using var dev = Open(path, writable: true);
        var back = new byte[MiB];
        dev.Read(MiB, back);
        Assert.IsTrue(back.All(b => b == 0));
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Write(MiB, new byte[512]));
        Assert.AreEqual($"'{path}': block map entry 1 names data block 1048576, past blocks_in_image (4)", e.Message);
        Assert.AreEqual(1024L, new FileInfo(path).Length, "no file a terabyte long");
    }

    [TestMethod]
    public void AnAllocationPastBlocksInImageIsRefusedAndNothingIsWritten()
    {
        using var tmp = new TempDir();
        string path = tmp["h.vdi"];
        Create(path, 4 * MiB);
        PatchU32(path, BlocksAllocated, 0xFFFFFFF0);
        byte[] before = File.ReadAllBytes(path);
        using (var dev = Open(path, writable: true))
        {
            var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Write(0, new byte[512]));
            StringAssert.Contains(e.Message, "blocks_allocated (4294967280) is not below blocks_in_image (4)");
        }
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
    }

    [TestMethod]
    public void DataThatWouldLandOnTheHeaderOrMapIsNotWritten()
    {
        using var tmp = new TempDir();
        string path = tmp["h.vdi"];
        Create(path, 4 * MiB);
        PatchU32(path, OffsetData, 0);
        byte[] before = File.ReadAllBytes(path);
        using (var dev = Open(path, writable: true))
        {
            var back = new byte[512];
            dev.Read(0, back); // unallocated: zeros, whatever offset_data says
            Assert.IsTrue(back.All(b => b == 0));
            var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Write(0, new byte[512]));
            Assert.AreEqual($"'{path}': data block 0 at offset 0 overlaps the header or the block map", e.Message);
        }
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
    }

    [TestMethod]
    public void AShortFileReadsAsZerosPastItsEndAsQemuReadsIt()
    {
        using var tmp = new TempDir();
        string path = tmp["h.vdi"];
        Create(path, 4 * MiB);
        byte[] head = File.ReadAllBytes(path)[..100];
        File.WriteAllBytes(path, head);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(path));
        Assert.AreEqual($"Could not open '{path}': unsupported VDI image (sector size 0 is not 512)", e.Message);
    }
}
