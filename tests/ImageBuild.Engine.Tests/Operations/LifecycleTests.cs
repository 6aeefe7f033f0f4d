using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Operations;

/// <summary>commit, rebase and resize on qcow2 chains, judged by qemu-img (check clean, same guest bytes).</summary>
[TestClass]
[RequiresQemu]
public sealed class LifecycleTests
{
    private static readonly ImageContext Ctx = ImageContext.CreateDefault();

    private static string GuestMd5(TempDir tmp, string image)
    {
        string raw = tmp["md5-" + Guid.NewGuid().ToString("N")[..8] + ".raw"];
        QemuOracle.ImgOk("convert", "-O", "raw", image, raw);
        string md5 = QemuOracle.Md5OfFile(raw);
        File.Delete(raw);
        return md5;
    }

    private static void AssertClean(string image)
    {
        var r = QemuOracle.Img("check", image);
        Assert.AreEqual(0, r.ExitCode, $"qemu-img check {image}: {r.StdOut}{r.StdErr}");
    }

    /// <summary>base ← mid ← top, each layer writing its own pattern, top also zeroing a range.</summary>
    private static (string Base, string Mid, string Top) Chain(TempDir tmp, string baseSize = "4M", string topSize = "4M")
    {
        QemuOracle.ImgOk("create", "-f", "qcow2", tmp["base.qcow2"], baseSize);
        QemuOracle.IoOk("-c", "write -P 0x11 0 2M", tmp["base.qcow2"]);
        QemuOracle.ImgOk("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", tmp["mid.qcow2"], baseSize);
        QemuOracle.IoOk("-c", "write -P 0x22 1M 512k", tmp["mid.qcow2"]);
        QemuOracle.ImgOk("create", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", tmp["top.qcow2"], topSize);
        QemuOracle.IoOk("-c", "write -P 0x33 1536k 1M", "-c", "write -z 64k 64k", "-c", "write -P 0x44 3M 4k", tmp["top.qcow2"]);
        return (tmp["base.qcow2"], tmp["mid.qcow2"], tmp["top.qcow2"]);
    }

    [TestMethod]
    public void CommitIntoImmediateBackingEmptiesTheTopAndKeepsTheChainsContent()
    {
        using var tmp = new TempDir();
        var (_, mid, top) = Chain(tmp);
        string before = GuestMd5(tmp, top);
        ImageCommitter.Commit(Ctx, new CommitRequest { Filename = top });
        AssertClean(top);
        AssertClean(mid);
        Assert.AreEqual(before, GuestMd5(tmp, top), "the chain reads the same");
        Assert.AreEqual(before, GuestMd5(tmp, mid), "mid now holds what top showed");
        using var t = ImageOpener.Open(Ctx, top, new OpenOptions { NoBacking = true });
        for (long off = 0; off < t.VirtualSize;)
        {
            var st = BlockLayer.GetStatus(t, off, t.VirtualSize - off);
            Assert.IsFalse(st.IsAllocated && !st.IsZero, $"top still allocates {off}");
            off += st.Length;
        }
    }

    [TestMethod]
    public void CommitWithDropKeepsTheTopAndBaseOptionReachesFurther()
    {
        using var tmp = new TempDir();
        var (bas, _, top) = Chain(tmp);
        string before = GuestMd5(tmp, top);
        string topMd5Alone = QemuOracle.Md5OfFile(top);
        ImageCommitter.Commit(Ctx, new CommitRequest { Filename = top, Base = bas });
        AssertClean(bas);
        Assert.AreEqual(before, GuestMd5(tmp, bas), "everything above base landed in base");
        Assert.AreEqual(topMd5Alone, QemuOracle.Md5OfFile(top), "-b implies -d: top untouched");
        var e = Assert.ThrowsExactly<ImageException>(() => ImageCommitter.Commit(Ctx, new CommitRequest { Filename = top, Base = tmp["nope.qcow2"] }));
        Assert.AreEqual($"Did not find '{tmp["nope.qcow2"]}' in the backing chain of '{top}'", e.Message);
    }

    [TestMethod]
    public void CommitGrowsASmallerBase()
    {
        using var tmp = new TempDir();
        var (_, mid, top) = Chain(tmp, baseSize: "2M", topSize: "4M");
        string before = GuestMd5(tmp, top);
        ImageCommitter.Commit(Ctx, new CommitRequest { Filename = top });
        AssertClean(mid);
        using (var m = ImageOpener.Open(Ctx, mid, new OpenOptions { NoBacking = true }))
            Assert.AreEqual(4L << 20, m.VirtualSize);
        Assert.AreEqual(before, GuestMd5(tmp, mid));
    }

    [TestMethod]
    public void CommitWithoutBackingFileIsRefused()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-f", "qcow2", tmp["a.qcow2"], "1M");
        Assert.AreEqual("Image does not have a backing file",
            Assert.ThrowsExactly<ImageException>(() => ImageCommitter.Commit(Ctx, new CommitRequest { Filename = tmp["a.qcow2"] })).Message);
    }

    [TestMethod]
    public void SafeRebaseOntoAnotherBaseKeepsTheOverlaysContent()
    {
        using var tmp = new TempDir();
        var (_, _, top) = Chain(tmp);
        QemuOracle.ImgOk("create", "-f", "qcow2", tmp["other.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write -P 0x55 512k 1M", tmp["other.qcow2"]);
        string before = GuestMd5(tmp, top);
        ImageRebaser.Rebase(Ctx, new RebaseRequest { Filename = top, BackingFile = "other.qcow2", BackingFormat = "qcow2" });
        AssertClean(top);
        Assert.AreEqual(before, GuestMd5(tmp, top));
        string info = QemuOracle.ImgOk("info", top);
        StringAssert.Contains(info, "backing file: other.qcow2");
    }

    [TestMethod]
    public void RebaseOntoNothingFlattens()
    {
        using var tmp = new TempDir();
        var (_, _, top) = Chain(tmp);
        string before = GuestMd5(tmp, top);
        ImageRebaser.Rebase(Ctx, new RebaseRequest { Filename = top, BackingFile = "" });
        AssertClean(top);
        StringAssert.DoesNotMatch(QemuOracle.ImgOk("info", top), new System.Text.RegularExpressions.Regex("backing file"));
        Assert.AreEqual(before, GuestMd5(tmp, top));
    }

    [TestMethod]
    public void UnsafeRebaseOnlyRewritesTheHeaderAndFormatIsRequired()
    {
        using var tmp = new TempDir();
        var (_, _, top) = Chain(tmp);
        var e = Assert.ThrowsExactly<ImageException>(() => ImageRebaser.Rebase(Ctx, new RebaseRequest { Filename = top, BackingFile = "base.qcow2", Unsafe = true }));
        Assert.AreEqual("Could not change the backing file to 'base.qcow2': backing format must be specified", e.Message);
        ImageRebaser.Rebase(Ctx, new RebaseRequest { Filename = top, BackingFile = "base.qcow2", BackingFormat = "qcow2", Unsafe = true });
        AssertClean(top);
        StringAssert.Contains(QemuOracle.ImgOk("info", top), "backing file: base.qcow2");
    }

    [TestMethod]
    public void ManualDiffRecipeGivesAThinImageThatReadsLikeTheClone()
    {
        // qemu-img.texi, rebase: base.img cloned as modified.img and changed; then
        // "qemu-img create -f qcow2 -b modified.img diff.qcow2; qemu-img rebase -b base.img diff.qcow2".
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-f", "qcow2", tmp["base.img"], "4M");
        QemuOracle.IoOk("-c", "write -P 0x11 0 4M", tmp["base.img"]);
        File.Copy(tmp["base.img"], tmp["modified.img"]);
        QemuOracle.IoOk("-c", "write -P 0x77 1M 64k", tmp["modified.img"]);
        string modifiedMd5 = GuestMd5(tmp, tmp["modified.img"]);
        ImageCreator.Create(Ctx, new CreateImageRequest { Filename = tmp["diff.qcow2"], Format = "qcow2", BackingFile = "modified.img", BackingFormat = "qcow2" }, null);
        ImageRebaser.Rebase(Ctx, new RebaseRequest { Filename = tmp["diff.qcow2"], BackingFile = "base.img", BackingFormat = "qcow2" });
        AssertClean(tmp["diff.qcow2"]);
        File.Delete(tmp["modified.img"]);
        Assert.AreEqual(modifiedMd5, GuestMd5(tmp, tmp["diff.qcow2"]), "base.img + diff.qcow2 hold what modified.img held");
        using var d = ImageOpener.Open(Ctx, tmp["diff.qcow2"], new OpenOptions { NoBacking = true });
        long allocated = 0;
        for (long off = 0; off < d.VirtualSize;)
        {
            var st = BlockLayer.GetStatus(d, off, d.VirtualSize - off);
            if (st.IsAllocated) allocated += st.Length;
            off += st.Length;
        }
        Assert.AreEqual(64L * 1024, allocated, "only the changed cluster is in the diff");
    }

    [TestMethod]
    public void Qcow2GrowsAndShrinksCleanly()
    {
        using var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-f", "qcow2", tmp["r.qcow2"], "2M");
        QemuOracle.IoOk("-c", "write -P 0x12 0 2M", tmp["r.qcow2"]);
        ImageResizer.Resize(Ctx, new ResizeRequest { Filename = tmp["r.qcow2"], Size = "+3G" });
        AssertClean(tmp["r.qcow2"]);
        QemuOracle.IoOk("-c", "write -P 0x34 3G 64k", "-c", "read -P 0x12 0 2M", tmp["r.qcow2"]);
        ImageResizer.Resize(Ctx, new ResizeRequest { Filename = tmp["r.qcow2"], Size = "1M", Shrink = true });
        AssertClean(tmp["r.qcow2"]);
        QemuOracle.IoOk("-c", "read -P 0x12 0 1M", tmp["r.qcow2"]);
        Assert.AreEqual("The new size must be a multiple of 512",
            Assert.ThrowsExactly<ImageException>(() => ImageResizer.Resize(Ctx, new ResizeRequest { Filename = tmp["r.qcow2"], Size = "+1000" })).Message);
        ImageResizer.Resize(Ctx, new ResizeRequest { Filename = tmp["r.qcow2"], Size = "+1M", Preallocation = "full" });
        AssertClean(tmp["r.qcow2"]);
        QemuOracle.IoOk("-c", "read -P 0 1M 1M", tmp["r.qcow2"]);
    }
}
