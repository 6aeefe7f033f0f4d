using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Layers;

/// <summary>GNU tar reads our layers (sparse, restored with holes) and we read GNU tar's sparse 1.0 archives.</summary>
[TestClass]
public sealed class GnuTarCompatibilityTests
{
    private static ProcessResult Run(string tool, string dir, params string[] args)
    {
        var r = QemuOracle.Run(ExternalTools.Find(tool), args, dir);
        if (r.ExitCode != 0) Assert.Fail($"{tool} {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}");
        return r;
    }

    [TestMethod]
    [RequiresTool("tar")]
    [RequiresTool("zstd")]
    [DataRow(false, DisplayName = "ends with data")]
    [DataRow(true, DisplayName = "ends in a hole")]
    public void GnuTarExtractsOurSparseLayerAsASparseFile(bool endsInHole)
    {
        using var s = new LayerScratch();
        long size = (64L << 20) + 777;
        var pieces = new List<(long, byte[])> { (4096 * 3, LayerScratch.Random(9000, 30)), (40L << 20, LayerScratch.Random(100, 31)) };
        if (!endsInHole) pieces.Add((size - 5, LayerScratch.Random(5, 32)));
        string src = s.SparseFile("disk.raw", size, [.. pieces]);
        var (layer, _) = s.Encode(src, "disk.raw");
        Directory.CreateDirectory(s.PathOf("x"));

        Run("tar", s.PathOf("x"), "--zstd", "-xSf", layer);
        LayerScratch.AssertSameBytes(src, s.PathOf("x/disk.raw"));
        Assert.IsLessThan(1L << 20, LayerScratch.AllocatedBytes(s.PathOf("x/disk.raw")), "GNU tar restores the holes");

        string listing = Run("tar", s.Dir, "--zstd", "-tvf", layer).StdOut.Trim();
        StringAssert.StartsWith(listing, "-rw-r--r--");
        StringAssert.Contains(listing, size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        StringAssert.EndsWith(listing, " disk.raw");
        StringAssert.Contains(listing, "1970-01-01");
    }

    [TestMethod]
    [RequiresTool("tar")]
    [RequiresTool("zstd")]
    public void GnuTarExtractsOurDenseAndAllZeroLayers()
    {
        using var s = new LayerScratch();
        string dense = s.DenseFile("dense.bin", 70_001, (0, LayerScratch.Random(70_001, 33)));
        string zero = s.DenseFile("zero.bin", 1 << 20);
        var (l1, _) = s.Encode(dense, "dense.bin", "l1.zst");
        var (l2, _) = s.Encode(zero, "zero.bin", "l2.zst");
        Directory.CreateDirectory(s.PathOf("x"));
        Run("tar", s.PathOf("x"), "--zstd", "-xSf", l1);
        Run("tar", s.PathOf("x"), "--zstd", "-xSf", l2);
        LayerScratch.AssertSameBytes(dense, s.PathOf("x/dense.bin"));
        LayerScratch.AssertSameBytes(zero, s.PathOf("x/zero.bin"));
    }

    [TestMethod]
    [RequiresTool("tar")]
    [RequiresTool("zstd")]
    [DataRow("disk.raw", DisplayName = "one file")]
    [DataRow(".", DisplayName = "a directory entry ./ and one file")]
    public void ExtractReadsGnuTarsOwnSparseArchive(string member)
    {
        using var s = new LayerScratch();
        Directory.CreateDirectory(s.PathOf("in"));
        string src = Path.Combine(s.PathOf("in"), "disk.raw");
        using (var fs = new FileStream(src, FileMode.CreateNew)) { fs.SetLength(10L << 20); fs.Position = 5 << 20; fs.Write(LayerScratch.Random(3000, 34)); }
        Run("tar", s.PathOf("in"), "--format=posix", "--sparse-version=1.0", "-cSf", s.PathOf("gnu.tar"), member);
        Run("zstd", s.Dir, "-q", "gnu.tar", "-o", "gnu.tar.zst");

        Assert.AreEqual("disk.raw", s.Extract(s.PathOf("gnu.tar.zst"), "out.raw"));
        LayerScratch.AssertSameBytes(src, s.PathOf("out.raw"));
        Assert.IsLessThan(1L << 20, LayerScratch.AllocatedBytes(s.PathOf("out.raw")));
    }
}
