using ImageBuild.Engine.Formats.Vdi;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Vdi.VdiTestSupport;
using static ImageBuild.Tests.Shared.LittleEndianFields;

namespace ImageBuild.Engine.Tests.Vdi;

/// <summary>The block map held while an image is walked: a bounded number of pages, whatever the virtual size.</summary>
[TestClass]
public sealed class VdiBlockMapMemoryTests
{
    private const long TiB = 1L << 40;

    [TestMethod]
    public void WalkingTheMapOfATebibyteImageHoldsABoundedNumberOfPages()
    {
        using var tmp = new TempDir();
        string path = tmp["big.vdi"];
        Create(path, TiB);
        uint count = ReadU32(path, BlocksInImage);
        Assert.AreEqual((uint)(TiB / MiB), count);
        using var file = HostFile.Open(path, writable: false);
        var map = VdiBlockMap.Open(file, path, ReadU32(path, OffsetBmap), count);
        int most = 0;
        for (long block = 0; block < count; block += 1024)
        {
            Assert.IsFalse(VdiBlockEntry.IsAllocated(map[block]), $"block {block} of a new image is unallocated");
            most = Math.Max(most, map.CachedPages);
        }
        Assert.AreEqual(64, (count * 4L + (64 << 10) - 1) / (64 << 10), "the map is 64 pages of 64 KiB");
        Assert.IsLessThanOrEqualTo(VdiBlockMap.MaxCachedPages, most, "pages held at once");
        Assert.IsGreaterThan(0, most);
    }
}
