using ImageBuild.Oci.Layers;
using ImageBuild.Recipes.Cache;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// A pull hashes a file as it extracts it: the hash built from what the extractor reports is HashFile's of the
/// extracted file (and of the source), for sparse, dense and odd-length files, so the runner need not read it back.
/// </summary>
[TestClass]
public sealed class ExtractHashTests
{
    [TestMethod]
    [DataRow(0L, new long[0], DisplayName = "empty")]
    [DataRow(10_000L, new[] { 0L }, DisplayName = "dense, odd length")]
    [DataRow(24L << 20, new[] { 4096L, 3L << 20 }, DisplayName = "sparse, ends in a hole")]
    [DataRow((9L << 20) + 77, new[] { 1L << 20, (9L << 20) + 70 }, DisplayName = "sparse, ends in data inside a block")]
    [DataRow(8L << 20, new long[0], DisplayName = "all zeros")]
    public void TheHashSeenWhileExtractingIsHashFilesOfTheResult(long size, long[] dataAt)
    {
        using var tmp = new TempDir();
        var random = new Random(7);
        using (var fs = new FileStream(tmp["src"], FileMode.Create))
        {
            fs.SetLength(size);
            foreach (long at in dataAt)
            {
                byte[] piece = new byte[(int)Math.Min(size - at, 1_500_000)];
                random.NextBytes(piece);
                fs.Position = at;
                fs.Write(piece);
            }
        }
        using (var layer = new FileStream(tmp["layer"], FileMode.Create))
            SparseFileLayer.Write(tmp["src"], "disk.raw", layer, CancellationToken.None);

        var builder = new ContentHashBuilder(1 << 20);
        using (var layer = File.OpenRead(tmp["layer"]))
            SparseFileLayer.Extract(layer, tmp["out"], long.MaxValue, "test", builder.Append, CancellationToken.None);
        string seen = builder.Finish(new FileInfo(tmp["out"]).Length);

        Assert.AreEqual(ContentHasher.HashFile(tmp["out"]), seen);
        string source = ContentHasher.HashFile(tmp["src"], 1 << 20, out long read, out var runs);
        Assert.AreEqual(source, seen);
        Assert.AreEqual(runs!.DataBytes, builder.DataBytes, "the extractor writes the data runs, nothing else");
        CollectionAssert.AreEqual(runs.ToList(), builder.Extents!.ToList());
    }
}
