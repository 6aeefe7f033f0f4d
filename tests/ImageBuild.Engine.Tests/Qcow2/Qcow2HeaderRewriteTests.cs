using System.Buffers.Binary;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow2;

[TestClass]
public sealed class Qcow2HeaderRewriteTests
{
    [TestMethod]
    [RequiresQemu]
    public void UnknownHeaderExtensionSurvivesAHeaderRewrite()
    {
        using var tmp = new TempDir();
        string img = tmp["u.qcow2"];
        CreateOurs(img, 1 << 20, "");
        // Insert an unknown extension (type 0x12345678, 5 bytes) before the feature table.
        var b = File.ReadAllBytes(img);
        var ext = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(ext, 0x12345678);
        BinaryPrimitives.WriteUInt32BigEndian(ext.AsSpan(4), 5);
        "hello"u8.CopyTo(ext.AsSpan(8));
        var rest = b.AsSpan(112, 512).ToArray();
        ext.CopyTo(b, 112);
        rest.AsSpan(0, 512 - 16).CopyTo(b.AsSpan(128));
        File.WriteAllBytes(img, b);
        QemuOracle.ImgOk("check", img);
        File.WriteAllBytes(tmp["base.raw"], new byte[1 << 20]);
        using (var dev = Open(img, writable: true))
            dev.ChangeBackingFile("base.raw", "raw");
        var after = File.ReadAllBytes(img);
        int at = after.AsSpan(0, 65536).IndexOf("hello"u8);
        Assert.IsTrue(at > 0, "unknown extension kept");
        Assert.AreEqual(0x12345678u, BinaryPrimitives.ReadUInt32BigEndian(after.AsSpan(at - 8)));
        string info = QemuOracle.ImgOk("info", "-U", img);
        StringAssert.Contains(info, "backing file: base.raw");
        StringAssert.Contains(info, "backing file format: raw");
        using (var dev = Open(img, writable: true))
            dev.ChangeBackingFile(null, null);
        using (var dev = Open(img))
            Assert.IsNull(dev.BackingFilename);
        QemuOracle.ImgOk("check", img);
    }

    [TestMethod]
    [RequiresQemu]
    public void WritesOverInternalSnapshotsCopyOnWrite()
    {
        using var tmp = new TempDir();
        string img = tmp["s.qcow2"];
        CreateQemu(img, 4 << 20, "cluster_size=4096");
        QemuOracle.IoOk("-f", "qcow2", "-c", "write -P 1 0 4M", img);
        QemuOracle.ImgOk("snapshot", "-c", "before", img);
        string before = QemuRawMd5(tmp, img);
        var model = new byte[4 << 20];
        Array.Fill(model, (byte)1);
        using (var dev = Open(img, writable: true))
        {
            Assert.AreEqual("before", dev.Snapshots[0].Name);
            var data = new byte[100000];
            new Random(3).NextBytes(data);
            dev.Write(5000, data);
            data.CopyTo(model, 5000);
            dev.WriteZeroes(1 << 20, 1 << 20, ImageBuild.Engine.Block.WriteZeroesFlags.MayUnmap);
            Array.Clear(model, 1 << 20, 1 << 20);
            dev.Discard(3 << 20, 64 << 10);
            Array.Clear(model, 3 << 20, 64 << 10);
        }
        var r = QemuOracle.Img("check", img);
        Assert.AreEqual(0, r.ExitCode, r.StdOut + r.StdErr);
        File.WriteAllBytes(tmp["m.raw"], model);
        Assert.AreEqual(0, QemuOracle.Img("compare", "-f", "qcow2", "-F", "raw", img, tmp["m.raw"]).ExitCode);
        QemuOracle.ImgOk("snapshot", "-a", "before", img);
        Assert.AreEqual(before, QemuRawMd5(tmp, img), "the snapshot still reads its old content");
    }

    [TestMethod]
    [RequiresQemu]
    public void WritingKeepsBitmapsConsistentAndRecordsTheWrite()
    {
        using var tmp = new TempDir();
        string img = tmp["b.qcow2"];
        CreateQemu(img, 4 << 20, "");
        QemuOracle.ImgOk("bitmap", "--add", img, "b0");
        using (var ro = Open(img))
            Assert.AreEqual(1, ((IReadOnlyList<object>)ro.GetSpecificInfo()!.Data["bitmaps"]!).Count);
        using (var dev = Open(img, writable: true))
            dev.Write(0, new byte[512]);
        var r = QemuOracle.Img("info", img);
        Assert.AreEqual("", r.StdErr);
        StringAssert.Contains(r.StdOut, "                [0]: auto\n            name: b0\n");
        Assert.AreEqual(0, QemuOracle.Img("check", img).ExitCode);
        // The bit for the written cluster is set in what qemu now reads as a consistent bitmap.
        using (var ro = Open(img))
        {
            var bits = ((ImageBuild.Engine.Formats.Qcow2.Qcow2Device)ro).GetBitmapForMerge("b0").Bits;
            Assert.AreEqual(1, bits[0]);
            Assert.IsFalse(bits.AsSpan(1).ContainsAnyExcept((byte)0));
        }
    }
}
