using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.Bochs;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Bochs;

/// <summary>The bochs driver on BochsBuilder images: content, the bitmap, odd requests, refusals.</summary>
[TestClass]
public sealed class BochsReadTests
{
    private static ImageContext Ctx() => new(FormatRegistry.CreateDefault());

    private static BlockDevice Open(string path, bool writable = false) =>
        ImageOpener.Open(Ctx(), path, new OpenOptions { Format = "bochs", Writable = writable });

    private static byte[] Content(int size)
    {
        var raw = new byte[size];
        var rng = new Random(7);
        for (int s = 0; s < size / 512; s++)
            if (s % 5 != 3) rng.NextBytes(raw.AsSpan(s * 512, 512)); // every fifth sector zero: no bitmap bit
        raw.AsSpan(20_000, Math.Min(30_000, size - 20_000)).Clear(); // whole extents without a slot
        return raw;
    }

    [TestMethod]
    [DataRow(2, 4096)]
    [DataRow(1, 4096)]
    [DataRow(2, 512)]
    public void ReadsTheContentBackWithClearBitsAsZeros(int version, int extent)
    {
        using var tmp = new TempDir();
        byte[] raw = Content(256 * 1024);
        BochsBuilder.Write(tmp["a.bochs"], raw, new BochsBuilder.Layout(version, extent));
        using var dev = Open(tmp["a.bochs"]);
        Assert.AreEqual("bochs", dev.FormatName);
        Assert.AreEqual(raw.Length, dev.VirtualSize);
        var all = new byte[raw.Length];
        dev.Read(0, all);
        CollectionAssert.AreEqual(raw, all);
    }

    [TestMethod]
    public void UnalignedRequestsReadTheSameBytes()
    {
        using var tmp = new TempDir();
        byte[] raw = Content(64 * 1024);
        BochsBuilder.Write(tmp["a.bochs"], raw, new BochsBuilder.Layout(2, 4096));
        using var dev = Open(tmp["a.bochs"]);
        foreach (var (offset, length) in new[] { (1, 7), (511, 2), (4095, 4098), (1000, 30_000), (65535, 1) })
        {
            var part = new byte[length];
            dev.Read(offset, part);
            CollectionAssert.AreEqual(raw.AsSpan(offset, length).ToArray(), part, $"{offset}+{length}");
        }
    }

    [TestMethod]
    public void OpeningForWritingIsRefusedAsInQemu()
    {
        using var tmp = new TempDir();
        BochsBuilder.Write(tmp["a.bochs"], new byte[8192]);
        var e = Assert.ThrowsExactly<ImageException>(() => Open(tmp["a.bochs"], writable: true));
        Assert.AreEqual($"Could not open '{tmp["a.bochs"]}': Image is read-only", e.Message);
    }

    [TestMethod]
    public void EverythingIsDataAsQemuReportsForADriverWithoutBlockStatus()
    {
        using var tmp = new TempDir();
        BochsBuilder.Write(tmp["a.bochs"], new byte[65536]);
        using var dev = Open(tmp["a.bochs"]);
        var st = BlockLayer.GetStatus(dev, 0, dev.VirtualSize);
        Assert.AreEqual(dev.VirtualSize, st.Length);
        Assert.IsTrue(st.IsData && st.IsAllocated && !st.IsZero && !st.HasOffset);
        Assert.IsFalse(dev.HasDriverInfo);
    }

    [TestMethod]
    public void HeaderFieldsOfBothVersions()
    {
        var b = new byte[BochsHeader.Size];
        "Bochs Virtual HD Image"u8.CopyTo(b);
        "Redolog"u8.CopyTo(b.AsSpan(32));
        "Growing"u8.CopyTo(b.AsSpan(48));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(64), BochsHeader.Version1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(80), 4096);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(84), 123 * 512);
        Assert.IsTrue(BochsHeader.IsBochs(b));
        Assert.AreEqual(123UL * 512, BochsHeader.Parse(b).DiskSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(64), BochsHeader.Version2);
        Assert.AreEqual(123UL * 512 >> 32, BochsHeader.Parse(b).DiskSize, "v2 reads the disk size 4 bytes later");
        Assert.AreEqual(0x800000u, BochsLimits.Blocks(0), "qemu's 32-bit wrap of a zero bitmap size");
        Assert.AreEqual(1u, BochsLimits.Blocks(1));
        Assert.AreEqual(2u, BochsLimits.Blocks(513));
    }
}
