using ImageBuild.Engine.Formats.Parallels;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Parallels.ParallelsTestSupport;

namespace ImageBuild.Engine.Tests.Parallels;

/// <summary>The BAT held while an image is walked: a bounded number of pages, whatever the virtual size.</summary>
[TestClass]
public sealed class ParallelsBatMemoryTests
{
    private const long TiB = 1L << 40;

    [TestMethod]
    public void WalkingTheTableOfATebibyteImageHoldsABoundedNumberOfPages()
    {
        using var tmp = new TempDir();
        string path = tmp["big.hds"];
        Create(path, TiB);
        using var file = HostFile.Open(path, writable: false);
        const uint count = (uint)(TiB >> 20); // 1 MiB clusters: 4 MiB of table, 64 pages of 64 KiB
        var bat = new ParallelsBat(file, count);
        int most = 0;
        for (long i = 0; i < count; i += 1024)
        {
            Assert.AreEqual(0u, bat[i], $"entry {i} of a new image");
            most = Math.Max(most, bat.CachedPages);
        }
        Assert.IsLessThanOrEqualTo(ParallelsBat.MaxCachedPages, most, "pages held at once");
        Assert.IsGreaterThan(0, most);
    }
}
