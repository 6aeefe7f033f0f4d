using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Parallels.ParallelsTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Parallels;

[TestClass]
public sealed class ParallelsReadWriteTests
{
    [TestMethod]
    public void WritesAllocateClustersInWriteOrderAndReadBack()
    {
        using var tmp = new TempDir();
        string path = tmp["a.hdd"];
        Create(path, 8 * MiB, clusterSize: 65536);
        var a = Pattern(70000, 1);
        var b = Pattern(512, 2);
        using (var dev = Open(path, writable: true))
        {
            dev.Write(5 * MiB + 512, a); // spans guest clusters 80 and 81 (and 82)
            dev.Write(512, b);            // guest cluster 0, allocated after them
        }
        Assert.AreEqual(1u, ReadU32(path, Bat + 80 * 4), "entries count clusters in the new format: data_off is cluster 1");
        Assert.AreEqual(2u, ReadU32(path, Bat + 81 * 4));
        Assert.AreEqual(3u, ReadU32(path, Bat + 0 * 4));
        Assert.AreEqual(4 * 65536, new FileInfo(path).Length, "cut back to the end of the data on close");
        using var ro = Open(path);
        var got = new byte[a.Length];
        ro.Read(5 * MiB + 512, got);
        CollectionAssert.AreEqual(a, got);
        var first = new byte[1024];
        ro.Read(0, first);
        Assert.IsTrue(first[..512].All(x => x == 0));
        CollectionAssert.AreEqual(b, first[512..]);
    }

    [TestMethod]
    public void TheInUseMarkerIsSetWhileOpenReadWriteAndClearedOnClose()
    {
        using var tmp = new TempDir();
        string path = tmp["a.hdd"];
        Create(path, 4 * MiB);
        using (Open(path, writable: true))
            Assert.AreEqual(InUseMagic, ReadU32(path, InUse));
        Assert.AreEqual(0u, ReadU32(path, InUse));
        using (Open(path))
            Assert.AreEqual(0u, ReadU32(path, InUse), "a read-only open leaves the header alone");
    }

    [TestMethod]
    public void AnImageNotClosedCleanlyOpensReadOnlyOrForCheckOnly()
    {
        using var tmp = new TempDir();
        string path = tmp["a.hdd"];
        Create(path, 4 * MiB);
        PatchU32(path, InUse, InUseMagic);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(path, writable: true));
        StringAssert.Contains(e.Message, "parallels: Image was not closed correctly; cannot be opened read/write");
        using (var ro = Open(path))
            Assert.AreEqual(4 * MiB, ro.VirtualSize);
        using (Open(path, writable: true, forCheck: true)) { }
        Assert.AreEqual(0u, ReadU32(path, InUse), "closing a read-write open clears the marker");
    }

    [TestMethod]
    public void TheOldMagicCountsBatEntriesInSectors()
    {
        using var tmp = new TempDir();
        string path = tmp["a.hdd"];
        Create(path, MiB, clusterSize: 4096);
        Patch(path, 0, "WithoutFreeSpace"u8.ToArray());
        PatchU64(path, NbSectors, (1UL << 40) | 2048); // only the low 32 bits count in the old format
        PatchU32(path, Bat + 4, 16); // guest cluster 1 at sector 16
        var data = Pattern(4096, 9);
        Patch(path, 16 * 512, data);
        using var dev = Open(path);
        Assert.AreEqual(MiB, dev.VirtualSize);
        var got = new byte[4096];
        dev.Read(4096, got);
        CollectionAssert.AreEqual(data, got);
        var st = BlockLayer.GetStatus(dev, 4096, 4096);
        Assert.IsTrue(st.IsData && st.HasOffset);
        Assert.AreEqual(16 * 512, st.HostOffset);
    }

    [TestMethod]
    public void UnallocatedClustersReadFromABackingFileAndAreCopiedOnWrite()
    {
        using var tmp = new TempDir();
        string basePath = tmp["base.raw"];
        var baseData = Pattern(2 * MiB, 3);
        File.WriteAllBytes(basePath, baseData);
        string path = tmp["a.hdd"];
        Create(path, 2 * MiB, clusterSize: 65536);
        var ctx = Ctx();
        using (var top = Open(path, writable: true))
        {
            var got = new byte[100];
            top.AttachBacking(ImageOpener.Open(ctx, basePath, new OpenOptions { Format = "raw" }));
            top.Read(70000, got);
            CollectionAssert.AreEqual(baseData[70000..70100], got);
            top.Write(65536 + 512, new byte[512]);
            var cluster = new byte[65536];
            top.Read(65536, cluster);
            CollectionAssert.AreEqual(baseData[65536..66048], cluster[..512], "the rest of the cluster came from the backing file");
            Assert.IsTrue(cluster[512..1024].All(x => x == 0));
            CollectionAssert.AreEqual(baseData[(65536 + 1024)..(2 * 65536)], cluster[1024..]);
        }
    }
}
