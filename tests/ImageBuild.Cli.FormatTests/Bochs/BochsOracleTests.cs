using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Bochs;

/// <summary>
/// Bochs growing redologs read as qemu-img reads them: images written by <see cref="BochsBuilder"/> in both header
/// versions and several extent sizes (sectors without their bitmap bit hold garbage that must read as zeros), and
/// an empty image made by bximage itself.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class BochsOracleTests
{
    private const int Size = 4 << 20;

    [TestMethod]
    [DataRow(2, 16384)] // bximage's extent size for small disks
    [DataRow(1, 4096)]  // the version 1 header: no reserved word before the disk size
    [DataRow(2, 512)]   // one sector per extent, a one-byte bitmap
    [DataRow(1, 65536)]
    [DataRow(2, 8 << 20)] // the largest extent qemu accepts: one extent covers the disk
    public void BuiltImageReadsAsQemuReadsIt(int version, int extentSize)
    {
        using var tmp = new TempDir();
        byte[] raw = Content();
        File.WriteAllBytes(tmp["content.raw"], raw);
        BochsBuilder.Write(tmp["img.bochs"], raw, new BochsBuilder.Layout(version, extentSize));

        ToolUnderTest.QemuOk(tmp.Path, "convert", "-f", "bochs", "-O", "raw", "img.bochs", "q.raw");
        OracleFixtures.AssertFilesEqual(tmp["content.raw"], tmp["q.raw"], "fixture: qemu-img reads the builder's image as its content");
        var ours = ToolUnderTest.Run(tmp.Path, "convert", "-O", "raw", "img.bochs", "t.raw");
        Assert.AreEqual(0, ours.ExitCode, ours.ToString());
        OracleFixtures.AssertFilesEqual(tmp["q.raw"], tmp["t.raw"], $"convert of a v{version} bochs image with {extentSize}-byte extents");
        foreach (var args in new[]
        {
            new[] { "info", "img.bochs" }, ["info", "--output=json", "img.bochs"], ["map", "--output=json", "img.bochs"],
            ["map", "img.bochs"], ["check", "img.bochs"], ["compare", "img.bochs", "content.raw"],
        })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(tmp.Path, args), ToolUnderTest.Run(tmp.Path, args));
    }

    [TestMethod]
    [RequiresTool(ExternalTools.Bximage)]
    [DataRow("10M")]
    [DataRow("1G")]
    public void BximageImageReadsAsQemuReadsIt(string size)
    {
        using var tmp = new TempDir();
        ExternalTools.RunOk(ExternalTools.Bximage, tmp.Path, "-func=create", $"-hd={size}", "-imgmode=growing", "-q", "b.img");
        foreach (var args in new[]
        {
            new[] { "info", "b.img" }, ["info", "--output=json", "b.img"], ["map", "--output=json", "b.img"], ["check", "b.img"],
        })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(tmp.Path, args), ToolUnderTest.Run(tmp.Path, args));
        ToolUnderTest.QemuOk(tmp.Path, "convert", "-O", "raw", "b.img", "q.raw");
        var ours = ToolUnderTest.Run(tmp.Path, "convert", "-O", "raw", "b.img", "t.raw");
        Assert.AreEqual(0, ours.ExitCode, ours.ToString());
        OracleFixtures.AssertFilesEqual(tmp["q.raw"], tmp["t.raw"], $"convert of an empty {size} bximage image");
    }

    /// <summary>Data in the first MiB with a zero run, an all-zero stretch, data across the 2 MiB mark, the last sector.</summary>
    internal static byte[] Content()
    {
        var raw = new byte[Size];
        OracleFixtures.MixedContent(1 << 20, 41).CopyTo(raw, 0);
        Array.Clear(raw, 100_352, 70_000);
        OracleFixtures.MixedContent(600_000, 42).CopyTo(raw, (2 << 20) - 300_000);
        OracleFixtures.MixedContent(512, 43).CopyTo(raw, Size - 512);
        return raw;
    }
}
