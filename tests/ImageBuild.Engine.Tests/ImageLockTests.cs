using System.Diagnostics;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests;

[TestClass]
public sealed class ImageLockTests
{
    private static readonly ImageContext Ctx = ImageContext.CreateDefault();

    private static string Raw(TempDir tmp, string name = "r.raw")
    {
        ImageCreator.Create(Ctx, new CreateImageRequest { Filename = tmp[name], Format = "raw", Size = 1 << 20 }, null);
        return tmp[name];
    }

    [TestMethod]
    public void LockBytesFollowQemuForRaw()
    {
        using var tmp = new TempDir();
        string f = Raw(tmp);
        using (var ro = ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw" }))
            CollectionAssert.AreEquivalent(new[] { 100 }, ro.File.Lock.HeldBytes.ToArray());
        using (var src = ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw", NoShare = true }))
            CollectionAssert.AreEquivalent(new[] { 100, 201, 203 }, src.File.Lock.HeldBytes.ToArray());
        using (var rw = ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw", Writable = true }))
            CollectionAssert.AreEquivalent(new[] { 100, 101 }, rw.File.Lock.HeldBytes.ToArray());
        using (var rs = ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw", Writable = true, Resize = true }))
            CollectionAssert.AreEquivalent(new[] { 100, 101, 103 }, rs.File.Lock.HeldBytes.ToArray());
        using (var info = ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw", NoIo = true }))
            Assert.AreEqual(0, info.File.Lock.HeldBytes.Count);
    }

    [TestMethod]
    public void ForMetadataFormatsWriteAndResizeAreNeverShared()
    {
        var ro = ImageOpener.LockFor(isRaw: false, isBacking: false, writable: false, new OpenOptions());
        Assert.AreEqual(new LockRequest(BlockPermission.ConsistentRead, BlockPermission.ConsistentRead | BlockPermission.WriteUnchanged), ro);
        var infoU = ImageOpener.LockFor(false, false, false, new OpenOptions { NoIo = true, ForceShare = true });
        Assert.AreEqual(new LockRequest(BlockPermission.None, BlockPermission.All), infoU);
    }

    [TestMethod]
    public void TwoOpensInOneProcessConflictLikeTwoProcesses()
    {
        using var tmp = new TempDir();
        string f = Raw(tmp);
        using var reader = ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw", NoShare = true });
        var e = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw", Writable = true }));
        Assert.AreEqual($"Could not open '{f}': Failed to get \"write\" lock\nIs another process using the image [{f}]?", e.Message);
    }

    [TestMethod]
    public void CreatingOverAnImageInUseFailsAndKeepsIt()
    {
        using var tmp = new TempDir();
        string f = Raw(tmp);
        File.WriteAllBytes(f, Enumerable.Repeat((byte)7, 4096).ToArray());
        using var user = ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw", Writable = true, Resize = true });
        Assert.ThrowsExactly<ImageException>(() => HostFile.Create(f).Dispose());
        Assert.AreEqual(4096L, new FileInfo(f).Length, "the image in use was not truncated");
    }

    [TestMethod]
    [RequiresQemu]
    public void QemuHoldingAnImageMakesUsRefuseToWriteIt()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-f", "qcow2", tmp["a.qcow2"], "1M");
        using (new QemuIoHolder("qcow2", tmp["a.qcow2"]))
        {
            var e = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Ctx, tmp["a.qcow2"], new OpenOptions { Format = "raw", Writable = true }));
            StringAssert.Contains(e.Message, "Failed to get \"write\" lock");
            using var shared = ImageOpener.Open(Ctx, tmp["a.qcow2"], new OpenOptions { Format = "raw", ForceShare = true });
        }
        using (ImageOpener.Open(Ctx, tmp["a.qcow2"], new OpenOptions { Format = "raw", Writable = true })) { }
    }

    [TestMethod]
    [RequiresQemu]
    public void OurReadOfASourceMakesQemuRefuseToWriteIt()
    {
        using var tmp = new TempDir();
        string f = Raw(tmp);
        using (ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw", NoShare = true }))
        {
            var r = QemuOracle.Io("-f", "raw", "-c", "write 0 512", f);
            StringAssert.Contains(r.StdErr + r.StdOut, "Failed to get \"write\" lock");
            var ok = QemuOracle.Io("-f", "raw", "-r", "-c", "read 0 512", f);
            Assert.AreEqual(0, ok.ExitCode, ok.StdErr);
        }
        QemuOracle.IoOk("-f", "raw", "-c", "write 0 512", f);
    }
}
