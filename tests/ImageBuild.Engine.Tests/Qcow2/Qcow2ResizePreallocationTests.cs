using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Qcow2;

/// <summary>
/// qcow2 resize with preallocation=full when the disk is full: the image stays consistent, and the data clusters
/// reserved past the end of the file are given back (qemu-img check does not see refcounts past the end of the
/// file, but the allocator would skip them for ever).
/// </summary>
[TestClass]
public sealed class Qcow2ResizePreallocationTests
{
    /// <summary>ENOSPC on the first large write (the zeros of the new data area).</summary>
    private sealed class FullDisk : IHostFileFaults
    {
        public void Before(HostFile file, HostFileChange change, long offset, long length)
        {
            if (change == HostFileChange.Write && length >= 1 << 20)
                throw new IOException("No space left on device", 28);
        }
    }

    [TestMethod]
    [RequiresQemu]
    public void AFailedPreallocatedGrowFreesItsDataClusters()
    {
        using var tmp = new TempDir();
        string f = tmp["img.qcow2"];
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", f, "1M");
        QemuOracle.IoOk("-c", "write -P 9 0 64k", f);
        var ctx = new ImageContext(FormatRegistry.CreateDefault()) { HostFaults = new FullDisk() };
        Assert.ThrowsExactly<ImageException>(() => ImageResizer.Resize(ctx, new ResizeRequest
        {
            Filename = f, Format = "qcow2", Size = "+10M", Preallocation = "full",
        }));
        var check = QemuOracle.Run(QemuOracle.QemuImg, ["check", f]);
        Assert.AreEqual(0, check.ExitCode, check.StdOut + check.StdErr);
        StringAssert.Contains(QemuOracle.ImgOk("info", f), "virtual size: 1 MiB");
        QemuOracle.IoOk("-c", "read -P 9 0 64k", f);
        // the data clusters that never made it into the file are free again: the next allocation is not past them
        QemuOracle.IoOk("-c", "write -P 8 64k 960k", f);
        Assert.IsTrue(new FileInfo(f).Length < 4 << 20, $"file length {new FileInfo(f).Length}");
    }
}
