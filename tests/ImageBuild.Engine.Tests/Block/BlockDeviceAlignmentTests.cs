using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Block;

/// <summary>The base device turns requests smaller than a driver's alignment into read-modify-write of whole units.</summary>
[TestClass]
public sealed class BlockDeviceAlignmentTests
{
    /// <summary>A device over a byte array that accepts only whole 4 KiB units (the last one may end at the size).</summary>
    private sealed class UnitDevice(HostFile file, long size) : BlockDevice("mem", readOnly: false)
    {
        public readonly byte[] Data = new byte[size];
        public readonly List<(long Offset, int Length, bool Write)> Calls = [];

        public override string FormatName => "unit";
        public override long VirtualSize => Data.Length;
        public override HostFile File => file;
        protected override int RequestAlignment => 4096;

        protected override void ReadCore(long offset, Span<byte> dest)
        {
            Check(offset, dest.Length);
            Calls.Add((offset, dest.Length, false));
            Data.AsSpan((int)offset, dest.Length).CopyTo(dest);
        }

        protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
        {
            Check(offset, src.Length);
            Calls.Add((offset, src.Length, true));
            src.CopyTo(Data.AsSpan((int)offset));
        }

        private void Check(long offset, int length)
        {
            Assert.AreEqual(0, offset % 4096, $"unaligned offset {offset}");
            Assert.IsTrue(length % 4096 == 0 || offset + length == Data.Length, $"unaligned length {length} at {offset}");
        }

        public override DriverStatus GetDriverStatus(long offset, long length) => new(length, BlockStatusFlags.Data, 0, null);
    }

    [TestMethod]
    public void UnalignedWritesAndReadsKeepTheBytesAroundThem()
    {
        using var tmp = new TempDir();
        using var file = HostFile.Create(tmp["f"]);
        long size = 3 * 4096 + 1000; // the last unit is short
        using var dev = new UnitDevice(file, size);
        var model = new byte[size];
        var rng = new Random(5);
        rng.NextBytes(dev.Data);
        dev.Data.CopyTo(model, 0);
        foreach (var (off, len) in new[] { (10L, 20), (4090L, 12), (100L, 9000), (8192L, 4096), (12000L, (int)(size - 12000)), (0L, (int)size) })
        {
            var chunk = new byte[len];
            rng.NextBytes(chunk);
            dev.Write(off, chunk);
            chunk.CopyTo(model, off);
            CollectionAssert.AreEqual(model, dev.Data, $"after writing {len} at {off}");
            var back = new byte[len];
            dev.Read(off, back);
            CollectionAssert.AreEqual(chunk, back);
        }
        Assert.IsTrue(dev.Calls.Exists(c => !c.Write), "partial units were read before being written");
    }

    [TestMethod]
    public void ReadOnlyAndRangeChecksComeFromTheBase()
    {
        using var tmp = new TempDir();
        using var file = HostFile.Create(tmp["f"]);
        using var dev = new UnitDevice(file, 8192);
        Assert.ThrowsExactly<ImageException>(() => dev.Write(8190, new byte[4]));
        Assert.ThrowsExactly<ImageException>(() => dev.Read(-1, new byte[1]));
        Assert.IsEmpty(dev.Calls, "nothing reached the driver");
        dev.WriteZeroes(4000, 200, WriteZeroesFlags.None); // the fallback writes zeros through Write
        Assert.IsTrue(dev.Data.AsSpan(4000, 200).IndexOfAnyExcept((byte)0) < 0);
    }
}
