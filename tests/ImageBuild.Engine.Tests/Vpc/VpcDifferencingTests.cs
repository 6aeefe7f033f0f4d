using System.Buffers.Binary;
using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vpc.VpcTestSupport;
using static ImageBuild.Tests.Shared.BigEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Vpc;

/// <summary>
/// Differencing VHDs (type 4, beyond qemu 7.2): the parent found through the locators and checked by UUID, sectors
/// read from the child where their bitmap bit is set and from the parent elsewhere, writes that set only the written
/// sectors' bits, commit and rebase.
/// </summary>
[TestClass]
public sealed class VpcDifferencingTests
{
    private const long Size = 6 * MiB;

    /// <summary>parent.vhd filled with 0x11 over its whole (CHS-rounded) size, child.vhd made over it with create -b.</summary>
    private static (string Parent, string Child) MakePair(TempDir tmp)
    {
        string parent = tmp["parent.vhd"], child = tmp["child.vhd"];
        Create(parent, Size);
        using (var p = Open(parent, writable: true))
        {
            var fill = new byte[p.VirtualSize];
            Array.Fill(fill, (byte)0x11);
            p.Write(0, fill);
        }
        Create(child, 0, backing: "parent.vhd");
        return (parent, child);
    }

    [TestMethod]
    public void ChildMadeWithBackingReadsItsParentAndRecordsIt()
    {
        using var tmp = new TempDir();
        var (parent, child) = MakePair(tmp);
        using var dev = Open(child);
        using var par = Open(parent);
        Assert.AreEqual(par.VirtualSize, dev.VirtualSize, "a differencing VHD has its parent's size");
        Assert.AreEqual("parent.vhd", dev.BackingFilename);
        Assert.AreEqual("vpc", dev.BackingFormat);
        Assert.IsNotNull(dev.Backing);
        CollectionAssert.AreEqual(ReadAll(par), ReadAll(dev));
        Assert.AreEqual(4u, ReadU32(child, FooterDiskType), "type 4");
        CollectionAssert.AreEqual(ReadBytes(parent, FooterUniqueId, 16), ReadBytes(child, 512 + HeaderParentUniqueId, 16), "parent UUID");
        // W2ru: ".\parent.vhd" in UTF-16LE, then W2ku (absolute); both before the BAT
        Assert.AreEqual(0x57327275u, ReadU32(child, 512 + HeaderLocators));
        uint length = ReadU32(child, 512 + HeaderLocators + 8);
        long at = (long)BinaryPrimitives.ReadUInt64BigEndian(ReadBytes(child, 512 + HeaderLocators + 16, 8));
        Assert.AreEqual(@".\parent.vhd", Encoding.Unicode.GetString(ReadBytes(child, at, (int)length)));
        Assert.AreEqual(0x57326B75u, ReadU32(child, 512 + HeaderLocators + 24));
        Assert.AreEqual(Checksum(ReadBytes(child, 512, 1024), HeaderChecksum), ReadU32(child, 512 + HeaderChecksum), "header checksum");
        Assert.AreEqual(Checksum(ReadBytes(child, 0, 512), FooterChecksum), ReadU32(child, FooterChecksum), "footer checksum");
        var st = BlockLayer.GetStatusAbove(dev, null, 0, dev.VirtualSize);
        Assert.AreEqual(1, st.Depth, "an empty child leaves everything to its parent");
    }

    [TestMethod]
    public void WritesSetOnlyTheWrittenSectorsAndTheRestOfTheBlockReadsFromTheParent()
    {
        using var tmp = new TempDir();
        var (parent, child) = MakePair(tmp);
        byte[] data = Pattern(1000, 5);
        using (var dev = Open(child, writable: true))
        {
            dev.Write(2 * MiB + 700, data); // sectors 1..3 of block 1, partly: the rest of those sectors from the parent
            dev.Write(2 * MiB + 8 * 512, Pattern(512, 9)); // sector 8 of the same (now allocated) block
        }
        using var ro = Open(child);
        var block = new byte[2 * MiB];
        ro.Read(2 * MiB, block);
        CollectionAssert.AreEqual(data, block[700..1700]);
        Assert.IsTrue(block[..700].All(b => b == 0x11), "sector 1 before the write: the parent's bytes (read-modify-write)");
        Assert.IsTrue(block[1700..(8 * 512)].All(b => b == 0x11), "the rest of sector 3 and sectors 4..7: the parent");
        CollectionAssert.AreEqual(Pattern(512, 9), block[(8 * 512)..(9 * 512)]);
        Assert.IsTrue(block[(9 * 512)..].All(b => b == 0x11), "the rest of the block: the parent");

        // the block's bitmap (MSB first): sectors 1, 2, 3 and 8
        long tableOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(ReadBytes(child, 512 + HeaderTableOffset, 8));
        long bitmapAt = 512L * ReadU32(child, tableOffset + 4);
        byte[] bitmap = ReadBytes(child, bitmapAt, 2);
        Assert.AreEqual(0b0111_0000, bitmap[0]);
        Assert.AreEqual(0b1000_0000, bitmap[1]);

        // block status: sector 0 is the parent's, 1..3 the child's
        var s0 = BlockLayer.GetStatusAbove(ro, null, 2 * MiB, MiB);
        Assert.AreEqual((1, 512L), (s0.Depth, s0.Length));
        var s1 = BlockLayer.GetStatusAbove(ro, null, 2 * MiB + 512, MiB);
        Assert.AreEqual((0, 3 * 512L), (s1.Depth, s1.Length));
        Assert.IsTrue(s1.IsData && s1.HasOffset);
        Assert.AreEqual(bitmapAt + 512 + 512, s1.HostOffset);

        using var par = Open(parent);
        Assert.IsTrue(ReadAll(par).All(b => b == 0x11), "the parent is untouched");
    }

    [TestMethod]
    public void NoBackingReadsTheChildAsQemuDoes()
    {
        using var tmp = new TempDir();
        var (_, child) = MakePair(tmp);
        using (var dev = Open(child, writable: true))
            dev.Write(512, Pattern(512, 3));
        using var alone = Open(child, noBacking: true);
        Assert.IsNull(alone.Backing);
        Assert.AreEqual("parent.vhd", alone.BackingFilename, "the parent is still named");
        byte[] all = ReadAll(alone);
        CollectionAssert.AreEqual(Pattern(512, 3), all[512..1024]);
        Assert.IsTrue(all[..512].All(b => b == 0) && all[1024..].All(b => b == 0), "qemu reads the whole block from the child and unallocated blocks as zeros");
        var st = BlockLayer.GetStatus(alone, 2 * MiB, MiB);
        Assert.IsTrue(st.IsZero && st.IsAllocated, "an unallocated block is zeros, as qemu reports");
    }

    [TestMethod]
    public void MissingParentFailsWithTheBlockLayersMessage()
    {
        using var tmp = new TempDir();
        var (parent, child) = MakePair(tmp);
        File.Delete(parent);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(child));
        Assert.AreEqual($"Could not open '{child}': Could not open backing file: Could not open '{parent}': No such file or directory", e.Message);
    }

    [TestMethod]
    public void ParentWithAnotherUuidIsRefusedNamingBothFilesAndUuids()
    {
        using var tmp = new TempDir();
        var (parent, child) = MakePair(tmp);
        Guid recorded = new(ReadBytes(child, 512 + HeaderParentUniqueId, 16), bigEndian: true);
        File.Delete(parent);
        Create(parent, Size); // another disk under the same name
        Guid found = new(ReadBytes(parent, FooterUniqueId, 16), bigEndian: true);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(child));
        Assert.AreEqual($"Could not open '{child}': parent '{parent}' has UUID {found}, but differencing VHD '{child}' records parent UUID {recorded}", e.Message);
    }

    [TestMethod]
    public void CommitWritesTheChildsSectorsIntoTheParent()
    {
        using var tmp = new TempDir();
        var (parent, child) = MakePair(tmp);
        using (var dev = Open(child, writable: true))
        {
            dev.Write(MiB, Pattern(4096, 1));
            dev.Write(5 * MiB + 512, Pattern(512, 2));
        }
        byte[] expected;
        using (var dev = Open(child))
            expected = ReadAll(dev);
        ImageCommitter.Commit(Ctx(), new CommitRequest { Filename = child, Format = "vpc" });
        using (var par = Open(parent))
            CollectionAssert.AreEqual(expected, ReadAll(par), "the parent holds the child's view");
        using (var dev = Open(child))
            CollectionAssert.AreEqual(expected, ReadAll(dev), "the child still opens over its parent (same UUID) and reads the same");
    }

    [TestMethod]
    public void SafeRebaseKeepsTheContentAndRecordsTheNewParent()
    {
        using var tmp = new TempDir();
        var (_, child) = MakePair(tmp);
        string other = tmp["other.vhd"];
        Create(other, Size);
        using (var o = Open(other, writable: true))
            o.Write(0, Pattern(3 * MiB, 7));
        using (var dev = Open(child, writable: true))
            dev.Write(4 * MiB, Pattern(1024, 4));
        byte[] before;
        using (var dev = Open(child))
            before = ReadAll(dev);

        ImageRebaser.Rebase(Ctx(), new RebaseRequest { Filename = child, Format = "vpc", BackingFile = "other.vhd", BackingFormat = "vpc" });
        using (var dev = Open(child))
        {
            Assert.AreEqual("other.vhd", dev.BackingFilename);
            CollectionAssert.AreEqual(before, ReadAll(dev), "safe rebase keeps what the child reads");
        }
        CollectionAssert.AreEqual(ReadBytes(other, FooterUniqueId, 16), ReadBytes(child, 512 + HeaderParentUniqueId, 16));
        Assert.AreEqual(Checksum(ReadBytes(child, 512, 1024), HeaderChecksum), ReadU32(child, 512 + HeaderChecksum), "header checksum");
    }

    [TestMethod]
    public void UnsafeRebaseOnlyRenamesTheParent()
    {
        using var tmp = new TempDir();
        var (parent, child) = MakePair(tmp);
        string copy = tmp["sub/copy.vhd"];
        Directory.CreateDirectory(tmp["sub"]);
        File.Copy(parent, copy); // the same disk (same UUID) under another name
        ImageRebaser.Rebase(Ctx(), new RebaseRequest { Filename = child, Format = "vpc", BackingFile = "sub/copy.vhd", BackingFormat = "vpc", Unsafe = true });
        File.Delete(parent);
        using var dev = Open(child);
        Assert.AreEqual("sub/copy.vhd", dev.BackingFilename);
        Assert.IsTrue(ReadAll(dev).All(b => b == 0x11));
        uint length = ReadU32(child, 512 + HeaderLocators + 8);
        long at = (long)BinaryPrimitives.ReadUInt64BigEndian(ReadBytes(child, 512 + HeaderLocators + 16, 8));
        Assert.AreEqual(@".\sub\copy.vhd", Encoding.Unicode.GetString(ReadBytes(child, at, (int)length)));
    }

    [TestMethod]
    public void RebaseOntoNothingMakesADynamicDiskWithTheWholeContent()
    {
        using var tmp = new TempDir();
        var (parent, child) = MakePair(tmp);
        byte[] before;
        using (var dev = Open(child))
            before = ReadAll(dev);
        ImageRebaser.Rebase(Ctx(), new RebaseRequest { Filename = child, Format = "vpc", BackingFile = "" });
        File.Delete(parent);
        Assert.AreEqual(3u, ReadU32(child, FooterDiskType));
        Assert.AreEqual(3u, ReadU32(child, new FileInfo(child).Length - 512 + FooterDiskType));
        using var dev2 = Open(child);
        Assert.IsNull(dev2.BackingFilename);
        CollectionAssert.AreEqual(before, ReadAll(dev2));
    }

    [TestMethod]
    public void RebaseOfADynamicDiskIsRefusedAsInQemu()
    {
        using var tmp = new TempDir();
        var (parent, _) = MakePair(tmp);
        string other = tmp["other.vhd"];
        Create(other, Size);
        var e = Assert.ThrowsExactly<ImageException>(() => ImageRebaser.Rebase(Ctx(),
            new RebaseRequest { Filename = parent, Format = "vpc", BackingFile = "other.vhd", BackingFormat = "vpc", Unsafe = true }));
        StringAssert.Contains(e.Message, "Operation not supported");
    }

    [TestMethod]
    public void ParentChainLoopThroughLocatorsIsDetected()
    {
        using var tmp = new TempDir();
        var (_, a) = MakePair(tmp); // child.vhd -> parent.vhd
        string b = tmp["b.vhd"];
        Create(b, 0, backing: "child.vhd"); // b -> child
        // child -> b: the same UUID check passes (b records child's UUID, child now records b's)
        ImageRebaser.Rebase(Ctx(), new RebaseRequest { Filename = a, Format = "vpc", BackingFile = "b.vhd", BackingFormat = "vpc", Unsafe = true });
        var e = Assert.ThrowsExactly<ImageException>(() => Open(a));
        StringAssert.Contains(e.Message, "creates an infinite loop");
    }

    /// <summary>
    /// A differencing VHD written here field by field from the specification (not by this driver): 4 KiB blocks, a
    /// W2ru locator, an ignored Mac alias, a block whose bitmap sets sectors 0, 1, 6 and 7, a block with no bit set.
    /// </summary>
    [TestMethod]
    public void HandMadeChildFromTheSpecificationReadsPerSector()
    {
        using var tmp = new TempDir();
        string parent = tmp["base.vhd"], child = tmp["hand.vhd"];
        Create(parent, MiB, "force_size=on");
        using (var p = Open(parent, writable: true))
        {
            var fill = new byte[MiB];
            Array.Fill(fill, (byte)0x11);
            p.Write(0, fill);
        }
        const int blockSize = 4096, entries = MiB / blockSize, bitmapSize = 512;
        const long header = 512, locator = 1536, bat = 2048, block1 = bat + entries * 4, block3 = block1 + bitmapSize + blockSize;
        long end = block3 + bitmapSize + blockSize;
        var file = new byte[end + 512];

        var footer = file.AsSpan(0, 512);
        "conectix"u8.CopyTo(footer);
        BinaryPrimitives.WriteUInt32BigEndian(footer[8..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(footer[12..], 0x10000);
        BinaryPrimitives.WriteUInt64BigEndian(footer[16..], (ulong)header);
        "win "u8.CopyTo(footer[28..]); // sized by current_size
        "Wi2k"u8.CopyTo(footer[36..]);
        BinaryPrimitives.WriteUInt64BigEndian(footer[40..], MiB);
        BinaryPrimitives.WriteUInt64BigEndian(footer[48..], MiB);
        BinaryPrimitives.WriteUInt16BigEndian(footer[56..], 31);
        footer[58] = 4;
        footer[59] = 17;
        BinaryPrimitives.WriteUInt32BigEndian(footer[60..], 4);
        Guid.NewGuid().TryWriteBytes(footer[68..], bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32BigEndian(footer[64..], Checksum(footer, 64));

        var h = file.AsSpan((int)header, 1024);
        "cxsparse"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt64BigEndian(h[8..], ulong.MaxValue);
        BinaryPrimitives.WriteUInt64BigEndian(h[16..], (ulong)bat);
        BinaryPrimitives.WriteUInt32BigEndian(h[24..], 0x10000);
        BinaryPrimitives.WriteUInt32BigEndian(h[28..], entries);
        BinaryPrimitives.WriteUInt32BigEndian(h[32..], blockSize);
        ReadBytes(parent, FooterUniqueId, 16).CopyTo(h[40..]);
        Encoding.BigEndianUnicode.GetBytes(@"C:\Images\base.vhd").CopyTo(h[64..]);
        byte[] w2ru = Encoding.Unicode.GetBytes(@".\base.vhd");
        BinaryPrimitives.WriteUInt32BigEndian(h[576..], 0x4D616320); // "Mac ": an alias, ignored
        BinaryPrimitives.WriteUInt32BigEndian(h[580..], 512);
        BinaryPrimitives.WriteUInt32BigEndian(h[584..], 16);
        BinaryPrimitives.WriteUInt64BigEndian(h[592..], (ulong)locator);
        BinaryPrimitives.WriteUInt32BigEndian(h[600..], 0x57327275); // "W2ru"
        BinaryPrimitives.WriteUInt32BigEndian(h[604..], 512);
        BinaryPrimitives.WriteUInt32BigEndian(h[608..], (uint)w2ru.Length);
        BinaryPrimitives.WriteUInt64BigEndian(h[616..], (ulong)locator);
        w2ru.CopyTo(file, locator);
        BinaryPrimitives.WriteUInt32BigEndian(h[36..], Checksum(h, 36));

        for (int i = 0; i < entries; i++)
            BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan((int)bat + i * 4), 0xFFFFFFFF);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan((int)bat + 4), (uint)(block1 / 512));
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan((int)bat + 12), (uint)(block3 / 512));
        file[block1] = 0b1100_0011; // sectors 0, 1, 6, 7 in the child
        for (int s = 0; s < 8; s++)
            Array.Fill(file, (byte)(0xC0 + s), (int)(block1 + bitmapSize + s * 512), 512);
        Array.Fill(file, (byte)0xEE, (int)(block3 + bitmapSize), blockSize); // no bit set: never read
        file.AsSpan(0, 512).CopyTo(file.AsSpan((int)end));
        File.WriteAllBytes(child, file);

        using var dev = Open(child);
        Assert.AreEqual("base.vhd", dev.BackingFilename, "from W2ru");
        Assert.AreEqual((long)MiB, dev.VirtualSize);
        var b1 = new byte[blockSize];
        dev.Read(blockSize, b1);
        for (int s = 0; s < 8; s++)
        {
            byte want = s is 0 or 1 or 6 or 7 ? (byte)(0xC0 + s) : (byte)0x11;
            Assert.IsTrue(b1.AsSpan(s * 512, 512).ToArray().All(b => b == want), $"sector {s}");
        }
        dev.Read(3 * blockSize, b1);
        Assert.IsTrue(b1.All(b => b == 0x11), "a block with no bit set reads from the parent");
        var unaligned = new byte[700];
        dev.Read(blockSize + 1000, unaligned); // across sectors 1 (child), 2, 3 (parent)
        Assert.IsTrue(unaligned[..24].All(b => b == 0xC1) && unaligned[24..].All(b => b == 0x11));

        using var alone = Open(child, noBacking: true);
        alone.Read(3 * blockSize, b1);
        Assert.IsTrue(b1.All(b => b == 0xEE), "alone, as qemu 7.2: the block's data whatever its bitmap");
    }
}
