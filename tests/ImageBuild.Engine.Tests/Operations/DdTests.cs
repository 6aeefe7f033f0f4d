using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Operations;

[TestClass]
public sealed class DdTests
{
    private static string Input(TempDir tmp)
    {
        var data = new byte[1 << 20];
        new Random(42).NextBytes(data);
        File.WriteAllBytes(tmp["in.raw"], data);
        return tmp["in.raw"];
    }

    private static List<string> Run(TempDir tmp, string output, params string[] operands)
    {
        var warnings = new List<string>();
        var req = new DdRequest { InputFormat = "raw", Input = tmp["in.raw"], Output = output };
        foreach (var op in operands) req = req.WithOperand(op);
        ImageDd.Run(ImageContext.CreateDefault(warnings.Add), req);
        return warnings;
    }

    [TestMethod]
    public void CountCapsTheInputEndNotTheAmountAfterSkip()
    {
        using var tmp = new TempDir();
        byte[] input = File.ReadAllBytes(Input(tmp));
        Run(tmp, tmp["o.raw"], "bs=64k", "skip=2", "count=4");
        CollectionAssert.AreEqual(input.AsSpan(128 * 1024, 128 * 1024).ToArray(), File.ReadAllBytes(tmp["o.raw"]));
    }

    [TestMethod]
    public void SkipPastTheEndWarnsAndCreatesAnEmptyImage()
    {
        using var tmp = new TempDir();
        Input(tmp);
        var warnings = Run(tmp, tmp["o.raw"], "bs=64k", "skip=20", "count=4");
        Assert.AreEqual(0L, new FileInfo(tmp["o.raw"]).Length);
        CollectionAssert.AreEqual(new[] { $"{tmp["in.raw"]}: cannot skip to specified offset" }, warnings);
    }

    [TestMethod]
    [DataRow("conv=notrunc", "unrecognized operand conv")]
    [DataRow("bs=0", "Invalid bs specified. Must be between 1 and 2147483647.")]
    [DataRow("count=abc", "Invalid count specified. You may use k, M, G, T, P or E suffixes for\nkilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.")]
    public void BadOperandsGiveQemusMessages(string operand, string message)
    {
        var e = Assert.ThrowsExactly<ImageException>(() => new DdRequest().WithOperand(operand));
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    public void MissingOutputIsRefused()
    {
        var e = Assert.ThrowsExactly<ImageException>(() => ImageDd.Run(ImageContext.CreateDefault(), new DdRequest { Input = "x" }));
        Assert.AreEqual("Must specify both input and output files", e.Message);
    }

    [TestMethod]
    [RequiresQemu]
    [DataRow("bs=64k", "skip=2", "count=4")]
    [DataRow("bs=1000", "skip=3")]
    [DataRow("bs=1000")]
    [DataRow("bs=64k", "count=100")]
    [DataRow("bs=512", "skip=2048")]
    public void OutputEqualsQemuImgDd(params string[] operands)
    {
        using var tmp = new TempDir();
        Input(tmp);
        Run(tmp, tmp["ours.raw"], operands);
        QemuOracle.ImgOk(["dd", "-f", "raw", "-O", "raw", .. operands, $"if={tmp["in.raw"]}", $"of={tmp["qemu.raw"]}"]);
        Assert.AreEqual(new FileInfo(tmp["qemu.raw"]).Length, new FileInfo(tmp["ours.raw"]).Length);
        Assert.AreEqual(QemuOracle.Md5OfFile(tmp["qemu.raw"]), QemuOracle.Md5OfFile(tmp["ours.raw"]));
    }
}
