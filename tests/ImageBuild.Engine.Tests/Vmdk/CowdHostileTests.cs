using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Engine.Formats.Vmdk.Cowd;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>COWD headers and tables no writer makes: qemu's refusals and messages, its reads, no huge allocation.</summary>
[TestClass]
public sealed class CowdHostileTests
{
    [TestMethod]
    [RequiresQemu]
    [DataRow(0x200001u, 1u, "Invalid granularity, image may be corrupt")]
    [DataRow(16u, 32u * 1024 * 1024 + 1, "L1 size too big")]
    public void QemusRefusalsWithItsMessages(uint granularity, uint l1Size, string message)
    {
        using var tmp = new TempDir();
        string path = tmp["h.vmdk"];
        new CowdImageBuilder { Granularity = granularity, L1DirSize = l1Size, Grains = [] }.Write(path);
        using var file = HostFile.Open(path, writable: false);
        var e = Assert.ThrowsExactly<ImageException>(() => CowdGrainMap.Open(file));
        Assert.AreEqual(message, e.Message);
        Assert.AreEqual(SnapshotException.EFBIG, e.Errno);
        var qemu = QemuOracle.Img("info", path);
        Assert.AreEqual(1, qemu.ExitCode);
        Assert.AreEqual($"qemu-img: Could not open '{path}': {message}\n", qemu.StdErr);
    }

    [TestMethod]
    [RequiresQemu]
    public void TheLargestDirectoryIsNotReadIntoMemory()
    {
        using var tmp = new TempDir();
        string path = tmp["h.vmdk"];
        new CowdImageBuilder { DiskSectors = 4096 * 16 * 2, L1DirSize = CowdGrainMap.MaxL1Size, Grains = [1, 4096] }.Write(path);
        Assert.IsTrue(new FileInfo(path).Length > 128L << 20, "the directory is in the file");
        using var file = HostFile.Open(path, writable: false);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var map = CowdGrainMap.Open(file);
        var runs = GrainMapAssembler.Runs(map, map.Capacity);
        Assert.IsTrue(GC.GetAllocatedBytesForCurrentThread() - before < 2 << 20, "memory does not follow l1dir_size");
        Assert.AreEqual(2, runs.Count(r => r.State == GrainState.Data));
        GrainMapAssembler.WriteRaw(map, file, map.Capacity, tmp["ours.raw"]);
        GrainMapAssembler.AssertSameAsQemu(path, tmp["ours.raw"], tmp["h"]);
    }

    [TestMethod]
    [RequiresQemu]
    public void ADirectoryShorterThanTheDiskFailsWithEioPastItsEndAsInQemu()
    {
        using var tmp = new TempDir();
        string path = tmp["h.vmdk"];
        new CowdImageBuilder { DiskSectors = 4096 * 16 * 3, L1DirSize = 1, Grains = [0] }.Write(path);
        using var file = HostFile.Open(path, writable: false);
        var map = CowdGrainMap.Open(file);
        Assert.AreEqual(GrainState.Data, map.Lookup(0, 512).State);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => map.Lookup(32L << 20, 512));
        Assert.AreEqual(SnapshotException.EIO, e.Errno);
        StringAssert.StartsWith(e.Message, $"'{path}': offset 33554432 lies past the grain directory");
        Assert.IsFalse(e.Message.Contains('\n'));
        var qemu = QemuOracle.Img("convert", "-O", "raw", path, tmp["q.raw"]);
        Assert.AreEqual(1, qemu.ExitCode);
        StringAssert.Contains(qemu.StdErr, "at offset 33554432: Input/output error");
    }

    [TestMethod]
    [DataRow(0u)]
    [DataRow(0x100000u)] // 4096 * 2^20 sectors wraps qemu's u32 l1_entry_sectors to 0
    [DataRow(0x200000u)]
    public void AGranularityGivingNoDirectoryCoverageFailsItsReadsInsteadOfDividingByZero(uint granularity)
    {
        // qemu 7.2 opens these and dies of SIGFPE on the first read; the map opens and fails the read.
        using var tmp = new TempDir();
        string path = tmp["h.vmdk"];
        new CowdImageBuilder { Granularity = granularity, DiskSectors = 4096, L1DirSize = 1, Grains = [] }.Write(path);
        using var file = HostFile.Open(path, writable: false);
        var map = CowdGrainMap.Open(file);
        var e = Assert.ThrowsExactly<ImageCorruptException>(() => map.Lookup(0, 512));
        Assert.AreEqual($"'{path}': granularity {granularity} makes a grain directory entry cover 0 sectors", e.Message);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("directory")]
    [DataRow("table")]
    [DataRow("grain")]
    public void TablesAndGrainsPastTheEndOfTheFileReadAsZerosAsInQemu(string what)
    {
        using var tmp = new TempDir();
        string path = tmp["h.vmdk"];
        new CowdImageBuilder { Grains = [0, 2] }.Write(path);
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            if (what == "directory") Patch(fs, CowdHeader.FieldsOffset + 16, 0x7fffff00); // l1dir_offset: ~1 TiB
            if (what == "table") Patch(fs, 8 * 512, 0xffffffff);
            if (what == "grain")
            {
                long table = 8 + 1; // the builder's first table follows the one-sector directory
                Patch(fs, table * 512 + 2 * 4, 0x7fffffff);
            }
        }
        using var file = HostFile.Open(path, writable: false);
        var map = CowdGrainMap.Open(file);
        if (what == "grain")
            Assert.AreEqual(new GrainRun(GrainState.Data, 0x7fffffffL * 512, 8192), map.Lookup(2 * 8192, long.MaxValue));
        GrainMapAssembler.WriteRaw(map, file, map.Capacity, tmp["ours.raw"]);
        GrainMapAssembler.AssertSameAsQemu(path, tmp["ours.raw"], tmp["h"]);
        var raw = File.ReadAllBytes(tmp["ours.raw"]);
        Assert.AreEqual(what == "grain" ? CowdImageBuilder.GrainPattern(0, 0) : (byte)0, raw[0]);
        Assert.AreEqual((byte)0, raw[2 * 8192]);
    }

    private static void Patch(FileStream fs, long offset, uint value)
    {
        var b = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        fs.Position = offset;
        fs.Write(b);
    }
}
