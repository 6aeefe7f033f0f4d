using ImageBuild.Engine.Formats.Vhdx;

namespace ImageBuild.Engine.Tests.Vhdx;

/// <summary>The on-disk structures and the sizes the spec and qemu derive from them.</summary>
[TestClass]
public sealed class VhdxStructureTests
{
    private const long MiB = 1 << 20, GiB = 1L << 30, TiB = 1L << 40;

    /// <summary>qemu's automatic block size (observed with qemu-img 7.2: 1G→8M, 1025M→16M, 100G→16M, 101G→32M, 32T→32M, 33T→64M).</summary>
    [TestMethod]
    [DataRow(1 * GiB, 8 * MiB)]
    [DataRow(1025 * MiB, 16 * MiB)]
    [DataRow(100 * GiB, 16 * MiB)]
    [DataRow(101 * GiB, 32 * MiB)]
    [DataRow(32 * TiB, 32 * MiB)]
    [DataRow(33 * TiB, 64 * MiB)]
    public void AutoBlockSizeIsQemus(long size, long blockSize) =>
        Assert.AreEqual(blockSize, VhdxCreateOptions.AutoBlockSize(size));

    [TestMethod]
    public void ChunkRatioAndBatEntriesFollowTheSpec()
    {
        // 2^23 sectors per bitmap block: 512-byte sectors, 1 MiB blocks → 4096 blocks per chunk
        Assert.AreEqual(4096L, VhdxLayout.ChunkRatio(512, 1 << 20));
        Assert.AreEqual(32768L, VhdxLayout.ChunkRatio(4096, 1 << 20));
        Assert.AreEqual(16L, VhdxLayout.ChunkRatio(512, 256 << 20));
        // 10 GiB with 32 MiB blocks: 320 payload entries and two sector bitmap entries between them
        Assert.AreEqual(322L, VhdxLayout.BatEntries(10 * GiB, 32 << 20, 128, differencing: false));
        // a differencing image has every chunk's bitmap entry: 3 chunks of 129
        Assert.AreEqual(387L, VhdxLayout.BatEntries(10 * GiB, 32 << 20, 128, differencing: true));
        // the largest BAT: 64 TiB with 1 MiB blocks, 64 Mi payload entries + 16383 bitmap entries ≈ 513 MiB
        long entries = VhdxLayout.BatEntries(64 * TiB, 1 << 20, 4096, differencing: false);
        Assert.AreEqual(67108864L + 16383, entries);
        Assert.IsTrue(entries * 8 > 512 * MiB);
    }

    [TestMethod]
    public void BatEntriesCarryStateAndOffset()
    {
        ulong e = VhdxBatEntry.Make(VhdxBatEntry.FullyPresent, 8 * MiB);
        Assert.AreEqual(0x800006UL, e);
        Assert.AreEqual(VhdxBatEntry.FullyPresent, VhdxBatEntry.State(e));
        Assert.AreEqual(8 * MiB, VhdxBatEntry.Offset(e));
        // states without data carry no offset (Hyper-V refuses a ZERO entry with one)
        Assert.AreEqual(2UL, VhdxBatEntry.Make(VhdxBatEntry.Zero, 8 * MiB));
    }

    [TestMethod]
    public void AHeaderRoundTripsWithItsChecksum()
    {
        var h = VhdxHeader.New();
        h.SequenceNumber = 0x1234_5678_9abc;
        h.FileWriteGuid = Guid.NewGuid();
        h.DataWriteGuid = Guid.NewGuid();
        h.LogLength = 1 << 20;
        h.LogOffset = 1 << 20;
        byte[] raw = h.ToBytes();
        Assert.AreEqual(4096, raw.Length);
        Assert.IsTrue("head"u8.SequenceEqual(raw.AsSpan(0, 4)));
        Assert.IsTrue(VhdxChecksum.IsValid(raw, 4));
        var back = VhdxHeader.Parse(raw);
        Assert.IsTrue(back.IsValid);
        Assert.AreEqual(h.SequenceNumber, back.SequenceNumber);
        Assert.AreEqual(h.DataWriteGuid, back.DataWriteGuid);
        raw[100] ^= 1; // a reserved byte: covered by the checksum
        Assert.IsFalse(VhdxHeader.Parse(raw).IsValid);
    }

    [TestMethod]
    public void ARegionTableRoundTripsAndItsChecksumCoversAll64KiB()
    {
        var t = new VhdxRegionTable
        {
            Entries = [new VhdxRegionTableEntry(VhdxRegionTable.BatGuid, 2 << 20, 1 << 20, true)],
        };
        byte[] raw = t.ToBytes();
        var back = VhdxRegionTable.Parse(raw, "x");
        Assert.AreEqual(1, back.Entries.Count);
        Assert.AreEqual(t.Entries[0], back.Entries[0]);
        raw[0xFFFF] ^= 1;
        Assert.ThrowsExactly<ImageException>(() => VhdxRegionTable.Parse(raw, "x"));
    }

    [TestMethod]
    public void TheFileIdentifierHoldsQemusCreator()
    {
        byte[] id = VhdxFileIdentifier.Serialize(VhdxFileIdentifier.Creator);
        Assert.IsTrue(VhdxFileIdentifier.HasSignature(id));
        Assert.AreEqual("QEMU v7.2.22", VhdxFileIdentifier.ReadCreator(id));
    }
}
