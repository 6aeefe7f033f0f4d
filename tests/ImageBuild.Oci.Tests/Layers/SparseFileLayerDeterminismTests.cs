namespace ImageBuild.Oci.Tests.Layers;

[TestClass]
public sealed class SparseFileLayerDeterminismTests
{
    [TestMethod]
    public void SameBytesWithDifferentHoleLayoutsGiveTheSameBlob()
    {
        using var s = new LayerScratch();
        long size = (4 << 20) + 1000;
        (long, byte[])[] pieces = [(8192, LayerScratch.Random(5000, 20)), (3 << 20, LayerScratch.Random(70_000, 21)), (size - 10, LayerScratch.Random(10, 22))];
        string holes = s.SparseFile("holes.img", size, pieces);
        string dense = s.DenseFile("dense.img", size, pieces);
        // a third layout: holes, then one hole range filled with written zeros
        string mixed = s.SparseFile("mixed.img", size, [.. pieces, (1 << 20, new byte[1 << 20])]);
        File.SetLastWriteTimeUtc(dense, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        var (a, ra) = s.Encode(holes, "disk.img", "a.zst");
        var (b, rb) = s.Encode(dense, "disk.img", "b.zst");
        var (c, rc) = s.Encode(mixed, "disk.img", "c.zst");
        byte[] blob = File.ReadAllBytes(a);
        CollectionAssert.AreEqual(blob, File.ReadAllBytes(b));
        CollectionAssert.AreEqual(blob, File.ReadAllBytes(c));
        Assert.AreEqual(ra, rb);
        Assert.AreEqual(ra, rc);
    }

    [TestMethod]
    public void HeadersCarryNoMachineOrClockData()
    {
        using var s = new LayerScratch();
        string src = s.SparseFile("f.img", 1 << 20, (4096, LayerScratch.Random(100, 23)));
        var (layer, _) = s.Encode(src, "f.img");
        string tar = System.Text.Encoding.Latin1.GetString(LayerScratch.Tar(layer));
        Assert.IsFalse(tar.Contains(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/", StringComparison.Ordinal));
        Assert.IsFalse(tar.Contains("mtime", StringComparison.Ordinal));
        for (int header = 0; header < 1024; header += 512)
            Assert.AreEqual(new string('\0', 64), tar.Substring(header + 265, 64), "no user or group names");
        int major = tar.IndexOf("GNU.sparse.major", StringComparison.Ordinal), minor = tar.IndexOf("GNU.sparse.minor", StringComparison.Ordinal);
        int name = tar.IndexOf("GNU.sparse.name", StringComparison.Ordinal), real = tar.IndexOf("GNU.sparse.realsize", StringComparison.Ordinal);
        Assert.IsTrue(major >= 0 && major < minor && minor < name && name < real, "PAX records in key order");
    }
}
