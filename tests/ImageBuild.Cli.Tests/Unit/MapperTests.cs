using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Cli.Tests.Unit;

/// <summary>The engine's map walk (qemu-img's get_block_status loop and entry merging) over a synthetic device.</summary>
[TestClass]
public sealed class MapperTests
{
    /// <summary>A device whose driver status is a fixed list of extents.</summary>
    private sealed class FakeDevice(string path, HostFile file, long size, (long Start, long Len, BlockStatusFlags Flags, long Host)[] extents)
        : BlockDevice(path, readOnly: true)
    {
        public override string FormatName => "fake";
        public override long VirtualSize => size;
        public override HostFile File => file;
        public override bool SupportsBacking => true;
        protected override void ReadCore(long offset, Span<byte> dest) => dest.Clear();

        public override DriverStatus GetDriverStatus(long offset, long length)
        {
            foreach (var e in extents)
            {
                if (offset >= e.Start && offset < e.Start + e.Len)
                {
                    long n = Math.Min(e.Start + e.Len - offset, length);
                    return new DriverStatus(n, e.Flags, e.Host + (offset - e.Start), file);
                }
            }
            throw new InvalidOperationException("no extent");
        }

        protected override void Dispose(bool disposing) => file.Dispose();
    }

    private const BlockStatusFlags Data = BlockStatusFlags.Data | BlockStatusFlags.OffsetValid;
    private const BlockStatusFlags Zero = BlockStatusFlags.Zero;

    private static List<MapEntry> MapOf((long, long, BlockStatusFlags, long)[] extents, bool human, long start = 0, long? max = null)
    {
        string path = Path.Combine(Path.GetTempPath(), "imagebuild-map-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, new byte[1]);
        try
        {
            using var dev = new FakeDevice(path, HostFile.Open(path, writable: false), 0x10000, extents);
            return ImageMapper.Map(dev, start, max, human).ToList();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ContiguousDataMergesAndAGapInHostOffsetsSplits()
    {
        var list = MapOf([(0, 0x1000, Data, 0x50000), (0x1000, 0x1000, Data, 0x51000), (0x2000, 0x1000, Data, 0x90000), (0x3000, 0xD000, BlockStatusFlags.None, 0)], human: false);
        Assert.AreEqual(3, list.Count);
        Assert.AreEqual(new MapEntry(0, 0x2000, 0, true, false, true, false, 0x50000, list[0].Filename), list[0]);
        Assert.AreEqual(0x90000, list[1].Offset);
        // Unallocated in a layer that supports backing, with no backing file: reads as zero, not present.
        Assert.AreEqual(new MapEntry(0x3000, 0xD000, 0, false, true, false, false, null, null), list[2]);
    }

    [TestMethod]
    public void StartPastTheEndYieldsOneEmptyEntry()
    {
        var list = MapOf([(0, 0x10000, Data, 0)], human: false, start: 0x20000);
        Assert.AreEqual(1, list.Count);
        Assert.AreEqual(new MapEntry(0x20000, 0, 0, false, false, false, false, null, null), list[0]);
    }

    [TestMethod]
    public void MaxLengthCapsTheWalk()
    {
        var list = MapOf([(0, 0x10000, Data, 0)], human: false, start: 0x1000, max: 0x2000);
        Assert.AreEqual(1, list.Count);
        Assert.AreEqual(0x1000, list[0].Start);
        Assert.AreEqual(0x2000, list[0].Length);
        Assert.AreEqual(0x1000, list[0].Offset);
    }

    [TestMethod]
    public void HumanModeTreatsZeroWithDataAsZeroAfterAnExtent()
    {
        // data, zero-with-data, zero (both mapped contiguously): JSON keeps three extents; human output ignores
        // the zero/zero+data distinction once an extent was printed, so the last two merge.
        const BlockStatusFlags zeroMapped = BlockStatusFlags.Zero | BlockStatusFlags.OffsetValid;
        (long, long, BlockStatusFlags, long)[] ext =
            [(0, 0x1000, Data, 0), (0x1000, 0x1000, Data | BlockStatusFlags.Zero, 0x1000), (0x2000, 0xE000, zeroMapped, 0x2000)];
        var json = MapOf(ext, human: false);
        var human = MapOf(ext, human: true);
        Assert.AreEqual(3, json.Count);
        Assert.AreEqual(2, human.Count);
        Assert.AreEqual(new MapEntry(0x1000, 0xF000, 0, true, true, false, false, 0x1000, human[1].Filename), human[1]);
        // Allocated zeros and unallocated ranges still differ in "present", so they never merge.
        var mixed = MapOf([(0, 0x1000, Data, 0), (0x1000, 0x1000, BlockStatusFlags.Zero, 0), (0x2000, 0xE000, BlockStatusFlags.None, 0)], human: true);
        Assert.AreEqual(3, mixed.Count);
    }

    [TestMethod]
    public void CompressedDataHasNoOffset()
    {
        var list = MapOf([(0, 0x10000, BlockStatusFlags.Data | BlockStatusFlags.Compressed, 0)], human: false);
        Assert.AreEqual(1, list.Count);
        Assert.IsTrue(list[0].Data && list[0].Compressed);
        Assert.IsNull(list[0].Offset);
        Assert.ThrowsExactly<Output.MapHumanException>(() => Output.MapPresenter.HumanLine(list[0]));
    }
}
