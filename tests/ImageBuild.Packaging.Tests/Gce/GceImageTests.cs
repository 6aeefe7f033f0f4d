using ImageBuild.Packaging.Gce;

namespace ImageBuild.Packaging.Tests.Gce;

/// <summary>GCE's size rules: whole GiB rounded up, at least 1 GiB, at most 2048 GiB.</summary>
[TestClass]
public sealed class GceImageTests
{
    private const long GiB = 1L << 30;

    [TestMethod]
    [DataRow(0L, GiB)]
    [DataRow(512L, GiB)]
    [DataRow(GiB, GiB)]
    [DataRow(GiB + 512, 2 * GiB)]
    [DataRow(10 * GiB - 1, 10 * GiB)]
    [DataRow(2048 * GiB, 2048 * GiB)]
    public void SizesAreRoundedUpToWholeGiB(long source, long expected) => Assert.AreEqual(expected, GceImage.VirtualSizeFor(source));

    [TestMethod]
    public void LargerThan2048GiBIsRefused()
    {
        Assert.IsNull(GceImage.VirtualSizeFor(2048 * GiB + 1));
        Assert.IsNull(GceImage.VirtualSizeFor(-1));
        Assert.IsNull(GceImage.Refusal("'big'", 2048 * GiB));
        Assert.AreEqual("'big' is 2199023255553 bytes; a Compute Engine image tarball holds a disk of at most 2199023255552 bytes (2048 GiB)",
            GceImage.Refusal("'big'", 2048 * GiB + 1));
    }

    [TestMethod]
    public void DescribeSaysWhatIsWritten()
    {
        Assert.AreEqual("disk.raw of 2 GiB (2147483648 bytes) from 1610612736 bytes, rounded up to whole GiB, in a gzip-compressed GNU tar (sparse)",
            GceImage.Describe(GiB + GiB / 2));
        Assert.AreEqual("disk.raw of 1 GiB (1073741824 bytes) from 1048576 bytes, grown to 1 GiB, in a gzip-compressed GNU tar (sparse)",
            GceImage.Describe(1 << 20));
        Assert.AreEqual("disk.raw of 3 GiB (3221225472 bytes) from 3221225472 bytes, in a gzip-compressed GNU tar (sparse)",
            GceImage.Describe(3 * GiB));
        Assert.AreEqual("disk.raw", GceImage.DiskFileName);
    }
}
