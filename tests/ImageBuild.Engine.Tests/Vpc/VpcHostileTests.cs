using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vpc.VpcTestSupport;
using static ImageBuild.Tests.Shared.BigEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Vpc;

/// <summary>
/// Hostile VHDs where this driver goes further than qemu (whose outcomes the oracle tests compare): parent locators
/// outside the file, writes through a BAT entry into the metadata, a BAT of tens of MiB read in pieces.
/// </summary>
[TestClass]
public sealed class VpcHostileTests
{
    [TestMethod]
    [DataRow(0UL, 0x7FFF_FFFFu)] // a length no parent name needs
    [DataRow(1UL << 40, 20u)] // data past the end of the file
    [DataRow(ulong.MaxValue - 4, 20u)] // an offset that wraps
    public void ParentLocatorOutsideTheFileIsRefusedInOneLine(ulong offset, uint length)
    {
        using var tmp = new TempDir();
        Create(tmp["parent.vhd"], 4 * MiB);
        string child = tmp["child.vhd"];
        Create(child, 0, backing: "parent.vhd");
        PatchU32(child, 512 + HeaderLocators + 8, length);
        PatchU64(child, 512 + HeaderLocators + 16, offset);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(child, noBacking: true));
        Assert.AreEqual($"Could not open '{child}': parent locator 0 (W2ru) at offset {offset} ({length} bytes) lies outside the file ({new FileInfo(child).Length} bytes)", e.Message);
    }

    [TestMethod]
    public void ParentNamedInNoFormThisHostCanOpenIsRefused()
    {
        using var tmp = new TempDir();
        Create(tmp["parent.vhd"], 4 * MiB);
        string child = tmp["child.vhd"];
        Create(child, 0, backing: "parent.vhd");
        // both locators cleared, the unicode name a Windows drive path
        Patch(child, 512 + HeaderLocators, new byte[48]);
        var name = new byte[512];
        System.Text.Encoding.BigEndianUnicode.GetBytes(@"D:\vm\parent.vhd").CopyTo(name, 0);
        Patch(child, 512 + HeaderParentName, name);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(child));
        Assert.AreEqual($"Could not open '{child}': differencing VHD names its parent in no form this host can open: unicode name 'D:\\vm\\parent.vhd'", e.Message);
        using var alone = Open(child, noBacking: true); // read as qemu reads it
        Assert.IsNull(alone.BackingFilename);
        Assert.IsTrue(ReadAll(alone).All(b => b == 0));
    }

    [TestMethod]
    public void WriteThroughABatEntryIntoTheMetadataIsRefused()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vhd"];
        Create(path, 4 * MiB);
        using (var w = Open(path, writable: true))
            w.Write(2 * MiB, Pattern(512, 1)); // the file then reaches past where entry 0 will point
        PatchU32(path, 1536, 1); // block 0 "at" sector 1: the dynamic header
        byte[] header = ReadBytes(path, 512, 1024);
        using (var ro = Open(path))
        {
            var b = new byte[16];
            ro.Read(0, b); // qemu reads whatever the entry names
            CollectionAssert.AreEqual(ReadBytes(path, 1024, 16), b);
        }
        using var dev = Open(path, writable: true);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Write(0, new byte[512]));
        StringAssert.Contains(e.Message, "BAT entry 0 names sector 1 (offset 512), inside the image's metadata");
        CollectionAssert.AreEqual(header, ReadBytes(path, 512, 1024), "the header is untouched");
    }

    /// <summary>A BAT of 32 MiB (8 Mi entries of 512-byte blocks) opens, reads and allocates without a table-sized allocation.</summary>
    [TestMethod]
    public void LargeBatIsReadInPieces()
    {
        using var tmp = new TempDir();
        string path = tmp["big.vhd"];
        const uint entries = 8 << 20;
        const long size = (long)entries * 512; // 4 GiB of 512-byte blocks
        Create(path, size, "force_size=on");
        // rewrite the header for 512-byte blocks and a table of 8 Mi entries at 1536, all unallocated
        PatchU32(path, 512 + HeaderMaxTableEntries, entries);
        PatchU32(path, 512 + HeaderBlockSize, 512);
        PatchU32(path, 512 + HeaderChecksum, Checksum(ReadBytes(path, 512, 1024), HeaderChecksum));
        byte[] footer = ReadBytes(path, 0, 512);
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            f.Position = 1536;
            var ff = new byte[1 << 20];
            Array.Fill(ff, (byte)0xFF);
            for (int i = 0; i < entries * 4L / ff.Length; i++)
                f.Write(ff);
            f.Write(footer);
            f.SetLength(f.Position);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var dev = Open(path, writable: true))
        {
            dev.Write(size - 1024, Pattern(1024, 3));
            var back = new byte[1024];
            dev.Read(size - 1024, back);
            CollectionAssert.AreEqual(Pattern(1024, 3), back);
            var st = BlockLayer.GetStatus(dev, 0, size);
            Assert.IsTrue(st.IsZero && st.Length > 1000 * 512L, "unallocated runs are reported at once");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsTrue(allocated < 24L << 20, $"allocated {allocated} bytes for a 32 MiB table");
        // qemu's bitmap size, (512 / 4096 + 511) & ~511, is 0 for 512-byte blocks
        Assert.AreEqual(1536 + entries * 4L + 2 * 512 + 512, new FileInfo(path).Length, "two 512-byte blocks (no bitmap, as qemu computes it) and the footer after the table");
    }
}

/// <summary>Fixed disks whose footer claims more than the data area: writes never reach a footer.</summary>
[TestClass]
public sealed class VpcFixedHostileTests
{
    [TestMethod]
    public void WriteOverTheFooterOfAnOversizedFixedDiskIsRefused()
    {
        using var tmp = new TempDir();
        string path = tmp["f.vhd"];
        Create(path, MiB, "subformat=fixed,force_size=on");
        long footer = new FileInfo(path).Length - 512;
        // a Hyper-V creator (sized by current_size) and 64 KiB more than the file holds
        Patch(path, footer + FooterCreatorApp, "win "u8.ToArray());
        PatchU64(path, footer + FooterCurrentSize, MiB + 65536);
        FixFooterChecksum(path, footer);
        byte[] before = ReadBytes(path, footer, 512);
        using var dev = Open(path, writable: true);
        Assert.AreEqual(MiB + 65536L, dev.VirtualSize);
        dev.Write(MiB - 512, Pattern(512, 1)); // the last sector of the data area
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => dev.Write(MiB, Pattern(512, 2)));
        StringAssert.Contains(e.Message, "would overwrite the fixed disk's footer");
        CollectionAssert.AreEqual(before, ReadBytes(path, footer, 512), "the footer is intact");
        var back = new byte[1024];
        dev.Read(MiB - 512, back); // reading past the data area gives the footer's bytes, as qemu reads the file
        CollectionAssert.AreEqual(Pattern(512, 1), back[..512]);
        CollectionAssert.AreEqual(before, back[512..]);
    }
}
