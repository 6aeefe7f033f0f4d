using ImageBuild.Oci.Layers;

namespace ImageBuild.Oci.Tests.Layers;

/// <summary>
/// Writing a layer with the data runs already known (no scan) gives the very blob the scanning write gives;
/// runs of the wrong shape are refused before any data is read, runs holding a zero block fail the write; extraction reports
/// every piece it writes, in order, and those pieces are the file.
/// </summary>
[TestClass]
public sealed class SparseFileLayerKnownExtentsTests
{
    private const int Block = 4096;

    public static IEnumerable<object[]> Shapes =>
    [
        ["empty", 0L, Array.Empty<long>()],
        ["all zeros", 3L << 20, Array.Empty<long>()],
        ["dense, odd length", 70_001L, new[] { 0L }],
        ["sparse, ends in a hole", 12L << 20, new[] { 4096L, 3L << 20, (3L << 20) + 70_000 }],
        ["sparse, ends in data inside a block", (5L << 20) + 77, new[] { 0L, 1L << 20, (5L << 20) + 70 }],
        ["one byte in a block", 1L << 20, new[] { 8191L }],
    ];

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void KnownExtentsGiveTheScanningWritesBlobByteForByte(string shape, long size, long[] dataAt)
    {
        using var s = new LayerScratch();
        string src = s.SparseFile("src.img", size, [.. dataAt.Select((at, i) => (at, LayerScratch.Random((int)Math.Min(size - at, at == 8191 ? 1 : 100_000), i + 1)))]);
        var (scanned, scannedResult) = s.Encode(src, "disk.img", "scanned.zst");
        string known = s.PathOf("known.zst");
        LayerWriteResult knownResult;
        using (var output = new FileStream(known, FileMode.CreateNew, FileAccess.Write))
            knownResult = SparseFileLayer.Write(src, "disk.img", output, Runs(File.ReadAllBytes(src)), CancellationToken.None);

        CollectionAssert.AreEqual(File.ReadAllBytes(scanned), File.ReadAllBytes(known), shape);
        Assert.AreEqual(scannedResult, knownResult, shape);
        s.Extract(known, "out.img");
        LayerScratch.AssertSameBytes(src, s.PathOf("out.img"));
    }

    [TestMethod]
    public void RunsOfTheWrongShapeAreRefused()
    {
        using var s = new LayerScratch();
        long size = (1 << 20) + 100;
        string src = s.SparseFile("src.img", size, (0, LayerScratch.Random(3 * Block, 1)), (1 << 20, LayerScratch.Random(100, 2)));
        DataExtent[][] bad =
        [
            [new(100, Block)],                                   // not on a block boundary
            [new(0, Block), new(Block, Block)],                  // adjacent, not merged
            [new(0, 3 * Block), new(Block, Block)],              // overlapping / out of order
            [new(0, 3 * Block), new(1 << 20, 200)],              // past the end of the file
            [new(0, 3 * Block - 1)],                             // ends inside a block before the end
            [new(0, 0)],                                         // empty
        ];
        foreach (DataExtent[] runs in bad)
        {
            using var output = new MemoryStream();
            var e = Assert.ThrowsExactly<ArgumentException>(() => SparseFileLayer.Write(src, "disk.img", output, runs, CancellationToken.None), string.Join(",", runs));
            StringAssert.StartsWith(e.Message, src + ": known extent");
        }
    }

    [TestMethod]
    public void ARunHoldingAZeroBlockFailsTheWrite()
    {
        using var s = new LayerScratch();
        string src = s.SparseFile("src.img", 4 << 20, (0, LayerScratch.Random(Block, 1)), (3 * Block, LayerScratch.Random(Block, 2)));
        using var output = new MemoryStream();
        var e = Assert.ThrowsExactly<IOException>(() => SparseFileLayer.Write(src, "disk.img", output, [new DataExtent(0, 4 * Block)], CancellationToken.None));
        Assert.AreEqual($"{src}: the block at offset {Block} is all zeros but the extents given for the file say it holds data (the file changed after they were found)", e.Message);
    }

    [TestMethod]
    public void ExtractionReportsEveryPieceItWritesInOrder()
    {
        using var s = new LayerScratch();
        long size = (6L << 20) + 5;
        string src = s.SparseFile("src.img", size, (Block, LayerScratch.Random(3 << 20, 1)), (5L << 20, LayerScratch.Random((1 << 20) + 5, 2)));
        var (layer, result) = s.Encode(src, "disk.img");

        byte[] seen = new byte[size];
        long previousEnd = 0, reported = 0;
        using (var input = File.OpenRead(layer))
        {
            SparseFileLayer.Extract(input, s.PathOf("out.img"), long.MaxValue, "test layer", (offset, data) =>
            {
                Assert.IsGreaterThanOrEqualTo(previousEnd, offset, "pieces in increasing order, not overlapping");
                data.CopyTo(seen.AsSpan((int)offset));
                previousEnd = offset + data.Length;
                reported += data.Length;
            }, CancellationToken.None);
        }
        Assert.AreEqual(result.DataBytes, reported, "the data runs, nothing else");
        CollectionAssert.AreEqual(File.ReadAllBytes(s.PathOf("out.img")), seen, "the pieces, zeros elsewhere, are the file");
        LayerScratch.AssertSameBytes(src, s.PathOf("out.img"));
    }

    [TestMethod]
    public void AnObserverThatThrowsStopsTheExtractionAndLeavesNoFile()
    {
        using var s = new LayerScratch();
        string src = s.SparseFile("src.img", 4 << 20, (0, LayerScratch.Random(2 << 20, 1)));
        var (layer, _) = s.Encode(src, "disk.img");
        using var input = File.OpenRead(layer);
        Assert.ThrowsExactly<InvalidOperationException>(() =>
            SparseFileLayer.Extract(input, s.PathOf("out.img"), long.MaxValue, "test layer", (_, _) => throw new InvalidOperationException("observer"), CancellationToken.None));
        Assert.IsFalse(File.Exists(s.PathOf("out.img")));
    }

    /// <summary>The runs of non-zero 4 KiB blocks, merged, computed the obvious way.</summary>
    internal static List<DataExtent> Runs(byte[] content)
    {
        var runs = new List<DataExtent>();
        for (int start = 0; start < content.Length; start += Block)
        {
            int len = Math.Min(Block, content.Length - start);
            if (!content.AsSpan(start, len).ContainsAnyExcept((byte)0)) continue;
            if (runs.Count > 0 && runs[^1].End == start) runs[^1] = runs[^1] with { Length = runs[^1].Length + len };
            else runs.Add(new DataExtent(start, len));
        }
        return runs;
    }
}
