using System.Text;
using ImageBuild.Oci.Layers;

namespace ImageBuild.Oci.Tests.Layers;

/// <summary>Layers nobody should trust: each is refused with one line naming the layer, and leaves no file.</summary>
[TestClass]
public sealed class SparseFileLayerHostileTests
{
    private static readonly byte[] Data = Encoding.ASCII.GetBytes("hello world");

    private static void AssertRefused(byte[] layer, string expectedFragment, long maxFileSize = 1L << 40)
    {
        using var s = new LayerScratch();
        string dest = s.PathOf("out");
        var e = Assert.ThrowsExactly<InvalidDataException>(() =>
            SparseFileLayer.Extract(new MemoryStream(layer), dest, maxFileSize, "oci://reg/repo@sha256:ab", CancellationToken.None));
        StringAssert.StartsWith(e.Message, "oci://reg/repo@sha256:ab: ");
        Assert.IsFalse(e.Message.Contains('\n'), "one line: " + e.Message);
        StringAssert.Contains(e.Message, expectedFragment);
        Assert.IsFalse(File.Exists(dest), "no file is left behind");
    }

    [TestMethod]
    public void AWellFormedHandMadeLayerIsAccepted()
    {
        using var s = new LayerScratch();
        byte[] layer = new HostileLayer().Sparse("f", 10_000, "2\n100\n11\n10000\n0\n", Data).End().Compressed();
        string name = SparseFileLayer.Extract(new MemoryStream(layer), s.PathOf("out"), 1 << 20, CancellationToken.None);
        Assert.AreEqual("f", name);
        byte[] content = File.ReadAllBytes(s.PathOf("out"));
        Assert.AreEqual(10_000, content.Length);
        CollectionAssert.AreEqual(Data, content[100..111]);
    }

    [TestMethod]
    [DataRow("../evil", "directory part")]
    [DataRow("/etc/passwd", "directory part")]
    [DataRow("a/b", "directory part")]
    [DataRow("..", "not a file name")]
    public void TraversalNamesAreRefused(string name, string fragment)
    {
        AssertRefused(new HostileLayer().Pax(("path", name)).File("x", Data).End().Compressed(), fragment);
        AssertRefused(new HostileLayer().File(name, Data).End().Compressed(), fragment);
        AssertRefused(new HostileLayer().Sparse(name, 100, "1\n0\n11\n", Data).End().Compressed(), fragment);
    }

    [TestMethod]
    public void NulAndOverlongNamesAreRefused()
    {
        AssertRefused(new HostileLayer().Pax(("path", "a\0b")).File("x", Data).End().Compressed(), "NUL");
        AssertRefused(new HostileLayer().Pax(("path", new string('a', 256))).File("x", Data).End().Compressed(), "255 bytes");
    }

    [TestMethod]
    public void TwoEntriesAreRefused() =>
        AssertRefused(new HostileLayer().File("a", Data).File("b", Data).End().Compressed(), "more than one entry");

    [TestMethod]
    public void SymlinkHardlinkDeviceAndDirectoryEntriesAreRefused()
    {
        AssertRefused(new HostileLayer().Entry("link", (byte)'2', []).End().Compressed(), "symbolic link");
        AssertRefused(new HostileLayer().Entry("link", (byte)'1', []).End().Compressed(), "hard link");
        AssertRefused(new HostileLayer().Entry("dev", (byte)'3', []).End().Compressed(), "device");
        AssertRefused(new HostileLayer().Entry("etc/", (byte)'5', []).File("a", Data).End().Compressed(), "directory");
        AssertRefused(new HostileLayer().Entry("g", (byte)'g', []).File("a", Data).End().Compressed(), "global");
    }

    [TestMethod]
    public void ADotDirectoryEntryIsTolerated()
    {
        using var s = new LayerScratch();
        byte[] layer = new HostileLayer().Entry("./", (byte)'5', []).File("./a", Data).End().Compressed();
        Assert.AreEqual("a", SparseFileLayer.Extract(new MemoryStream(layer), s.PathOf("out"), 100, CancellationToken.None));
    }

    [TestMethod]
    [DataRow("1\n0\n11\n", 5L, "outside", DisplayName = "extent past realsize")]
    [DataRow("2\n0\n6\n3\n5\n", 100L, "overlap", DisplayName = "overlapping extents")]
    [DataRow("2\n50\n6\n0\n5\n", 100L, "overlap", DisplayName = "unsorted extents")]
    [DataRow("1\n0\n5\n", 100L, "add up", DisplayName = "map shorter than the data")]
    [DataRow("1\n0\n20\n", 100L, "add up", DisplayName = "map longer than the data")]
    [DataRow("99999\n0\n11\n", 100L, "more than the entry can hold", DisplayName = "huge entry count")]
    [DataRow("1\n0x1\n11\n", 100L, "decimal", DisplayName = "not decimal")]
    [DataRow("1\n-1\n11\n", 100L, "decimal", DisplayName = "negative")]
    [DataRow("1\n99999999999999999999\n11\n", 100L, "2^62", DisplayName = "over 2^62")]
    [DataRow("1\n\n11\n", 100L, "empty line", DisplayName = "empty number")]
    [DataRow("1\n0\n11", 100L, "decimal", DisplayName = "map without its last newline")]
    public void BadSparseMapsAreRefused(string map, long realSize, string fragment) =>
        AssertRefused(new HostileLayer().Sparse("f", realSize, map, Data).End().Compressed(), fragment);

    [TestMethod]
    public void ARealSizeOverTheLimitIsRefusedBeforeAnythingIsWritten()
    {
        AssertRefused(new HostileLayer().Sparse("f", 1L << 50, "1\n0\n11\n", Data).End().Compressed(), "over the limit", maxFileSize: 1L << 30);
        AssertRefused(new HostileLayer().File("f", Data).End().Compressed(), "over the limit", maxFileSize: 10);
        AssertRefused(new HostileLayer().Sparse("f", long.MaxValue, "1\n0\n11\n", Data).End().Compressed(), "2^62");
    }

    [TestMethod]
    public void OtherSparseVersionsAreRefused()
    {
        AssertRefused(new HostileLayer().Sparse("f", 100, "1\n0\n11\n", Data, major: "0", minor: "1").End().Compressed(), "0.1; only 1.0");
        AssertRefused(new HostileLayer().Pax(("GNU.sparse.map", "0,11"), ("GNU.sparse.size", "100")).File("f", Data).End().Compressed(), "0.x");
        AssertRefused(new HostileLayer().Entry("f", (byte)'S', Data).End().Compressed(), "old GNU sparse");
    }

    [TestMethod]
    public void TruncatedLayersAreRefused()
    {
        byte[] whole = new HostileLayer().File("f", LayerScratch.Random(100_000, 40)).End().Compressed();
        AssertRefused(whole[..(whole.Length / 2)], "truncated");
        byte[] tar = new HostileLayer().File("f", Data).End().Tar();
        AssertRefused(HostileLayer.Compress(tar[..^1024]), "truncated");
        AssertRefused(HostileLayer.Compress(tar[..^512]), "truncated");
        AssertRefused(HostileLayer.Compress(tar[..700]), "truncated");
        AssertRefused(HostileLayer.Compress([]), "truncated");
    }

    [TestMethod]
    public void GarbageIsRefused()
    {
        AssertRefused(LayerScratch.Random(5000, 41), "zstd");
        AssertRefused(HostileLayer.Compress(LayerScratch.Random(5000, 42)), "tar header");
        byte[] layer = new HostileLayer().File("f", Data).End().Compressed();
        AssertRefused([.. layer, .. LayerScratch.Random(100, 43)], "zstd");
        AssertRefused(new HostileLayer().File("f", Data).End().Raw(Data).Compressed(), "after the end");
    }

    [TestMethod]
    public void BadHeadersAreRefused()
    {
        byte[] tar = new HostileLayer().File("f", Data).End().Tar();
        tar[0] ^= 1;
        AssertRefused(HostileLayer.Compress(tar), "checksum");
        AssertRefused(new HostileLayer().Entry("./PaxHeaders/x", TarHeader.PaxLocalType, [], declaredSize: 2 << 20).End().Compressed(), "extended header");
        AssertRefused(new HostileLayer().Entry("./PaxHeaders/x", TarHeader.PaxLocalType, Encoding.ASCII.GetBytes("99 path=a\n")).File("f", Data).End().Compressed(), "malformed");
        AssertRefused(new HostileLayer().Pax(("size", "-5")).File("f", Data).End().Compressed(), "decimal");
        AssertRefused(new HostileLayer().Pax(("path", "a")).Pax(("path", "b")).File("f", Data).End().Compressed(), "two extended headers");
    }

    [TestMethod]
    public void AnExistingDestinationIsNeitherOverwrittenNorDeleted()
    {
        using var s = new LayerScratch();
        string dest = s.PathOf("exists");
        File.WriteAllText(dest, "keep");
        byte[] layer = new HostileLayer().File("f", Data).End().Compressed();
        Assert.ThrowsExactly<IOException>(() => SparseFileLayer.Extract(new MemoryStream(layer), dest, 100, CancellationToken.None));
        Assert.AreEqual("keep", File.ReadAllText(dest));
    }
}
