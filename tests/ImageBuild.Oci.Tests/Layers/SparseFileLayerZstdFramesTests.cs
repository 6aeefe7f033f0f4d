using ImageBuild.Oci.Layers;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Layers;

/// <summary>
/// Extraction decodes a layer as `zstd -d` would: a tar split over several frames (an empty one among them), or
/// compressed by the zstd CLI with a long window, restores the same file as our single-frame blob.
/// </summary>
[TestClass]
public sealed class SparseFileLayerZstdFramesTests
{
    private static string SourceFile(LayerScratch s) =>
        s.SparseFile("disk.raw", (8L << 20) + 123, (4096, LayerScratch.Random(300_000, 50)), (6L << 20, LayerScratch.Random(70_000, 51)));

    [TestMethod]
    public void ALayerOfSeveralFrames_Extracts()
    {
        using var s = new LayerScratch();
        string src = SourceFile(s);
        var (layer, _) = s.Encode(src, "disk.raw");
        byte[] tar = LayerScratch.Tar(layer);
        int third = tar.Length / 3;
        File.WriteAllBytes(s.PathOf("frames.zst"),
        [
            .. HostileLayer.Compress(tar[..third]), .. HostileLayer.Compress([]),
            .. HostileLayer.Compress(tar[third..(2 * third)]), .. HostileLayer.Compress(tar[(2 * third)..]),
        ]);
        Assert.AreEqual("disk.raw", s.Extract(s.PathOf("frames.zst"), "out"));
        LayerScratch.AssertSameBytes(src, s.PathOf("out"));
    }

    [TestMethod]
    [RequiresTool("zstd")]
    public void ALayerCompressedByTheZstdCli_Extracts()
    {
        using var s = new LayerScratch();
        string src = SourceFile(s);
        var (layer, _) = s.Encode(src, "disk.raw");
        File.WriteAllBytes(s.PathOf("layer.tar"), LayerScratch.Tar(layer));
        ExternalTools.RunOk("zstd", s.Dir, "-q", "-19", "--long=27", "--check", "-o", "cli.zst", "layer.tar");
        Assert.AreEqual("disk.raw", s.Extract(s.PathOf("cli.zst"), "out"));
        LayerScratch.AssertSameBytes(src, s.PathOf("out"));
    }

    [TestMethod]
    public void ATruncatedLayer_NamesItsSource_OnOneLine()
    {
        using var s = new LayerScratch();
        var (layer, _) = s.Encode(SourceFile(s), "disk.raw");
        byte[] blob = File.ReadAllBytes(layer);
        var e = Assert.ThrowsExactly<InvalidDataException>(() =>
            SparseFileLayer.Extract(new MemoryStream(blob[..^3]), s.PathOf("out"), long.MaxValue, "oci://reg/repo@sha256:cd", CancellationToken.None));
        Assert.AreEqual("oci://reg/repo@sha256:cd: the layer ends early (truncated zstd stream)", e.Message);
        Assert.IsFalse(File.Exists(s.PathOf("out")), "no file is left behind");
    }
}
