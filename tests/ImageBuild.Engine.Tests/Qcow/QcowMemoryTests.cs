using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Qcow.QcowTestSupport;

namespace ImageBuild.Engine.Tests.Qcow;

/// <summary>What opening a large qcow costs: its L1 table (4 MiB per TiB with 4 KiB clusters), once.</summary>
[TestClass]
public sealed class QcowMemoryTests
{
    private const long TiB = 1L << 40;

    [TestMethod]
    public void OpeningATebibyteImageAllocatesItsL1TableOnce()
    {
        using var tmp = new TempDir();
        string path = tmp["big.qcow"];
        CreateOurs(path, TiB);
        const long l1Bytes = TiB / (2 << 20) * sizeof(ulong); // an entry per 2 MiB of guest (512 entries x 4 KiB)
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var dev = Open(path))
            Assert.AreEqual(TiB, dev.VirtualSize);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsGreaterThanOrEqualTo(l1Bytes, allocated, "the table itself");
        Assert.IsLessThan(l1Bytes + l1Bytes / 2, allocated, "the table once, not a byte copy besides it");
    }
}
