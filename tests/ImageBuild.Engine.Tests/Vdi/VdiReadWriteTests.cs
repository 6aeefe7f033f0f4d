using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vdi.VdiTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Vdi;

[TestClass]
public sealed class VdiReadWriteTests
{
    [TestMethod]
    public void AWriteToANewBlockAppendsItWholeAndRecordsItInTheHeaderAndMap()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 5 * MiB);
        byte[] data = Pattern(100, 1);
        using (var dev = Open(path, writable: true))
        {
            dev.Write(3L * MiB + 10, data);
            dev.Write(1L * MiB, Pattern(MiB, 2));
        }
        Assert.AreEqual(0x400u, ReadU32(path, OffsetData));
        Assert.AreEqual(0x400L + 2 * MiB, new FileInfo(path).Length, "two whole blocks appended after the map");
        Assert.AreEqual(2u, ReadU32(path, BlocksAllocated));
        Assert.AreEqual(0u, MapEntry(path, 3));
        Assert.AreEqual(1u, MapEntry(path, 1));
        Assert.AreEqual(0xFFFFFFFFu, MapEntry(path, 0));
        using var ro = Open(path);
        var back = new byte[MiB];
        ro.Read(3L * MiB, back);
        CollectionAssert.AreEqual(data, back[10..110]);
        Assert.IsTrue(back[..10].All(b => b == 0) && back[110..].All(b => b == 0), "the rest of a new block is zeros");
        ro.Read(1L * MiB, back);
        CollectionAssert.AreEqual(Pattern(MiB, 2), back);
        var st = BlockLayer.GetStatus(ro, 3L * MiB, MiB);
        Assert.IsTrue(st.IsData && st.HasOffset);
        Assert.AreEqual(0x400L, st.HostOffset);
        var hole = BlockLayer.GetStatus(ro, 0, MiB);
        Assert.IsTrue(hole.IsZero && hole.IsAllocated && !hole.IsData, "an unallocated block is reported as zeros, as qemu does");
    }

    [TestMethod]
    public void NewBlocksAreWrittenThenTheHeaderThenTheMapSectors()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 64 * MiB);
        var rec = new VdiWriteRecorder();
        using (var dev = Open(path, writable: true, Ctx(rec)))
        {
            dev.Write(5L * MiB, Pattern(2 * MiB + 512, 3)); // three blocks, the last partly
            rec.Changes.Clear();
            dev.Write(40L * MiB + 512, Pattern(1024, 4));
            dev.Write(40L * MiB, Pattern(512, 5)); // an allocated block: data only
        }
        var writes = rec.Changes.Where(c => c.Change == HostFileChange.Write).ToList();
        Assert.AreEqual(4, writes.Count, string.Join(", ", writes));
        Assert.AreEqual((0x200L + 512 + 3L * MiB, (long)MiB), (writes[0].Offset, writes[0].Length), "the new block, whole");
        Assert.AreEqual((0L, 512L), (writes[1].Offset, writes[1].Length), "then the header");
        Assert.AreEqual((0x200L, 512L), (writes[2].Offset, writes[2].Length), "then the map sector");
        Assert.AreEqual((0x200L + 512 + 3L * MiB, 512L), (writes[3].Offset, writes[3].Length), "no metadata for an allocated block");
        Assert.AreEqual(4u, ReadU32(path, BlocksAllocated));
    }

    [TestMethod]
    [DataRow(0)] // before the data
    [DataRow(1)] // after the data, before the header
    [DataRow(2)] // after the header, before the map
    public void ACrashDuringAnAllocatingWriteLeavesAtWorstAnUnusedBlock(int crashAt)
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 8 * MiB);
        using (var dev = Open(path, writable: true))
            dev.Write(0, Pattern(MiB, 6));
        var rec = new VdiWriteRecorder(crashAt, crash: true);
        var dev2 = Open(path, writable: true, Ctx(rec));
        Assert.ThrowsExactly<VdiWriteRecorder.CrashException>(() => dev2.Write(2L * MiB, Pattern(MiB, 7)));
        try { dev2.Dispose(); } catch (VdiWriteRecorder.CrashException) { }

        using var dev3 = Open(path, writable: true);
        var back = new byte[MiB];
        dev3.Read(2L * MiB, back);
        Assert.IsTrue(back.All(b => b == 0), "the map never names a block before its data is written");
        dev3.Read(0, back);
        CollectionAssert.AreEqual(Pattern(MiB, 6), back, "earlier data untouched");
        var log = new CheckLines();
        var result = dev3.Check(CheckRepair.None, log);
        if (crashAt < 2)
        {
            Assert.AreEqual(0, result.Corruptions, string.Join("\n", log.All));
        }
        else
        {
            // the block counted in the header but named by no entry: qemu's check calls it a mismatch
            Assert.AreEqual(1, result.Corruptions);
            CollectionAssert.AreEqual(new[] { "ERROR: allocated blocks mismatch, is 1, should be 2" }, log.All);
        }
        dev3.Write(4L * MiB, Pattern(MiB, 8));
        dev3.Read(4L * MiB, back);
        CollectionAssert.AreEqual(Pattern(MiB, 8), back);
        dev3.Read(0, back);
        CollectionAssert.AreEqual(Pattern(MiB, 6), back, "a later allocation never reuses a block an entry names");
    }

    [TestMethod]
    [DataRow(0)] // the data write fails
    [DataRow(1)] // the header write fails
    [DataRow(2)] // the map write fails
    public void AFailedAllocatingWriteIsForgottenAndTheNextOneSucceeds(int failAt)
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 8 * MiB);
        var rec = new VdiWriteRecorder(failAt);
        using (var dev = Open(path, writable: true, Ctx(rec)))
        {
            Assert.ThrowsExactly<ImageException>(() => dev.Write(MiB, Pattern(4096, 9)));
            var zeros = new byte[4096];
            dev.Read(MiB, zeros);
            Assert.IsTrue(zeros.All(b => b == 0));
            dev.Write(3L * MiB, Pattern(4096, 10));
        }
        Assert.AreEqual(0u, MapEntry(path, 3), "the failed allocation's block is handed out again");
        Assert.AreEqual(0xFFFFFFFFu, MapEntry(path, 1));
        Assert.AreEqual(1u, ReadU32(path, BlocksAllocated));
        using var ro = Open(path);
        var log = new CheckLines();
        Assert.AreEqual(0, ro.Check(CheckRepair.None, log).Corruptions, string.Join("\n", log.All));
    }

    [TestMethod]
    public void DiscardedBlocksReadAsZerosAndAreAllocatedAgainOnWrite()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 4 * MiB);
        using (var dev = Open(path, writable: true))
            dev.Write(0, Pattern(MiB, 11));
        PatchU32(path, 0x200, 0xFFFFFFFE); // as VirtualBox leaves a discarded block
        using (var dev = Open(path, writable: true))
        {
            var back = new byte[MiB];
            dev.Read(0, back);
            Assert.IsTrue(back.All(b => b == 0));
            var st = BlockLayer.GetStatus(dev, 0, 4 * MiB);
            Assert.IsTrue(st.IsZero && !st.IsData);
            Assert.AreEqual(4L * MiB, st.Length, "discarded and unallocated blocks are one zero run");
            dev.Write(512, Pattern(512, 12));
        }
        Assert.AreEqual(1u, MapEntry(path, 0), "blocks_allocated still counted the discarded block's data");
    }

    [TestMethod]
    public void BlockExtraIsIgnoredAsQemuDoes()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 4 * MiB);
        using (var dev = Open(path, writable: true))
        {
            dev.Write(0, Pattern(MiB, 13));
            dev.Write(2L * MiB, Pattern(MiB, 14));
        }
        PatchU32(path, BlockExtra, 4096);
        using var ro = Open(path);
        var back = new byte[MiB];
        ro.Read(2L * MiB, back);
        CollectionAssert.AreEqual(Pattern(MiB, 14), back, "block 1 of the data area at offset_data + 1 MiB");
    }

    [TestMethod]
    public void AnOddDiskSizeIsRoundedAndWrittenBackRoundedOnAllocation()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 2 * MiB);
        PatchU64(path, DiskSize, 2 * MiB - 1000);
        using (var dev = Open(path, writable: true))
        {
            Assert.AreEqual(2L * MiB - 512, dev.VirtualSize);
            dev.Write(0, Pattern(512, 15));
        }
        Assert.AreEqual((ulong)(2 * MiB - 512), BitConverter.ToUInt64(File.ReadAllBytes(path), DiskSize));
    }

    [TestMethod]
    public void WriteZeroesAllocatesAndDiscardKeepsTheDataAsInQemu()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 4 * MiB);
        using (var dev = Open(path, writable: true))
        {
            dev.Write(MiB, Pattern(MiB, 16));
            dev.WriteZeroes(2L * MiB, MiB, WriteZeroesFlags.MayUnmap);
            dev.Discard(MiB, MiB);
            var back = new byte[MiB];
            dev.Read(MiB, back);
            CollectionAssert.AreEqual(Pattern(MiB, 16), back, "vdi has no discard: qemu keeps the data");
        }
        Assert.AreEqual(1u, MapEntry(path, 2), "zeros are written (qemu's fallback), which allocates");
        Assert.AreEqual(2u, ReadU32(path, BlocksAllocated));
    }

    [TestMethod]
    public void AStaticImageMapsEveryBlockAndReportsTheFilesHolesAsZeros()
    {
        using var tmp = new TempDir();
        string path = tmp["s.vdi"];
        Create(path, 3 * MiB, isStatic: true);
        Assert.AreEqual(2u, ReadU32(path, ImageType));
        Assert.AreEqual(3u, ReadU32(path, BlocksAllocated));
        Assert.AreEqual(0x400L + 3 * MiB, new FileInfo(path).Length);
        using (var dev = Open(path, writable: true))
            dev.Write(MiB, Pattern(4096, 17));
        Assert.AreEqual(3u, ReadU32(path, BlocksAllocated), "no allocation in a static image");
        using var ro = Open(path);
        var st = BlockLayer.GetStatus(ro, MiB, MiB);
        Assert.IsTrue(st.IsData && !st.IsZero);
        Assert.AreEqual(0x400L + MiB, st.HostOffset);
        var hole = BlockLayer.GetStatus(ro, 2L * MiB, MiB);
        Assert.IsTrue(hole.IsData && hole.IsZero && hole.HasOffset, "data in a hole of the file: zero too (BDRV_BLOCK_RECURSE)");
    }

    [TestMethod]
    public void AMapLargerThanThePageCacheIsReadAndWrittenCorrectly()
    {
        using var tmp = new TempDir();
        string path = tmp["big.vdi"];
        long size = 5L << 40; // 5 TiB: a 20 MiB map, more than the 16 MiB of pages kept
        Create(path, size);
        long[] blocks = [0, 16383, 16384, 2_000_000, (size / MiB) - 1];
        using (var dev = Open(path, writable: true))
        {
            dev.Write(16383L * MiB + MiB - 10, Pattern(20, 18)); // two blocks, two map pages, one write
            dev.Write(0, Pattern(512, 19));
            // walking the whole map pages every part of it in and out
            var st = BlockLayer.GetStatus(dev, MiB, size - MiB);
            Assert.IsTrue(st.IsZero);
            Assert.AreEqual(16382L * MiB, st.Length);
            for (long at = 0; at < size;)
                at = BlockLayer.GetStatus(dev, at, size - at).End;
            dev.Write(2_000_000L * MiB, Pattern(512, 20));
            dev.Write(size - 512, Pattern(512, 21));
        }
        uint[] expected = [2, 0, 1, 3, 4];
        for (int i = 0; i < blocks.Length; i++)
            Assert.AreEqual(expected[i], MapEntry(path, blocks[i]), $"map entry of block {blocks[i]}");
        using var ro = Open(path);
        var back = new byte[20];
        ro.Read(16383L * MiB + MiB - 10, back);
        CollectionAssert.AreEqual(Pattern(20, 18), back);
        back = new byte[512];
        ro.Read(size - 512, back);
        CollectionAssert.AreEqual(Pattern(512, 21), back);
        var log = new CheckLines();
        Assert.AreEqual(0, ro.Check(CheckRepair.None, log).Corruptions, string.Join("\n", log.All));
    }

    [TestMethod]
    public void ReadsSpanningBlocksStoredApartAndTogetherReturnTheRightBytes()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, 6 * MiB);
        using var dev = Open(path, writable: true);
        // guest blocks 1, 2 stored together (0, 1), then block 4 before block 3 (2, 3)
        dev.Write(MiB, Pattern(2 * MiB, 22));
        dev.Write(4L * MiB, Pattern(MiB, 23));
        dev.Write(3L * MiB, Pattern(MiB, 24));
        var all = new byte[6 * MiB];
        dev.Read(0, all);
        CollectionAssert.AreEqual(Pattern(2 * MiB, 22), all[MiB..(3 * MiB)]);
        CollectionAssert.AreEqual(Pattern(MiB, 24), all[(3 * MiB)..(4 * MiB)]);
        CollectionAssert.AreEqual(Pattern(MiB, 23), all[(4 * MiB)..(5 * MiB)]);
        Assert.IsTrue(all[..MiB].All(b => b == 0) && all[(5 * MiB)..].All(b => b == 0));
        var st = BlockLayer.GetStatus(dev, MiB, 4 * MiB);
        Assert.AreEqual(2L * MiB, st.Length, "contiguous data blocks are one run, up to the first one stored apart");
    }
}
