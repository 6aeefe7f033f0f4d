using ImageBuild.Oci.Layers;

namespace ImageBuild.Oci.Tests.Layers;

[TestClass]
public sealed class FileExtentsTests
{
    [TestMethod]
    public void HolesAreNotReportedAsData()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("SEEK_DATA/SEEK_HOLE is only checked on Linux");
        using var s = new LayerScratch();
        long size = 1L << 30;
        string path = s.SparseFile("holes.raw", size, (8L << 20, new byte[100]), (512L << 20, LayerScratch.Random(70_000, 60)));
        using var handle = File.OpenHandle(path);
        var extents = FileExtents.Allocated(handle, size).ToList();
        Assert.IsTrue(extents.Count is >= 1 and <= 4, string.Join(", ", extents));
        Assert.IsLessThan(16L << 20, extents.Sum(e => e.Length), "only the written ranges are data: " + string.Join(", ", extents));
        Assert.IsTrue(extents.Any(e => e.Offset <= 512L << 20 && e.End >= (512L << 20) + 70_000), string.Join(", ", extents));
        for (int i = 1; i < extents.Count; i++) Assert.IsGreaterThan(extents[i - 1].End, extents[i].Offset + 1, "ordered, not touching");
    }

    [TestMethod]
    public void AFileWithoutHolesIsOneExtentAndAnEmptyFileNone()
    {
        using var s = new LayerScratch();
        string dense = s.DenseFile("dense", 100_000, (0, LayerScratch.Random(100_000, 61)));
        using (var handle = File.OpenHandle(dense))
            CollectionAssert.AreEqual(new[] { new DataExtent(0, 100_000) }, FileExtents.Allocated(handle, 100_000).ToList());
        string empty = s.DenseFile("empty", 0);
        using (var handle = File.OpenHandle(empty))
            Assert.AreEqual(0, FileExtents.Allocated(handle, 0).Count());
    }
}
