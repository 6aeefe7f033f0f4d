using System.Text;
using ImageBuild.Oci.Layers;

namespace ImageBuild.Oci.Tests.Layers;

[TestClass]
public sealed class SparseFileLayerRoundTripTests
{
    [TestMethod]
    public void DenseFileIsAnOrdinaryEntryAndRoundTrips()
    {
        using var s = new LayerScratch();
        string src = s.DenseFile("dense.img", 100_000 + 123, (0, LayerScratch.Random(100_123, 1)));
        var (layer, result) = s.Encode(src, "dense.img");
        Assert.AreEqual(100_123L, result.DataBytes);
        byte[] tar = LayerScratch.Tar(layer);
        Assert.AreEqual(tar.LongLength, result.TarSize);
        Assert.AreEqual("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tar)), result.DiffId);
        Assert.IsFalse(Encoding.ASCII.GetString(tar).Contains("GNU.sparse", StringComparison.Ordinal), "a dense file has no sparse records");
        Assert.AreEqual("dense.img", s.Extract(layer, "out.img"));
        LayerScratch.AssertSameBytes(src, s.PathOf("out.img"));
    }

    [TestMethod]
    public void SparseFileRoundTripsWithHoles()
    {
        using var s = new LayerScratch();
        long size = 32L << 20;
        string src = s.SparseFile("disk.raw", size,
            (0, LayerScratch.Random(512, 2)),
            (5 << 20, LayerScratch.Random(10_000, 3)),
            ((16 << 20) + 4095, LayerScratch.Random(2, 4)),   // straddles two blocks
            (size - 4096, LayerScratch.Random(4096, 5)));
        var (layer, result) = s.Encode(src, "disk.raw");
        Assert.AreEqual(4096L + 12_288 + 8192 + 4096, result.DataBytes, "whole 4 KiB blocks that hold data");
        Assert.IsLessThan(64L << 10, new FileInfo(layer).Length);
        Assert.AreEqual("disk.raw", s.Extract(layer, "out.raw"));
        LayerScratch.AssertSameBytes(src, s.PathOf("out.raw"));
        Assert.IsLessThan(1L << 20, LayerScratch.AllocatedBytes(s.PathOf("out.raw")), "extracted file keeps its holes");
    }

    [TestMethod]
    public void AllZeroFileStoresNoData()
    {
        using var s = new LayerScratch();
        string src = s.DenseFile("zero.img", 3 << 20);
        var (layer, result) = s.Encode(src, "zero.img");
        Assert.AreEqual(0L, result.DataBytes);
        s.Extract(layer, "out.img");
        LayerScratch.AssertSameBytes(src, s.PathOf("out.img"));
        Assert.AreEqual(0L, LayerScratch.AllocatedBytes(s.PathOf("out.img")));
    }

    [TestMethod]
    public void EmptyFileRoundTrips()
    {
        using var s = new LayerScratch();
        string src = s.DenseFile("empty", 0);
        var (layer, result) = s.Encode(src, "empty");
        Assert.AreEqual(0L, result.DataBytes);
        Assert.AreEqual(3L * 512, result.TarSize, "one header and the two end blocks");
        s.Extract(layer, "out");
        Assert.AreEqual(0L, new FileInfo(s.PathOf("out")).Length);
    }

    [TestMethod]
    [DataRow(3 * 4096 + 700, true, DisplayName = "ends in a partial data block")]
    [DataRow(3 * 4096 + 700, false, DisplayName = "ends in a partial zero block")]
    [DataRow(5 * 512 + 1, true, DisplayName = "shorter than one block, odd size")]
    public void SizeNotAMultipleOfTheBlockRoundTrips(int size, bool dataAtEnd)
    {
        using var s = new LayerScratch();
        var pieces = new List<(long, byte[])> { (0, LayerScratch.Random(10, 6)) };
        if (dataAtEnd) pieces.Add((size - 3, LayerScratch.Random(3, 7)));
        if (size > 8192) pieces.Add((4096 * 2 + 100, LayerScratch.Random(50, 8)));
        string src = s.SparseFile("odd.img", size, [.. pieces]);
        var (layer, _) = s.Encode(src, "odd.img");
        s.Extract(layer, "out.img");
        LayerScratch.AssertSameBytes(src, s.PathOf("out.img"));
    }

    [TestMethod]
    public void FourGiBSparseFileEncodesFastAndTiny()
    {
        using var s = new LayerScratch();
        long size = 4L << 30;
        string src = s.SparseFile("big.raw", size,
            (0, LayerScratch.Random(4096, 9)), (1L << 30, LayerScratch.Random(8192, 10)), (size - 100, LayerScratch.Random(100, 11)));
        var encoded = (Layer: "", Result: new LayerWriteResult(0, "", 0));
        long ms = LayerScratch.Time(() => encoded = s.Encode(src, "big.raw"));
        Console.WriteLine($"4 GiB sparse file: encoded in {ms} ms, layer {new FileInfo(encoded.Layer).Length} bytes, tar {encoded.Result.TarSize} bytes");
        Assert.IsLessThan(1000L, ms, "a 4 GiB file with three data runs encodes in well under a second");
        Assert.IsLessThan(64L << 10, new FileInfo(encoded.Layer).Length);
        Assert.AreEqual(4096L * 4, encoded.Result.DataBytes);

        long extractMs = LayerScratch.Time(() => s.Extract(encoded.Layer, "out.raw"));
        Console.WriteLine($"4 GiB sparse file: extracted in {extractMs} ms");
        Assert.AreEqual(size, new FileInfo(s.PathOf("out.raw")).Length);
        Assert.IsLessThan(1L << 20, LayerScratch.AllocatedBytes(s.PathOf("out.raw")));
        // Equal content without reading 4 GiB of zeros: the encoding depends on the bytes alone.
        var (again, _) = s.Encode(s.PathOf("out.raw"), "big.raw", "again.tar.zst");
        CollectionAssert.AreEqual(File.ReadAllBytes(encoded.Layer), File.ReadAllBytes(again));
    }

    [TestMethod]
    public void LongAndNonAsciiNamesRoundTrip()
    {
        using var s = new LayerScratch();
        string name = new string('n', 120) + "-é.img";
        string src = s.DenseFile("src", 5000, (0, LayerScratch.Random(5000, 12)));
        string sparse = s.SparseFile("sparse", 50_000, (40_000, LayerScratch.Random(10, 13)));
        var (layer, _) = s.Encode(src, name, "a.tar.zst");
        Assert.AreEqual(name, s.Extract(layer, "out1"));
        var (layer2, _) = s.Encode(sparse, name, "b.tar.zst");
        Assert.AreEqual(name, s.Extract(layer2, "out2"));
        LayerScratch.AssertSameBytes(sparse, s.PathOf("out2"));
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("a/b")]
    [DataRow("..")]
    public void WriteRefusesANameThatIsNotAPlainFileName(string name)
    {
        using var s = new LayerScratch();
        string src = s.DenseFile("src", 10);
        using var output = new MemoryStream();
        Assert.ThrowsExactly<ArgumentException>(() => SparseFileLayer.Write(src, name, output, CancellationToken.None));
    }
}
