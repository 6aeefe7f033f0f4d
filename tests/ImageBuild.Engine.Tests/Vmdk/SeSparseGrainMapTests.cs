using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Engine.Formats.Vmdk.SeSparse;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>seSparse grain maps: lookups, and what qemu-img reads from the same extent through a descriptor.</summary>
[TestClass]
public sealed class SeSparseGrainMapTests
{
    [TestMethod]
    public void LookupsFollowTheDirectoryTheTablesAndTheEntryTypes()
    {
        using var tmp = new TempDir();
        string path = tmp["s-sesparse.vmdk"];
        var builder = new SeSparseImageBuilder();
        builder.Write(path);
        using var file = HostFile.Open(path, writable: false);
        var map = SeSparseGrainMap.Open(file);
        long grains = (long)builder.GrainsOffset * 512;

        Assert.AreEqual(32L << 20, map.Capacity);
        Assert.AreEqual(4096L, map.ClusterSize);
        Assert.AreEqual(new GrainRun(GrainState.Data, grains, 4096), map.Lookup(0, long.MaxValue));
        Assert.AreEqual(new GrainRun(GrainState.Data, grains + 4097L * 4096 + 10, 4086), map.Lookup(2 * 4096 + 10, long.MaxValue));
        Assert.AreEqual(new GrainRun(GrainState.Data, grains + 4096 + 512, 1024), map.Lookup(4097L * 4096 + 512, 1024));
        Assert.AreEqual(new GrainRun(GrainState.Unallocated, 0, 4096), map.Lookup(4096, long.MaxValue));
        Assert.AreEqual(new GrainRun(GrainState.Zero, 0, 4096), map.Lookup(5 * 4096, long.MaxValue));
        Assert.AreEqual(new GrainRun(GrainState.Zero, 0, 96), map.Lookup(6 * 4096 + 4000, long.MaxValue), "SCSI-unmapped reads as zeroed");
    }

    [TestMethod]
    public void AnUnusedDirectoryEntryAnswersForItsSixteenMebibytes()
    {
        using var tmp = new TempDir();
        string path = tmp["s-sesparse.vmdk"];
        new SeSparseImageBuilder { CapacitySectors = 3 * 32768, Grains = [(1, 0)], ZeroGrains = [], UnmappedGrains = [] }.Write(path);
        using var file = HostFile.Open(path, writable: false);
        var map = SeSparseGrainMap.Open(file);
        Assert.AreEqual(new GrainRun(GrainState.Unallocated, 0, (16L << 20) - 3), map.Lookup((16L << 20) + 3, long.MaxValue));
    }

    [TestMethod]
    public void TheGrainNumberSplitEncodingRoundTrips()
    {
        foreach (ulong n in new ulong[] { 0, 1, 0xfff, 0x1000, 0x123456789, (1UL << 60) - 1 })
        {
            var e = SeSparseGrainTableEntry.Allocated(n);
            Assert.AreEqual(SeSparseGrainTableEntry.EntryKind.Allocated, e.Kind);
            Assert.AreEqual(n, e.GrainIndex);
        }
        Assert.AreEqual(0x3001000000000000UL, SeSparseGrainTableEntry.Allocated(1).Value, "low 12 bits in bits 48..59");
        Assert.AreEqual(0x3000000000000001UL, SeSparseGrainTableEntry.Allocated(0x1000).Value, "the rest in bits 0..47");
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow(2UL * 32768, 1UL, new long[] { 0, 2, 4097 }, new ulong[] { 0, 4097, 1 })]
    [DataRow(4UL * 32768 - 8, 1UL, new long[] { 4095, 4096, 8191, 16382 }, new ulong[] { 0x12345, 7, 3, 0 })]
    [DataRow(32768UL + 24, 2UL, new long[] { 4096, 4098 }, new ulong[] { 5, 2 })] // a partial last directory entry
    public void QemuReadsWhatTheMapSays(ulong capacity, ulong dirSectors, long[] guests, ulong[] slots)
    {
        using var tmp = new TempDir();
        string extent = tmp["s-sesparse.vmdk"], descriptor = tmp["s.vmdk"];
        new SeSparseImageBuilder
        {
            CapacitySectors = capacity, GrainDirSectors = dirSectors,
            Grains = [.. guests.Zip(slots)], ZeroGrains = [guests[0] + 1], UnmappedGrains = [],
        }.Write(extent, descriptor);
        using var file = HostFile.Open(extent, writable: false);
        var map = SeSparseGrainMap.Open(file);
        Assert.AreEqual((long)capacity * 512, map.Capacity);

        GrainMapAssembler.WriteRaw(map, file, map.Capacity, tmp["ours.raw"]);
        GrainMapAssembler.AssertSameAsQemu(descriptor, tmp["ours.raw"], tmp["s"]);
        CollectionAssert.AreEqual(GrainMapAssembler.QemuMap(descriptor), GrainMapAssembler.Map(map, map.Capacity));
        var raw = File.ReadAllBytes(tmp["ours.raw"]);
        Assert.AreEqual(CowdImageBuilder.GrainPattern(guests[^1], 7), raw[guests[^1] * 4096 + 7 * 512], "a real grain, not zeros");
    }
}
