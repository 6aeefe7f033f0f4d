using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow2;

[TestClass]
public sealed class Qcow2HostileTests
{
    private static string MakeImage(TempDir tmp, string options = "")
    {
        string img = tmp["h.qcow2"];
        CreateOurs(img, 4 << 20, options);
        using var dev = Open(img, writable: true);
        dev.Write(0, new byte[70000]);
        var data = new byte[4096];
        Array.Fill(data, (byte)9);
        dev.Write(1 << 20, data);
        return img;
    }

    private static void Patch(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        fs.Write(bytes);
    }

    private static void PatchU32(string path, long offset, uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); Patch(path, offset, b); }
    private static void PatchU64(string path, long offset, ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(b, v); Patch(path, offset, b); }

    /// <summary>Opening and reading everything must fail with a one-line ImageException naming the file.</summary>
    private static string AssertRefused(string img)
    {
        var e = Assert.ThrowsExactly<ImageException>(() =>
        {
            try
            {
                using var dev = Open(img);
                Md5OfDevice(dev);
            }
            catch (ImageCorruptException c)
            {
                throw new ImageException(c.Message, c);
            }
        });
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
        StringAssert.Contains(e.Message, img);
        return e.Message;
    }

    [TestMethod]
    public void TruncatedHeader()
    {
        using var tmp = new TempDir();
        string img = tmp["t.qcow2"];
        File.WriteAllBytes(img, File.ReadAllBytes(MakeImage(tmp)).AsSpan(0, 50).ToArray());
        StringAssert.Contains(AssertRefused(img), "qcow2 header too short", "read zero-filled like qemu, so the header length check fails");
    }

    [TestMethod]
    public void BadMagic()
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU32(img, 0, 0x12345678);
        StringAssert.Contains(AssertRefused(img), "Image is not in qcow2 format");
    }

    [TestMethod]
    [DataRow(8u, "Unsupported cluster size: 2^8")]
    [DataRow(22u, "Unsupported cluster size: 2^22")]
    [DataRow(0xFFFFFFFFu, "Unsupported cluster size: 2^4294967295")]
    public void ClusterBitsOutOfRange(uint bits, string message)
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU32(img, 20, bits);
        StringAssert.Contains(AssertRefused(img), message);
    }

    [TestMethod]
    [DataRow(50u, "qcow2 header too short")]
    [DataRow(70000u, "qcow2 header exceeds cluster size")]
    public void BadHeaderLength(uint length, string message)
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU32(img, 100, length);
        StringAssert.Contains(AssertRefused(img), message);
    }

    [TestMethod]
    public void L1TablePastEofOrHuge()
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU64(img, 40, 1UL << 40);
        StringAssert.Contains(AssertRefused(img), "L1 table");
        PatchU64(img, 40, 0x30000);
        PatchU32(img, 36, 0x7FFFFFFF);
        StringAssert.Contains(AssertRefused(img), "Active L1 table too large");
        PatchU32(img, 36, 0);
        StringAssert.Contains(AssertRefused(img), "L1 table is too small");
    }

    [TestMethod]
    public void RefcountTablePastEofOrHuge()
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU32(img, 56, 0x10000000);
        StringAssert.Contains(AssertRefused(img), "Reference count table too large");
        PatchU32(img, 56, 100);
        StringAssert.Contains(AssertRefused(img), "reference count table");
        PatchU32(img, 56, 1);
        PatchU64(img, 48, 0x10001);
        StringAssert.Contains(AssertRefused(img), "Reference count table offset invalid");
    }

    [TestMethod]
    public void BackingNameTooLong()
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU64(img, 8, 0x200);
        PatchU32(img, 16, 2000);
        StringAssert.Contains(AssertRefused(img), "Backing file name too long");
    }

    [TestMethod]
    public void SnapshotTablePastEof()
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU32(img, 60, 5);
        PatchU64(img, 64, 1UL << 30);
        StringAssert.Contains(AssertRefused(img), "snapshot table");
        PatchU32(img, 60, 100000);
        StringAssert.Contains(AssertRefused(img), "Snapshot table too large");
    }

    [TestMethod]
    public void L2OffsetPastEofAndUnaligned()
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU64(img, 0x30000, (1UL << 40) | (1UL << 63));
        StringAssert.Contains(AssertRefused(img), "L2 table at offset");
        PatchU64(img, 0x30000, 0x40200 | (1UL << 63));
        StringAssert.Contains(AssertRefused(img), "unaligned");
    }

    [TestMethod]
    public void CompressedClusterPastEof()
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        long l2 = 0x40000; // first L2 table (cluster 4)
        using (var dev = Open(img))
            Assert.AreEqual(l2, (long)(((ImageBuild.Engine.Formats.Qcow2.Qcow2Device)dev).L1[0] & 0xFFFFFFFFFE00));
        PatchU64(img, l2, (1UL << 62) | (5UL << 54) | (1UL << 35));
        StringAssert.Contains(AssertRefused(img), "compressed cluster at host offset");
        PatchU64(img, l2, (1UL << 62) | (1UL << 54) | 0x1000);
        StringAssert.Contains(AssertRefused(img), "could not decompress");
    }

    [TestMethod]
    [RequiresQemu]
    public void UnknownIncompatibleFeatureIsRefusedWithQemusMessage()
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU64(img, 72, 0x60);
        var r = QemuOracle.Img("info", img);
        StringAssert.Contains(r.StdErr, "Unsupported qcow2 feature(s): Unknown incompatible feature: 60");
        var e = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Ctx(), img, new OpenOptions()));
        Assert.AreEqual($"Could not open '{img}': Unsupported qcow2 feature(s): Unknown incompatible feature: 60", e.Message);
    }

    [TestMethod]
    [RequiresQemu]
    public void EncryptedImageWithoutKeyIsRefusedAsQemuRefusesIt()
    {
        using var tmp = new TempDir();
        string img = tmp["e.qcow2"];
        QemuOracle.ImgOk("create", "-q", "--object", "secret,id=s,data=x", "-f", "qcow2", "-o", "encrypt.format=aes,encrypt.key-secret=s", img, "1M");
        var e = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Ctx(), img, new OpenOptions()));
        Assert.AreEqual($"Could not open '{img}': Parameter 'encrypt.key-secret' is required for cipher", e.Message);
    }

    [TestMethod]
    public void CorruptBitRefusesReadWrite()
    {
        using var tmp = new TempDir();
        string img = MakeImage(tmp);
        PatchU64(img, 72, 2);
        var e = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Ctx(), img, new OpenOptions { Writable = true }));
        StringAssert.Contains(e.Message, "qcow2: Image is corrupt; cannot be opened read/write");
        using var ro = ImageOpener.Open(Ctx(), img, new OpenOptions());
        Assert.AreEqual("qcow2", ro.FormatName);
    }
}
