using ImageBuild.Engine.Formats.Vdi;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vdi;

[TestClass]
public sealed class VdiHeaderTests
{
    [TestMethod]
    public void EveryByteOfAHeaderSurvivesARoundTrip()
    {
        // VirtualBox keeps more in the padding (header_size 0x190: a second geometry); qemu writes back what it read
        var raw = new byte[512];
        new Random(13).NextBytes(raw);
        var header = VdiHeader.Parse(raw);
        CollectionAssert.AreEqual(raw, header.ToBytes());
        header.BlocksAllocated = 0x01020304;
        byte[] changed = header.ToBytes();
        CollectionAssert.AreEqual(new byte[] { 4, 3, 2, 1 }, changed[0x184..0x188]);
        CollectionAssert.AreEqual(raw[..0x184], changed[..0x184]);
        CollectionAssert.AreEqual(raw[0x188..], changed[0x188..]);
    }

    [TestMethod]
    public void UuidsAreStoredInVirtualBoxByteOrder()
    {
        // qemu byte-swaps the first three fields of an RFC 4122 UUID when it writes one
        var header = VdiHeader.CreateNew();
        header.UuidImage = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        byte[] b = header.ToBytes();
        CollectionAssert.AreEqual(Convert.FromHexString("33221100554477668899aabbccddeeff"), b[0x188..0x198]);
        Assert.AreEqual(header.UuidImage, VdiHeader.Parse(b).UuidImage);
    }

    [TestMethod]
    [RequiresSharedImages]
    public void TheVirtualBoxSnapshotLinksToTheImageItWasTakenOf()
    {
        string dir = Path.Combine(QemuOracle.SharedImages!, "bwlehrpool");
        var image = VdiHeader.Parse(File.ReadAllBytes(Path.Combine(dir, "image-default.vdi")));
        var snapshot = VdiHeader.Parse(File.ReadAllBytes(Path.Combine(dir, "image-default_snapshot.vdi")).AsSpan(0, 512));
        Assert.AreEqual(image.UuidImage, snapshot.UuidLink);
        Assert.AreEqual(0x190u, snapshot.HeaderSize);
        Assert.AreEqual(0x180u, image.HeaderSize);
    }

    [TestMethod]
    // field, value, qemu's message
    [DataRow(0x170, 0x1fffff8000001L, "Unsupported VDI image size (size is 0x1fffff8000001, max supported is 0x1fffff8000000)")]
    [DataRow(0x40, 0L, "Image not in VDI format (bad signature 00000000)")]
    [DataRow(0x44, 0x10000L, "unsupported VDI image (version 1.0)")]
    [DataRow(0x154, 0x201L, "unsupported VDI image (unaligned block map offset 0x201)")]
    [DataRow(0x158, 0x301L, "unsupported VDI image (unaligned data offset 0x301)")]
    [DataRow(0x168, 4096L, "unsupported VDI image (sector size 4096 is not 512)")]
    [DataRow(0x178, 2097152L, "unsupported VDI image (block size 2097152 is not 1048576)")]
    [DataRow(0x170, 4194305L, "unsupported VDI image (disk size 4194816, image bitmap has room for 4194304)")]
    [DataRow(0x1A8, 1L, "unsupported VDI image (non-NULL link UUID)")]
    [DataRow(0x1B8, 1L, "unsupported VDI image (non-NULL parent UUID)")]
    public void OpenChecksGiveQemusMessages(int field, long value, string message)
    {
        var raw = ValidHeader(blocks: 4, diskSize: 4 << 20);
        if (field == 0x170) BitConverter.GetBytes(value).CopyTo(raw, field);
        else BitConverter.GetBytes((uint)value).CopyTo(raw, field);
        var e = Assert.ThrowsExactly<ImageException>(() => VdiLimits.Validate(VdiHeader.Parse(raw)));
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    public void TooManyBlocksIsCheckedLastAsInQemu()
    {
        var raw = ValidHeader(blocks: 0x1fffff81, diskSize: 4 << 20);
        var e = Assert.ThrowsExactly<ImageException>(() => VdiLimits.Validate(VdiHeader.Parse(raw)));
        Assert.AreEqual("unsupported VDI image (too many blocks 536870785, max is 536870784)", e.Message);
        Assert.AreEqual(0x1fffff80u, VdiLimits.MaxBlocksInImage);
    }

    [TestMethod]
    public void AnOddDiskSizeIsRoundedUpToWholeSectors()
    {
        var raw = ValidHeader(blocks: 4, diskSize: 1000);
        Assert.AreEqual(1024UL, VdiLimits.Validate(VdiHeader.Parse(raw)));
        raw = ValidHeader(blocks: 4, diskSize: 4 << 20);
        Assert.AreEqual(4UL << 20, VdiLimits.Validate(VdiHeader.Parse(raw)));
    }

    [TestMethod]
    public void HeaderSizeAndImageTypeAreNotCheckedAsInQemu()
    {
        var raw = ValidHeader(blocks: 4, diskSize: 4 << 20);
        BitConverter.GetBytes(5u).CopyTo(raw, 0x48);
        BitConverter.GetBytes(7u).CopyTo(raw, 0x4C);
        Assert.AreEqual(4UL << 20, VdiLimits.Validate(VdiHeader.Parse(raw)));
    }

    private static byte[] ValidHeader(uint blocks, ulong diskSize)
    {
        var h = VdiHeader.CreateNew();
        h.ImageType = VdiHeader.TypeDynamic;
        h.OffsetBmap = 0x200;
        h.OffsetData = 0x400;
        h.BlocksInImage = blocks;
        h.DiskSize = diskSize;
        return h.ToBytes();
    }
}
