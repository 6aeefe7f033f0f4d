using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>resize, commit, rebase, dd and bench through imagebuild's command line, against qemu-img's output.</summary>
[TestClass]
[RequiresQemu]
public sealed class LifecycleCommandTests
{
    private static (int Rc, string Out, string Err) Run(params string[] args) => TwinImages.Ours(Environment.CurrentDirectory, args);

    /// <summary>Runs the same arguments through qemu-img and imagebuild on twin copies of the inputs; the files end the same size.</summary>
    private static void SameAsQemu(TempDir tmp, string[] files, params string[] args)
    {
        var (q, i, _) = TwinImages.Run(tmp, files, args);
        foreach (var f in files)
            Assert.AreEqual(new FileInfo(Path.Combine(q, f)).Length, new FileInfo(Path.Combine(i, f)).Length, f);
    }

    private static TempDir Chain()
    {
        var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["base.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write -P 1 0 1M", tmp["base.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", tmp["top.qcow2"]);
        QemuOracle.IoOk("-c", "write -P 2 512k 1M", tmp["top.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["r.raw"], "1M");
        return tmp;
    }

    [TestMethod]
    [DataRow("resize", "top.qcow2", "+1M")]
    [DataRow("resize", "top.qcow2", "-1M")]
    [DataRow("resize", "--shrink", "top.qcow2", "-1M")]
    [DataRow("resize", "-q", "top.qcow2", "8M")]
    [DataRow("resize", "-f", "raw", "r.raw", "0")]
    [DataRow("resize", "top.qcow2", "+1000")]
    [DataRow("commit", "top.qcow2")]
    [DataRow("commit", "-q", "top.qcow2")]
    [DataRow("commit", "base.qcow2")]
    [DataRow("commit", "-b", "nope.qcow2", "top.qcow2")]
    [DataRow("rebase", "top.qcow2")]
    [DataRow("rebase", "-b", "", "top.qcow2")]
    [DataRow("rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2")]
    [DataRow("rebase", "-b", "missing.qcow2", "-F", "qcow2", "top.qcow2")]
    [DataRow("dd", "-f", "raw", "bs=64k", "count=4", "skip=2", "if=r.raw", "of=o.raw")]
    [DataRow("dd", "-f", "raw", "bs=64k", "skip=40", "if=r.raw", "of=o.raw")]
    [DataRow("dd", "-f", "raw", "conv=x", "if=r.raw", "of=o.raw")]
    [DataRow("bench", "-c", "5", "--flush-interval=1", "r.raw")]
    public void BehavesLikeQemuImg(params string[] args)
    {
        using var tmp = Chain();
        SameAsQemu(tmp, ["base.qcow2", "top.qcow2", "r.raw"], args);
    }

    [TestMethod]
    public void BenchPrintsQemusLines()
    {
        using var tmp = Chain();
        var r = Run("bench", "-f", "raw", "-w", "-c", "10", "-d", "2", "--flush-interval=4", tmp["r.raw"]);
        Assert.AreEqual(0, r.Rc, r.Err);
        var lines = r.Out.Split('\n');
        Assert.AreEqual("Sending 10 write requests, 4096 bytes each, 2 in parallel (starting at offset 0, step size 4096)", lines[0]);
        Assert.AreEqual("Sending flush every 4 requests", lines[1]);
        StringAssert.StartsWith(lines[2], "Run completed in ");
    }
}
