using System.Diagnostics;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>convert --bitmaps / --skip-broken-bitmaps against qemu-img on twin copies.</summary>
[TestClass]
[RequiresQemu]
public sealed class ConvertBitmapsTests
{
    private static readonly string[] Files = ["src.qcow2", "broken.qcow2", "v3.raw"];

    /// <summary>src.qcow2 with an enabled and a disabled bitmap holding bits; broken.qcow2 whose bitmaps were left in use by a killed writer.</summary>
    private static TempDir Images()
    {
        var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["src.qcow2"], "4M");
        QemuOracle.ImgOk("bitmap", "--add", tmp["src.qcow2"], "b1");
        QemuOracle.ImgOk("bitmap", "--add", "-g", "128k", tmp["src.qcow2"], "b2");
        QemuOracle.IoOk("-c", "write -P 1 0 64k", "-c", "write -P 2 1M 4k", tmp["src.qcow2"]);
        QemuOracle.ImgOk("bitmap", "--disable", tmp["src.qcow2"], "b2");
        QemuOracle.IoOk("-c", "write -P 3 3M 64k", tmp["src.qcow2"]);
        File.Copy(tmp["src.qcow2"], tmp["broken.qcow2"]);
        // qemu-io marks the bitmaps in use when it opens the image for writing; killed, it never clears them.
        using (var io = Process.Start(new ProcessStartInfo(QemuOracle.QemuIo, ["-c", "write -P 4 2M 4k", "-c", "sleep 20000", tmp["broken.qcow2"]])
               { RedirectStandardOutput = true, RedirectStandardError = true })!)
        {
            for (int i = 0; i < 100 && !QemuOracle.ImgOk("info", "-U", tmp["broken.qcow2"]).Contains("in-use", StringComparison.Ordinal); i++)
                Thread.Sleep(100);
            io.Kill();
            io.WaitForExit();
        }
        StringAssert.Contains(QemuOracle.ImgOk("info", tmp["broken.qcow2"]), "in-use");
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["v3.raw"], "4M");
        return tmp;
    }

    [TestMethod]
    [DataRow("convert --bitmaps -O qcow2 src.qcow2 out.qcow2", true)]
    [DataRow("convert --bitmaps -c -O qcow2 src.qcow2 out.qcow2", true)]
    [DataRow("convert --bitmaps --skip-broken-bitmaps -O qcow2 broken.qcow2 out.qcow2", true)]
    [DataRow("convert --bitmaps -O qcow2 broken.qcow2 out.qcow2", false)]
    [DataRow("convert --bitmaps -O raw src.qcow2 out.raw", false)]
    [DataRow("convert --bitmaps -O qcow2 -o compat=0.10 src.qcow2 out.qcow2", false)]
    [DataRow("convert --bitmaps -O qcow2 v3.raw out.qcow2", false)]
    [DataRow("convert --skip-broken-bitmaps -O qcow2 src.qcow2 out.qcow2", false)]
    [DataRow("convert --bitmaps -O qcow2 src.qcow2 v3.raw out.qcow2", false)]
    public void SameOutcomeAsQemu(string command, bool succeeds)
    {
        using var tmp = Images();
        var (q, i, rc) = TwinImages.Run(tmp, Files, command.Split(' '));
        Assert.AreEqual(succeeds, rc == 0);
        if (!succeeds) return;
        TwinImages.AssertSameImage(Path.Combine(q, "out.qcow2"), Path.Combine(i, "out.qcow2"), sameBytes: !command.Contains(" -c ", StringComparison.Ordinal));
        var theirs = TwinImages.BitmapBits(Path.Combine(q, "out.qcow2"));
        var ours = TwinImages.BitmapBits(Path.Combine(i, "out.qcow2"));
        CollectionAssert.AreEquivalent(theirs.Keys, ours.Keys);
        foreach (var (name, bits) in theirs)
            CollectionAssert.AreEqual(bits, ours[name], $"bits of bitmap '{name}'");
    }
}
