using System.Buffers.Binary;
using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>The VMDK grain codec: qemu's zlib compress() byte for byte, stored whatever its size, the last grain unpadded.</summary>
[TestClass]
public sealed class VmdkGrainCompressorTests
{
    private const int Grain = 65536;

    [TestMethod]
    public void TheSchemeIsAZlibStreamThatMayExpandAndIsNotPadded()
    {
        var scheme = new VmdkGrainCompressor().Scheme;
        Assert.AreEqual(CompressionContainer.Zlib, scheme.Container);
        Assert.IsTrue(scheme.MayExpand);
        Assert.IsFalse(scheme.PadsLastUnit);
        Assert.AreEqual(scheme, new VmdkFormat().Capabilities.Compression, "declared once, by the format");
    }

    [TestMethod]
    public void IncompressibleGrainsAreStoredLargerThanAGrainAndRoundTrip()
    {
        var codec = new VmdkGrainCompressor();
        var data = new byte[Grain];
        new Random(3).NextBytes(data);
        var dest = new byte[2 * Grain];
        int n = codec.Compress(data, dest);
        Assert.IsTrue(n > Grain, $"{n} bytes: a random grain grows, and is kept");
        Assert.AreEqual(0x78, dest[0], "a zlib header");
        var back = new byte[Grain];
        Assert.IsTrue(codec.TryDecompress(dest.AsSpan(0, n), back));
        CollectionAssert.AreEqual(data, back);
        Assert.IsFalse(codec.TryDecompress(dest.AsSpan(0, n / 2), back), "a cut stream does not decode");
    }

    [TestMethod]
    [RequiresQemu]
    public void GrainsAreByteIdenticalToQemus()
    {
        using var tmp = new TempDir();
        var src = new byte[3 * Grain + 4096]; // the last grain is short: compressed as it is
        for (int i = 0; i < src.Length; i++) src[i] = (byte)(i % 253 ^ (i >> 9));
        File.WriteAllBytes(tmp["src.raw"], src);
        QemuOracle.ImgOk("convert", "-O", "vmdk", "-o", "subformat=streamOptimized", tmp["src.raw"], tmp["s.vmdk"]);
        var codec = new VmdkGrainCompressor();
        using var file = HostFile.Open(tmp["s.vmdk"], false);
        var header = new byte[512];
        file.Read(0, header);
        long gd = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(56)) * 512;
        var entry = new byte[4];
        file.Read(gd, entry);
        var gt = new byte[2048];
        file.Read(BinaryPrimitives.ReadUInt32LittleEndian(entry) * 512L, gt);
        for (int g = 0; g < 4; g++)
        {
            long marker = BinaryPrimitives.ReadUInt32LittleEndian(gt.AsSpan(g * 4)) * 512L;
            var m = new byte[12];
            file.Read(marker, m);
            Assert.AreEqual((ulong)g * 128, BinaryPrimitives.ReadUInt64LittleEndian(m), "marker lba");
            var theirs = new byte[BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(8))];
            file.Read(marker + 12, theirs);
            var ours = new byte[2 * Grain];
            int n = codec.Compress(src.AsSpan(g * Grain, Math.Min(Grain, src.Length - g * Grain)), ours);
            CollectionAssert.AreEqual(theirs, ours[..n], $"grain {g}");
        }
    }
}
