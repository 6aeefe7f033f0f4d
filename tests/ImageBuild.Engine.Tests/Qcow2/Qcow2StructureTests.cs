using System.Buffers.Binary;
using ImageBuild.Engine.Formats.Qcow2;

namespace ImageBuild.Engine.Tests.Qcow2;

[TestClass]
public sealed class Qcow2StructureTests
{
    [TestMethod]
    public void HeaderRoundTripsIncludingUnknownFields()
    {
        var h = new Qcow2Header
        {
            Version = 3, BackingFileOffset = 0x1234, BackingFileSize = 9, ClusterBits = 16, Size = 1UL << 40, CryptMethod = 0,
            L1Size = 2048, L1TableOffset = 0x30000, RefcountTableOffset = 0x10000, RefcountTableClusters = 3, NbSnapshots = 2,
            SnapshotsOffset = 0x50000, IncompatibleFeatures = 0x18, CompatibleFeatures = 1, AutoclearFeatures = 2,
            RefcountOrder = 5, CompressionType = 1, UnknownFields = [1, 2, 3, 4, 5, 6, 7, 8],
        };
        var buf = new byte[512];
        int n = h.Write(buf);
        Assert.AreEqual(120, n);
        var back = Qcow2Header.Parse(buf, "x");
        Assert.AreEqual(120u, back.HeaderLength);
        Assert.AreEqual(h.Size, back.Size);
        Assert.AreEqual(h.L1TableOffset, back.L1TableOffset);
        Assert.AreEqual(h.IncompatibleFeatures, back.IncompatibleFeatures);
        Assert.AreEqual(h.RefcountOrder, back.RefcountOrder);
        Assert.AreEqual(h.CompressionType, back.CompressionType);
        CollectionAssert.AreEqual(h.UnknownFields, back.UnknownFields);
        var again = new byte[512];
        back.Write(again);
        CollectionAssert.AreEqual(buf, again);
    }

    [TestMethod]
    public void V2HeaderIs72BytesAndImpliesSixteenBitRefcounts()
    {
        var h = new Qcow2Header { Version = 2, ClusterBits = 12, RefcountOrder = 4 };
        var buf = new byte[512];
        Assert.AreEqual(72, h.Write(buf));
        buf[96] = 0xff; // garbage past a v2 header is ignored
        var back = Qcow2Header.Parse(buf, "x");
        Assert.AreEqual(4u, back.RefcountOrder);
        Assert.AreEqual(72u, back.HeaderLength);
    }

    [TestMethod]
    [DataRow(0)] [DataRow(1)] [DataRow(2)] [DataRow(3)] [DataRow(4)] [DataRow(5)] [DataRow(6)]
    public void RefcountPackingForEveryWidth(int order)
    {
        int bits = 1 << order;
        var block = new byte[512];
        long entries = 512 * 8 / bits;
        ulong max = RefcountBlock.MaxRefcount(order);
        var rnd = new Random(order);
        var expect = new ulong[entries];
        for (long i = 0; i < entries; i++)
        {
            expect[i] = order == 6 ? (ulong)rnd.NextInt64() * 3 : (ulong)rnd.NextInt64((long)Math.Min(max, long.MaxValue - 1) + 1);
            RefcountBlock.Set(block, i, order, expect[i]);
        }
        for (long i = 0; i < entries; i++)
            Assert.AreEqual(expect[i], RefcountBlock.Get(block, i, order), $"entry {i}");
        if (order < 3)
        {
            // LSB-first: entry 0 lives in the lowest bits of byte 0.
            Array.Clear(block);
            RefcountBlock.Set(block, 0, order, 1);
            Assert.AreEqual(1, block[0]);
            RefcountBlock.Set(block, 1, order, 1);
            Assert.AreEqual(1 | (1 << bits), block[0]);
        }
        else
        {
            Array.Clear(block);
            RefcountBlock.Set(block, 1, order, 1);
            Assert.AreEqual(1, block[bits / 8 * 2 - 1], "big-endian entries");
        }
    }

    [TestMethod]
    [DataRow(16, 0x12345L, 3000)]
    [DataRow(9, 0x201L, 511)]
    [DataRow(21, 0x7777L, 2097152)]
    [DataRow(12, 0x1000L, 512)]
    public void CompressedDescriptorRoundTrips(int clusterBits, long hostOffset, int length)
    {
        ulong e = CompressedDescriptor.Encode(hostOffset, length, clusterBits);
        Assert.AreNotEqual(0UL, e & L2Entry.CompressedFlag);
        var d = CompressedDescriptor.Decode(e, clusterBits);
        Assert.AreEqual(hostOffset, d.HostOffset);
        Assert.IsTrue(d.Length >= length && d.Length < length + 512, $"length {d.Length} covers {length}");
        Assert.AreEqual(0, (d.HostOffset + d.Length) % 512, "ends on a sector boundary");
    }

    [TestMethod]
    public void CompressedDescriptorDecodesQemuLayout()
    {
        // cluster_bits 16: x = 62 - 8 = 54; 3 additional sectors; offset 0x50123.
        ulong e = (1UL << 62) | (3UL << 54) | 0x50123UL;
        var d = CompressedDescriptor.Decode(e, 16);
        Assert.AreEqual(0x50123L, d.HostOffset);
        Assert.AreEqual(4 * 512 - 0x123, d.Length);
        Assert.AreEqual((0x50000L >> 16, (0x50000L + 2047) >> 16), d.HostClusters(16));
    }

    [TestMethod]
    public void SubclusterTypesFollowTheBitmap()
    {
        ulong entry = 0x50000UL | L2Entry.Copied;
        ulong bitmap = 0b0011UL | (0b0100UL << 32);
        Assert.AreEqual(SubclusterType.Normal, L2Entry.Type(entry, bitmap, 0, true, false));
        Assert.AreEqual(SubclusterType.ZeroAlloc, L2Entry.Type(entry, bitmap, 2, true, false));
        Assert.AreEqual(SubclusterType.UnallocatedAlloc, L2Entry.Type(entry, bitmap, 3, true, false));
        Assert.AreEqual(2, L2Entry.RangeCount(SubclusterType.Normal, bitmap, 0, 32));
        Assert.AreEqual(29, L2Entry.RangeCount(SubclusterType.UnallocatedAlloc, bitmap, 3, 32));
        Assert.AreEqual(SubclusterType.Invalid, L2Entry.Type(entry, 1UL | (1UL << 32), 0, true, false));
        Assert.AreEqual(SubclusterType.Invalid, L2Entry.Type(0, 1, 5, true, false));
        Assert.AreEqual(SubclusterType.ZeroPlain, L2Entry.Type(L2Entry.ZeroFlag, 0, 0, false, false));
        Assert.AreEqual(SubclusterType.ZeroAlloc, L2Entry.Type(0x10000UL | 1, 0, 0, false, false));
        Assert.AreEqual(SubclusterType.Normal, L2Entry.Type(L2Entry.Copied, 0, 0, false, true), "offset 0 is valid in a data file when COPIED");
    }

    [TestMethod]
    public void FeatureNameTableHasQemusEightEntries()
    {
        var t = FeatureNameTable.Build();
        Assert.AreEqual(384, t.Length);
        Assert.AreEqual("dirty bit", System.Text.Encoding.ASCII.GetString(t, 2, 9));
        Assert.AreEqual(2, t[6 * 48]);
        Assert.AreEqual("raw external data", System.Text.Encoding.ASCII.GetString(t, 7 * 48 + 2, 17));
    }

    [TestMethod]
    public void RefcountMetadataSizeMatchesQemuFixedPoint()
    {
        // 1 GiB, 64 KiB clusters, 16-bit refcounts: one table cluster and one block.
        Assert.AreEqual(2 * 65536L, Qcow2Refcounts.MetadataSize(16384 + 3, 65536, 4, false, out long blocks));
        Assert.AreEqual(1, blocks);
    }
}
