using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow.QcowTestSupport;
using Shared = ImageBuild.Engine.Tests.Qcow2.Qcow2TestSupport;

namespace ImageBuild.Engine.Tests.Qcow;

/// <summary>Images qemu-io wrote: everything we read, and our block status, equal qemu-img's convert and map.</summary>
[TestClass]
[RequiresQemu]
public sealed class QcowReadTests
{
    private static void AssertReadsLikeQemu(TempDir tmp, string image)
    {
        string expected = Shared.QemuRawMd5(tmp, image);
        using var dev = Open(image);
        Assert.AreEqual(expected, Shared.Md5OfDevice(dev), "guest data");
        Assert.AreEqual(string.Join('\n', Shared.QemuMap(image)), OurMap(dev), "map");
    }

    /// <summary>Our map --output=json entries (the engine's mapper, as the CLI prints them), in the test helper's form.</summary>
    private static string OurMap(Engine.Block.BlockDevice dev) => string.Join('\n',
        Engine.Operations.ImageMapper.Map(dev, 0, null, humanCoalescing: false)
            .Select(e => $"{e.Start} {e.Length} {e.Depth} {e.Present} {e.Zero} {e.Data} {e.Offset?.ToString() ?? "-"}"));

    [TestMethod]
    public void PatternsZeroesDiscardsAndCompressedClusters()
    {
        using var tmp = new TempDir();
        string img = tmp["a.qcow"];
        CreateQemu(img, 5 << 20);
        QemuIo(img, "write -P 1 0 100k", "write -c -P 2 128k 4k", "write -c -P 3 132k 4k", "write -z 200k 8k",
            "write -P 4 2044k 8k", "discard 0 4k", "write -c 1M 4k", "write -P 5 5119k 1k", "write -P 6 130k 1k");
        AssertReadsLikeQemu(tmp, img);
    }

    /// <summary>An overlay (512-byte clusters) over a qcow and over a raw backing file; reads past a shorter backing file are zeros.</summary>
    [TestMethod]
    [DataRow("qcow")]
    [DataRow("raw")]
    public void OverlayReadsThroughItsBackingFile(string backingFormat)
    {
        using var tmp = new TempDir();
        string backing = tmp["base." + backingFormat];
        QemuOracle.ImgOk("create", "-q", "-f", backingFormat, backing, "3M");
        QemuOracle.IoOk("-f", backingFormat, "-c", "write -P 0x11 0 3M", backing);
        string top = tmp["top.qcow"];
        QemuOracle.ImgOk("create", "-q", "-f", "qcow", "-b", backing, "-F", backingFormat, top, "4M");
        QemuIo(top, "write -P 0x22 512 512", "write -P 0x33 1M 64k", "write -P 0x44 3M 4k", "write -c -P 0x55 2M 512");
        AssertReadsLikeQemu(tmp, top);
        using var dev = Open(top);
        Assert.AreEqual(backing, dev.FullBackingFilename);
        Assert.AreEqual(512, dev.ClusterSize);
    }

    /// <summary>The cluster and L2 sizes qemu accepts but never creates: 64 KiB clusters with 8192-entry tables, 512-byte ones with 64.</summary>
    [TestMethod]
    [DataRow((byte)16, (byte)13)]
    [DataRow((byte)9, (byte)6)]
    [DataRow((byte)12, (byte)13)]
    public void UnusualGeometriesWrittenByQemu(byte clusterBits, byte l2Bits)
    {
        using var tmp = new TempDir();
        string img = tmp["g.qcow"];
        long size = (64L << 20) + 1000; // not a whole sector: qemu rounds the stored size down
        int l1 = (int)((size + (1L << (clusterBits + l2Bits)) - 1) >> (clusterBits + l2Bits));
        File.WriteAllBytes(img, [.. Header((ulong)size, clusterBits, l2Bits), .. new byte[l1 * 8]]);
        QemuIo(img, "write -P 1 0 100k", $"write -c -P 2 {1 << clusterBits} {1 << clusterBits}", "write -P 3 67108352 512", "write -P 4 33M 3M");
        AssertReadsLikeQemu(tmp, img);
        using var dev = Open(img);
        Assert.AreEqual(size / 512 * 512, dev.VirtualSize);
        Assert.AreEqual(1 << clusterBits, dev.ClusterSize);
    }

    [TestMethod]
    [RequiresSharedImages]
    [DataRow("sleuthkit/image.qcow", "a528fc1bec79f4fef062f2bf1008c045")]
    [DataRow("freebsd-mkimg/img-1x1-512-gpt.qcow", "2fec896a950e428aca51850071a5cf66")]
    public void RealImagesReadAsExpectedTsvSays(string image, string md5)
    {
        string path = Path.Combine(QemuOracle.SharedImages!, image);
        using var dev = Open(path);
        Assert.AreEqual(md5, Shared.Md5OfDevice(dev));
        Assert.AreEqual(string.Join('\n', Shared.QemuMap(path)), OurMap(dev), "map");
    }

    /// <summary>An AES image: info-style opens (no I/O) see it as encrypted; every open that reads is refused with qemu's words without the key (QcowAesImageTests reads with it).</summary>
    [TestMethod]
    public void EncryptedImageIsNeverReadAsPlaintext()
    {
        using var tmp = new TempDir();
        string img = tmp["enc.qcow"];
        QemuOracle.ImgOk("create", "-q", "-f", "qcow", "--object", "secret,id=s0,data=abc", "-o", "encrypt.format=aes,encrypt.key-secret=s0", img, "1M");
        QemuOracle.IoOk("--object", "secret,id=s0,data=abc", "--image-opts", "-c", "write -P 0x5a 0 64k", $"driver=qcow,file.filename={img},encrypt.key-secret=s0");
        var e = Assert.ThrowsExactly<ImageException>(() => Open(img).Dispose());
        Assert.AreEqual($"Could not open '{img}': Parameter 'encrypt.key-secret' is required for cipher", e.Message);
        using var dev = Engine.Block.ImageOpener.Open(Ctx(), img, new Engine.Block.OpenOptions { Format = "qcow", NoIo = true });
        Assert.IsTrue(dev.IsEncrypted);
        var buf = new byte[512];
        var read = Assert.ThrowsExactly<ImageException>(() => dev.Read(0, buf));
        Assert.AreEqual("Parameter 'encrypt.key-secret' is required for cipher", read.Message, "no key, no data");
        Assert.IsFalse(Engine.Block.BlockLayer.GetStatus(dev, 0, 4096).HasOffset, "qemu gives no host offset for encrypted data");
    }
}
