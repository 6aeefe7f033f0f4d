using ImageBuild.Engine.Operations;

namespace ImageBuild.Engine.Tests.Operations;

[TestClass]
public sealed class SparseScannerTests
{
    private static byte[] Sectors(string pattern)
    {
        // 'D' = a data sector, '0' = a zero sector
        var buf = new byte[pattern.Length * 512];
        for (int i = 0; i < pattern.Length; i++)
            if (pattern[i] == 'D') buf[i * 512 + 7] = 1;
        return buf;
    }

    [TestMethod]
    public void AllZeroBufferIsOneZeroRun()
    {
        var buf = Sectors("00000000");
        Assert.IsFalse(SparseScanner.IsAllocatedSectors(buf, 8, out int run, 0, 8));
        Assert.AreEqual(8, run);
    }

    [TestMethod]
    public void DataRunEndIsAlignedUp()
    {
        var buf = Sectors("DD00000000000000");
        Assert.IsTrue(SparseScanner.IsAllocatedSectors(buf, 16, out int run, 0, 8));
        Assert.AreEqual(8, run, "data end nudged up to the 8-sector alignment");
    }

    [TestMethod]
    public void ZeroRunEndIsAlignedDownAndShortZeroHeadBecomesData()
    {
        var buf = Sectors("0000000000DD0000");
        Assert.IsFalse(SparseScanner.IsAllocatedSectors(buf, 16, out int run, 0, 8));
        Assert.AreEqual(8, run);
        Assert.IsTrue(SparseScanner.IsAllocatedSectors(buf.AsSpan(8 * 512), 8, out run, 8, 8),
            "two zero sectors before data, not reaching a boundary, are written as data");
        Assert.AreEqual(8, run);
    }

    [TestMethod]
    public void MinSparseAbsorbsShortZeroGapsInsideData()
    {
        // data, 4 zero sectors (< min 8), data, then 16 zeros
        var buf = Sectors("DDDD0000DDDD0000000000000000000000");
        Assert.IsTrue(SparseScanner.IsAllocatedSectorsMin(buf, buf.Length / 512, out int run, 8, 0, 8));
        Assert.AreEqual(16, run);
    }

    [TestMethod]
    [DataRow(0, 0)]
    [DataRow(1, 1)]
    [DataRow(8, 8)]
    [DataRow(9, 8)]
    [DataRow(32767, 16384)]
    public void Pow2Floor(int v, int expected) => Assert.AreEqual(expected, SparseScanner.Pow2Floor(v));
}

[TestClass]
public sealed class SparseScannerBufferEndTests
{
    [TestMethod]
    public void ShortZeroRunReachingTheBufferEndIsNotPromotedToData()
    {
        // 128 data sectors then 72 zero sectors at sector 10240 with -S 64k (min = alignment = 128):
        // qemu-img 7.2 writes only the data; the zero tail becomes a hole on the next pass.
        var buf = new byte[200 * 512];
        for (int s = 0; s < 128; s++) buf[s * 512] = 1;
        Assert.IsTrue(SparseScanner.IsAllocatedSectorsMin(buf, 200, out int run, 128, 10240, 128));
        Assert.AreEqual(128, run);
        Assert.IsFalse(SparseScanner.IsAllocatedSectorsMin(buf.AsSpan(128 * 512), 72, out run, 128, 10368, 128));
        Assert.AreEqual(72, run);
    }
}
