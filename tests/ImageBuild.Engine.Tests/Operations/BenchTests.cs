using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Operations;

[TestClass]
public sealed class BenchTests
{
    private static readonly ImageContext Ctx = ImageContext.CreateDefault();

    [TestMethod]
    public void FlushIntervalRules()
    {
        Assert.AreEqual("--flush-interval is only available in write tests", Assert.ThrowsExactly<ImageException>(() =>
            ImageBench.Run(Ctx, new BenchRequest { Filename = "x", FlushInterval = 1 }, _ => { })).Message);
        Assert.AreEqual("Flush interval can't be smaller than depth", Assert.ThrowsExactly<ImageException>(() =>
            ImageBench.Run(Ctx, new BenchRequest { Filename = "x", Write = true, FlushInterval = 1, Depth = 2 }, _ => { })).Message);
    }

    [TestMethod]
    public void RequestPastTheEndFailsAfterTheHeaderLine()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["b.raw"], new byte[65536]);
        var lines = new List<string>();
        var e = Assert.ThrowsExactly<ImageException>(() =>
            ImageBench.Run(Ctx, new BenchRequest { Filename = tmp["b.raw"], Format = "raw", Count = 5, Offset = 1 << 20 }, lines.Add));
        Assert.AreEqual("Failed request: Input/output error", e.Message);
        Assert.AreEqual(1, lines.Count);
    }

    [TestMethod]
    [RequiresQemu]
    public void WriteBenchTouchesTheSameBytesAsQemuImgBench()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["ours.raw"], new byte[65536]);
        File.WriteAllBytes(tmp["qemu.raw"], new byte[65536]);
        var lines = new List<string>();
        ImageBench.Run(Ctx, new BenchRequest
        {
            Filename = tmp["ours.raw"], Format = "raw", Write = true, Pattern = 171, Count = 20, BufferSize = 4096, StepSize = 12288, Offset = 4096,
        }, lines.Add);
        string q = QemuOracle.ImgOk("bench", "-f", "raw", "-w", "--pattern=171", "-c", "20", "-s", "4096", "-S", "12288", "-o", "4096", tmp["qemu.raw"]);
        Assert.AreEqual(QemuOracle.Md5OfFile(tmp["qemu.raw"]), QemuOracle.Md5OfFile(tmp["ours.raw"]));
        Assert.AreEqual(q.Split('\n')[0].Replace(tmp["qemu.raw"], "F", StringComparison.Ordinal), lines[0]);
        StringAssert.Matches(lines[^1], new System.Text.RegularExpressions.Regex(@"^Run completed in \d+\.\d{3} seconds\.$"));
    }
}
