using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Engine.Formats.Vmdk.Cowd;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>COWD (VMware 3 / vmfsSparse) grain maps: lookups, and what qemu-img reads from the same files.</summary>
[TestClass]
public sealed class CowdGrainMapTests
{
    [TestMethod]
    public void LookupsFollowTheDirectoryAndTheGrainTables()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vmdk"];
        var builder = new CowdImageBuilder { DiskSectors = 4096 * 16 * 2, Grains = [3, 0, 4097] };
        var placed = builder.Write(path);
        using var file = HostFile.Open(path, writable: false);
        var map = CowdGrainMap.Open(file);

        Assert.AreEqual(64L << 20, map.Capacity);
        Assert.AreEqual(8192L, map.ClusterSize);
        Assert.AreEqual(new GrainRun(GrainState.Data, placed[0] * 512, 8192), map.Lookup(0, long.MaxValue));
        Assert.AreEqual(new GrainRun(GrainState.Data, placed[0] * 512 + 700, 8192 - 700), map.Lookup(700, long.MaxValue));
        Assert.AreEqual(new GrainRun(GrainState.Data, placed[0] * 512 + 700, 100), map.Lookup(700, 100));
        Assert.AreEqual(new GrainRun(GrainState.Unallocated, 0, 8192), map.Lookup(8192, long.MaxValue));
        Assert.AreEqual(new GrainRun(GrainState.Data, placed[3] * 512 + 1, 8191), map.Lookup(3 * 8192 + 1, long.MaxValue));
        Assert.AreEqual(new GrainRun(GrainState.Data, placed[4097] * 512, 8192), map.Lookup(4097L * 8192, long.MaxValue));
        Assert.AreNotEqual(placed[0], placed[3]);
    }

    [TestMethod]
    public void AnUnusedDirectoryEntryAnswersForItsWholeCoverage()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vmdk"];
        new CowdImageBuilder { DiskSectors = 4096 * 16 * 3, Grains = [0] }.Write(path);
        using var file = HostFile.Open(path, writable: false);
        var map = CowdGrainMap.Open(file);
        Assert.AreEqual(new GrainRun(GrainState.Unallocated, 0, (32L << 20) - 5), map.Lookup((32L << 20) + 5, long.MaxValue));
        Assert.AreEqual(new GrainRun(GrainState.Unallocated, 0, 10), map.Lookup((32L << 20) + 5, 10));
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow(16u, 32768u, new long[] { 0, 3, 1000 })]
    [DataRow(16u, 4096u * 16 * 2 + 5, new long[] { 4096 * 2, 1, 4095, 4096, 0, 4100 })] // a partial last grain
    [DataRow(1u, 10000u, new long[] { 0, 1, 4095, 4096, 9999 })] // 512-byte grains
    [DataRow(3u, 3u * 4096 * 2, new long[] { 5, 0, 4096, 8191 })] // a granularity no power of two
    [DataRow(128u, 128u * 64, new long[] { 63, 1 })] // 64 KiB grains
    public void QemuReadsWhatTheMapSays(uint granularity, uint diskSectors, long[] grains)
    {
        using var tmp = new TempDir();
        string path = tmp["c.vmdk"];
        new CowdImageBuilder { Granularity = granularity, DiskSectors = diskSectors, Grains = grains }.Write(path);
        using var file = HostFile.Open(path, writable: false);
        var map = CowdGrainMap.Open(file);
        Assert.AreEqual((long)diskSectors * 512, map.Capacity);

        GrainMapAssembler.WriteRaw(map, file, map.Capacity, tmp["ours.raw"]);
        GrainMapAssembler.AssertSameAsQemu(path, tmp["ours.raw"], tmp["c"]);
        CollectionAssert.AreEqual(GrainMapAssembler.QemuMap(path), GrainMapAssembler.Map(map, map.Capacity));
        var raw = File.ReadAllBytes(tmp["ours.raw"]);
        Assert.AreEqual(CowdImageBuilder.GrainPattern(grains[0], 0), raw[grains[0] * granularity * 512], "a real grain, not zeros");
    }

    [TestMethod]
    [RequiresQemu]
    public void AsAVmfsSparseExtentOfADescriptorQemuReadsTheSameAndTakesTheSizeFromTheHeader()
    {
        using var tmp = new TempDir();
        string extent = tmp["d-delta.vmdk"], descriptor = tmp["d.vmdk"];
        new CowdImageBuilder { Grains = [0, 5, 2047], WithDescriptorKeys = false }.Write(extent);
        File.WriteAllText(descriptor, "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"vmfsSparse\"\n\n" +
            "# Extent description\nRW 100 VMFSSPARSE \"d-delta.vmdk\"\n"); // qemu ignores the line's 100 sectors
        using var file = HostFile.Open(extent, writable: false);
        var map = CowdGrainMap.Open(file);
        Assert.AreEqual(16L << 20, map.Capacity);
        GrainMapAssembler.WriteRaw(map, file, map.Capacity, tmp["ours.raw"]);
        GrainMapAssembler.AssertSameAsQemu(descriptor, tmp["ours.raw"], tmp["d"]);
        CollectionAssert.AreEqual(GrainMapAssembler.QemuMap(descriptor), GrainMapAssembler.Map(map, map.Capacity));
    }
}
