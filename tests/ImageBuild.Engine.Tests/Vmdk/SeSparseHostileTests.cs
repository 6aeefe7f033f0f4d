using System.Globalization;
using System.Text.RegularExpressions;
using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Engine.Formats.Vmdk.SeSparse;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>
/// seSparse headers and tables no writer makes, each checked against qemu-img reading the same extent through a
/// descriptor: its refusals word for word, its EIO at the same guest offset, and its reads where it reads.
/// </summary>
[TestClass]
public sealed partial class SeSparseHostileTests
{
    private const long Guest7 = 7 * 4096;

    private static (Func<SeSparseConstHeader, SeSparseConstHeader>? Edit, Action<FileStream, Func<long, long>>? Patch) Case(string name) => name switch
    {
        "magic" => (h => With(h, magic: 0xcafebabf), null),
        "version" => (h => With(h, version: 0x0000000100000001), null),
        "grain size" => (h => With(h, grainSize: 16), null),
        "grain table size" => (h => With(h, grainTableSize: 32), null),
        "flags" => (h => With(h, flags: 4), null),
        "reserved" => (h => With(h, reserved3: 7), null),
        "const padding" => (null, (fs, _) => SeSparseImageBuilder.At(fs, 300, [1])),
        "volatile magic" => (null, (fs, _) => SeSparseImageBuilder.At(fs, 512, SeSparseImageBuilder.U64(1))),
        "replay journal" => (null, (fs, _) => SeSparseImageBuilder.At(fs, 512 + 24, SeSparseImageBuilder.U64(1))),
        "volatile padding" => (null, (fs, _) => SeSparseImageBuilder.At(fs, 512 + 100, [1])),
        "volatile unreadable" => (h => With(h, volatileOffset: 1UL << 54), null),
        "volatile wraps to 0" => (h => With(h, volatileOffset: 1UL << 60), null),
        "l1 too big" => (h => With(h, dirSize: (1UL << 22) + 1), null),
        "l1 unreadable" => (h => With(h, dirOffset: (1UL << 54) - 8), null),
        "l1 wraps to the header" => (h => With(h, dirOffset: 1UL << 60), null),
        "l1 size wraps to 0" => (h => With(h, dirSize: 1UL << 29), null),
        "directory entry tag" => (null, (fs, _) => SeSparseImageBuilder.At(fs, 2 * 512, SeSparseImageBuilder.U64(0x2000000000000003))),
        "table past 32 bits" => (h => With(h, tablesOffset: 0xfffffff0), null),
        "type 0 with bits" => (null, (fs, table) => SeSparseImageBuilder.At(fs, table(7) + 7 * 8, SeSparseImageBuilder.U64(1))),
        "type 4" => (null, (fs, table) => SeSparseImageBuilder.At(fs, table(7) + 7 * 8, SeSparseImageBuilder.U64(0x4000000000000000))),
        "grain unreadable" => (null, (fs, table) => SeSparseImageBuilder.At(fs, table(7) + 7 * 8, SeSparseImageBuilder.U64(0x3000000000000000 | (1UL << 39)))),
        "grain past the end" => (null, (fs, table) => SeSparseImageBuilder.At(fs, table(7) + 7 * 8, SeSparseImageBuilder.U64(0x3000000010000000))),
        // grain 2^52 + 1: its sector times 512 wraps at 64 bits onto grain 1, which holds guest grain 4097
        "grain wraps into the file" => (null, (fs, table) => SeSparseImageBuilder.At(fs, table(7) + 7 * 8,
            SeSparseImageBuilder.U64(SeSparseGrainTableEntry.Allocated((1UL << 52) + 1).Value))),
        "grain at sector 0" => (h => With(h, grainsOffset: 0), null),
        "capacity too large" => (h => With(h, capacity: 1UL << 62), null),
        _ => throw new ArgumentException(name),
    };

    private static SeSparseConstHeader With(SeSparseConstHeader h, ulong? magic = null, ulong? version = null,
        ulong? grainSize = null, ulong? grainTableSize = null, ulong? flags = null, ulong? reserved3 = null,
        ulong? volatileOffset = null, ulong? dirOffset = null, ulong? dirSize = null, ulong? tablesOffset = null,
        ulong? grainsOffset = null, ulong? capacity = null) => new()
    {
        Magic = magic ?? h.Magic, Version = version ?? h.Version, Capacity = capacity ?? h.Capacity,
        GrainSize = grainSize ?? h.GrainSize, GrainTableSize = grainTableSize ?? h.GrainTableSize, Flags = flags ?? h.Flags,
        Reserved3 = reserved3 ?? h.Reserved3, VolatileHeaderOffset = volatileOffset ?? h.VolatileHeaderOffset,
        VolatileHeaderSize = h.VolatileHeaderSize, GrainDirOffset = dirOffset ?? h.GrainDirOffset,
        GrainDirSize = dirSize ?? h.GrainDirSize, GrainTablesOffset = tablesOffset ?? h.GrainTablesOffset,
        GrainTablesSize = h.GrainTablesSize, GrainsOffset = grainsOffset ?? h.GrainsOffset, GrainsSize = h.GrainsSize,
    };

    private static (string Extent, string Descriptor) Build(TempDir tmp, string name)
    {
        string extent = tmp["h-sesparse.vmdk"], descriptor = tmp["h.vmdk"];
        var (edit, patch) = Case(name);
        new SeSparseImageBuilder { EditHeader = edit }.Write(extent, descriptor, patch);
        return (extent, descriptor);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("magic", "Bad const header magic: 0x00000000cafebabf")]
    [DataRow("version", "Unsupported version: 0x0000000100000001")]
    [DataRow("grain size", "Unsupported grain size: 16")]
    [DataRow("grain table size", "Unsupported grain table size: 32")]
    [DataRow("flags", "Unsupported flags: 0x0000000000000004")]
    [DataRow("reserved", "Unsupported reserved bits: 0x0000000000000000 0x0000000000000000 0x0000000000000007 0x0000000000000000")]
    [DataRow("const padding", "Unsupported non-zero const header padding")]
    [DataRow("volatile magic", "Bad volatile header magic: 0x0000000000000001")]
    [DataRow("replay journal", "Image is dirty, Replaying journal not supported")]
    [DataRow("volatile padding", "Unsupported non-zero volatile header padding")]
    [DataRow("volatile unreadable", "Could not read volatile header from file '{0}': Input/output error")]
    [DataRow("volatile wraps to 0", "Bad volatile header magic: 0x00000000cafebabe")]
    [DataRow("l1 too big", "L1 size too big")]
    [DataRow("l1 unreadable", "Could not read l1 table from extent '{0}': Input/output error")]
    public void QemusRefusalsWithItsMessages(string name, string message)
    {
        using var tmp = new TempDir();
        var (extent, descriptor) = Build(tmp, name);
        message = string.Format(CultureInfo.InvariantCulture, message, extent);
        using var file = HostFile.Open(extent, writable: false);
        var e = Assert.ThrowsExactly<ImageException>(() => SeSparseGrainMap.Open(file));
        Assert.AreEqual(message, e.Message);
        var qemu = QemuOracle.Img("info", descriptor);
        Assert.AreEqual(1, qemu.ExitCode);
        Assert.AreEqual($"qemu-img: Could not open '{descriptor}': {message}\n", qemu.StdErr);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("l1 wraps to the header")]
    [DataRow("l1 size wraps to 0")]
    [DataRow("directory entry tag")]
    [DataRow("table past 32 bits")]
    [DataRow("type 0 with bits")]
    [DataRow("type 4")]
    [DataRow("grain unreadable")]
    public void InvalidEntriesFailWithEioWhereQemuFails(string name)
    {
        using var tmp = new TempDir();
        var (extent, descriptor) = Build(tmp, name);
        using var file = HostFile.Open(extent, writable: false);
        var map = SeSparseGrainMap.Open(file);
        long at = 0;
        var e = Assert.ThrowsExactly<ImageCorruptException>(() =>
        {
            for (; at < map.Capacity; at += map.Lookup(at, map.Capacity - at).Length) { }
        });
        Assert.AreEqual(SnapshotException.EIO, e.Errno);
        StringAssert.StartsWith(e.Message, $"'{extent}': ");
        Assert.IsFalse(e.Message.Contains('\n'));

        var qemu = QemuOracle.Img("convert", "-O", "raw", descriptor, tmp["q.raw"]);
        Assert.AreEqual(1, qemu.ExitCode);
        var m = QemuFailure().Match(qemu.StdErr);
        Assert.IsTrue(m.Success, qemu.StdErr);
        Assert.AreEqual(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), at, "the same guest offset fails");
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("grain past the end")]
    [DataRow("grain wraps into the file")]
    [DataRow("grain at sector 0")]
    public void OddButReadableEntriesReadAsInQemu(string name)
    {
        using var tmp = new TempDir();
        var (extent, descriptor) = Build(tmp, name);
        using var file = HostFile.Open(extent, writable: false);
        var map = SeSparseGrainMap.Open(file);
        var run = map.Lookup(name == "grain at sector 0" ? 0 : Guest7, 4096);
        Assert.AreEqual(name == "grain at sector 0" ? GrainState.Unallocated : GrainState.Data, run.State);
        GrainMapAssembler.WriteRaw(map, file, map.Capacity, tmp["ours.raw"]);
        GrainMapAssembler.AssertSameAsQemu(descriptor, tmp["ours.raw"], tmp["h"]);
        if (name == "grain wraps into the file")
        {
            Assert.AreEqual(((long)new SeSparseImageBuilder().GrainsOffset + 8) * 512, run.HostOffset);
            using var raw = File.OpenRead(tmp["ours.raw"]);
            raw.Position = Guest7;
            Assert.AreEqual(CowdImageBuilder.GrainPattern(4097, 0), (byte)raw.ReadByte());
        }
    }

    [TestMethod]
    [RequiresQemu]
    public void ACapacityPastSixtyThreeBitsOpensButHasNoLengthAsInQemu()
    {
        using var tmp = new TempDir();
        var (extent, descriptor) = Build(tmp, "capacity too large");
        using var file = HostFile.Open(extent, writable: false);
        var map = SeSparseGrainMap.Open(file);
        Assert.AreEqual(1L << 62, map.Sectors);
        var e = Assert.ThrowsExactly<ImageException>(() => map.Capacity);
        Assert.AreEqual(SnapshotException.EFBIG, e.Errno);
        var qemu = QemuOracle.Img("info", descriptor);
        Assert.AreEqual($"qemu-img: Can't get image size '{descriptor}': {e.Message}\n", qemu.StdErr);
    }

    [TestMethod]
    [RequiresQemu]
    public void TheLargestDirectoryIsNotReadIntoMemory()
    {
        using var tmp = new TempDir();
        string extent = tmp["h-sesparse.vmdk"], descriptor = tmp["h.vmdk"];
        new SeSparseImageBuilder { GrainDirSectors = 1 << 19 }.Write(extent, descriptor); // 32 Mi entries, 256 MiB
        using var file = HostFile.Open(extent, writable: false);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var map = SeSparseGrainMap.Open(file);
        var runs = GrainMapAssembler.Runs(map, map.Capacity);
        Assert.IsTrue(GC.GetAllocatedBytesForCurrentThread() - before < 2 << 20, "memory does not follow grain_dir_size");
        Assert.AreEqual(3, runs.Count(r => r.State == GrainState.Data));
        GrainMapAssembler.WriteRaw(map, file, map.Capacity, tmp["ours.raw"]);
        GrainMapAssembler.AssertSameAsQemu(descriptor, tmp["ours.raw"], tmp["h"]);
    }

    [GeneratedRegex(@"error while reading (?:block status at offset|at byte) (\d+): Input/output error")]
    private static partial Regex QemuFailure();
}
