using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Operations;

[TestClass]
public sealed class ResizeTests
{
    private static readonly ImageContext Ctx = ImageContext.CreateDefault();

    private static string Raw(TempDir tmp, string name, long size)
    {
        ImageCreator.Create(Ctx, new CreateImageRequest { Filename = tmp[name], Format = "raw", Size = size }, null);
        return tmp[name];
    }

    private static void Resize(string file, string size, bool shrink = false, string? prealloc = null) =>
        ImageResizer.Resize(Ctx, new ResizeRequest { Filename = file, Format = "raw", Size = size, Shrink = shrink, Preallocation = prealloc });

    [TestMethod]
    public void GrowsAbsoluteAndRelative()
    {
        using var tmp = new TempDir();
        string f = Raw(tmp, "r.raw", 1 << 20);
        Resize(f, "2M");
        Assert.AreEqual(2L << 20, new FileInfo(f).Length);
        Resize(f, "+1000");
        Assert.AreEqual((2L << 20) + 1000, new FileInfo(f).Length, "raw resize is exact, not sector-rounded");
    }

    [TestMethod]
    public void ShrinkNeedsTheFlag()
    {
        using var tmp = new TempDir();
        string f = Raw(tmp, "r.raw", 2 << 20);
        Assert.ThrowsExactly<ShrinkRefusedException>(() => Resize(f, "1M"));
        Assert.AreEqual(2L << 20, new FileInfo(f).Length, "a refused shrink changes nothing");
        Resize(f, "-1M", shrink: true);
        Assert.AreEqual(1L << 20, new FileInfo(f).Length);
    }

    [TestMethod]
    [DataRow("-5M", "New image size must be positive")]
    [DataRow("0", "New image size must be positive")]
    [DataRow("1X", "Parameter 'size' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.")]
    public void RejectsBadSizes(string size, string message)
    {
        using var tmp = new TempDir();
        string f = Raw(tmp, "r.raw", 1 << 20);
        var e = Assert.ThrowsExactly<ImageException>(() => Resize(f, size, shrink: true));
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    public void PreallocationRules()
    {
        using var tmp = new TempDir();
        string f = Raw(tmp, "r.raw", 1 << 20);
        Assert.AreEqual("Unsupported preallocation mode: metadata",
            Assert.ThrowsExactly<ImageException>(() => Resize(f, "+1M", prealloc: "metadata")).Message);
        Assert.AreEqual("Preallocation can only be used for growing images",
            Assert.ThrowsExactly<ImageException>(() => Resize(f, "1M", prealloc: "full")).Message);
        Assert.AreEqual("Invalid preallocation mode 'bogus'",
            Assert.ThrowsExactly<ImageException>(() => Resize(f, "+1M", prealloc: "bogus")).Message);
        Resize(f, "+4M", prealloc: "full");
        using var dev = ImageOpener.Open(Ctx, f, new OpenOptions { Format = "raw" });
        var st = BlockLayer.GetStatus(dev, 1 << 20, 4 << 20);
        Assert.IsTrue(st.IsData, "full preallocation writes the grown area");
    }

    [TestMethod]
    [RequiresQemu]
    public void ResizedRawMatchesQemuImgResize()
    {
        using var tmp = new TempDir();
        string ours = Raw(tmp, "ours.raw", 1 << 20);
        QemuOracle.ImgOk("create", "-f", "raw", tmp["qemu.raw"], "1M");
        foreach (var (size, shrink) in new[] { ("+3M", false), ("-1536K", true), ("+777", false) })
        {
            Resize(ours, size, shrink);
            var args = new List<string> { "resize", "-f", "raw" };
            if (shrink) args.Add("--shrink");
            args.AddRange([tmp["qemu.raw"], "--", size]);
            QemuOracle.ImgOk([.. args]);
            Assert.AreEqual(new FileInfo(tmp["qemu.raw"]).Length, new FileInfo(ours).Length, size);
        }
    }
}
