using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.Vdi;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vdi.VdiTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;
using static ImageBuild.Tests.Shared.ImageFilePatch;

namespace ImageBuild.Engine.Tests.Vdi;

[TestClass]
public sealed class VdiCreateTests
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [TestMethod]
    public void TheUuidsComeFromTheContextsIdentity()
    {
        using var tmp = new TempDir();
        var identity = IdentitySource.Reproducible("seed", Epoch);
        var ctx = Ctx().WithIdentity(identity);
        Create(tmp["a.vdi"], 8 * MiB, ctx: ctx);
        var header = VdiHeader.Parse(File.ReadAllBytes(tmp["a.vdi"]).AsSpan(0, 512));
        var expected = identity.ForImage(tmp["a.vdi"]);
        Assert.AreEqual(expected.NewUuid("image"), header.UuidImage);
        Assert.AreEqual(expected.NewUuid("last_snap"), header.UuidLastSnap);
        Assert.AreNotEqual(header.UuidImage, header.UuidLastSnap);
        Assert.AreEqual(Guid.Empty, header.UuidLink);
        Assert.AreEqual(Guid.Empty, header.UuidParent);
    }

    [TestMethod]
    public void AReproducibleIdentityGivesTheSameBytesAndDistinctNamesDistinctUuids()
    {
        using var tmp = new TempDir();
        var ctx = Ctx().WithIdentity(IdentitySource.Reproducible("seed", Epoch));
        Directory.CreateDirectory(tmp["x"]);
        Create(tmp["a.vdi"], 8 * MiB, ctx: ctx);
        Create(tmp["x/a.vdi"], 8 * MiB, ctx: ctx);
        Create(tmp["b.vdi"], 8 * MiB, ctx: ctx);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["a.vdi"]), File.ReadAllBytes(tmp["x/a.vdi"]));
        Assert.AreNotEqual(ReadU32(tmp["a.vdi"], UuidImage), ReadU32(tmp["b.vdi"], UuidImage));
        var other = Ctx().WithIdentity(IdentitySource.Reproducible("other", Epoch));
        Create(tmp["x/a.vdi"], 8 * MiB, ctx: other);
        Assert.AreNotEqual(ReadU32(tmp["a.vdi"], UuidImage), ReadU32(tmp["x/a.vdi"], UuidImage));
    }

    [TestMethod]
    [DataRow(0L, false, 512L)]
    [DataRow(1000L, false, 1024L)]
    [DataRow(1L << 30, false, 512L + 4096)]
    [DataRow(3L << 20, true, 1024L + (3L << 20))]
    [DataRow((1L << 20) + 1, true, 1024L + (2L << 20))]
    public void TheLayoutIsQemus(long size, bool isStatic, long fileLength)
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        Create(path, size, isStatic);
        Assert.AreEqual(fileLength, new FileInfo(path).Length);
        byte[] b = File.ReadAllBytes(path);
        Assert.AreEqual("<<< QEMU VM Virtual Disk Image >>>\n", System.Text.Encoding.ASCII.GetString(b, 0, 35));
        var h = VdiHeader.Parse(b.AsSpan(0, 512));
        uint blocks = (uint)((Sectors.RoundUp(size) + MiB - 1) / MiB);
        Assert.AreEqual((VdiHeader.Signature, VdiHeader.Version11, 0x180u, isStatic ? 2u : 1u), (h.Sig, h.Version, h.HeaderSize, h.ImageType));
        Assert.AreEqual((0x200u, (uint)(0x200 + ((blocks * 4 + 511) & ~511))), (h.OffsetBmap, h.OffsetData));
        Assert.AreEqual(((ulong)Sectors.RoundUp(size), (uint)MiB, 0u, blocks, isStatic ? blocks : 0u),
            (h.DiskSize, h.BlockSize, h.BlockExtra, h.BlocksInImage, h.BlocksAllocated));
        for (uint i = 0; i < blocks; i++)
            Assert.AreEqual(isStatic ? i : 0xFFFFFFFFu, MapEntry(path, i));
        for (long at = 0x200 + blocks * 4L; at < h.OffsetData; at++)
            Assert.AreEqual(0, b[at], "the map's sector padding is zero");
    }

    [TestMethod]
    public void ASizePastQemusLimitIsRefusedAfterTheFileIsMadeAsInQemu()
    {
        using var tmp = new TempDir();
        string path = tmp["a.vdi"];
        var e = Assert.ThrowsExactly<ImageException>(() => Create(path, 600L << 40));
        Assert.AreEqual($"{path}: Unsupported VDI image size (size is 0x2580000000000, max supported is 0x1fffff8000000)", e.Message);
        Assert.AreEqual(0L, new FileInfo(path).Length);
    }
}
