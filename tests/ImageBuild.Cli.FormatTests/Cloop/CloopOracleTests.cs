using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Cloop;

/// <summary>cloop images made by create_compressed_fs read as qemu-img reads them, over several block sizes.</summary>
[TestClass]
[RequiresQemu]
[RequiresTool(ExternalTools.CreateCompressedFs)]
public sealed class CloopOracleTests
{
    [TestMethod]
    [DataRow(65536, 4 << 20)]
    [DataRow(512, 1 << 20)]        // the smallest block qemu accepts
    [DataRow(262144, 3_000_000)]   // the last block padded with zeros by create_compressed_fs
    [DataRow(2 << 20, 5 << 20)]    // a block larger than one page of the reader's block buffer
    public void CreateCompressedFsImageReadsAsQemuReadsIt(int blockSize, int size)
    {
        using var tmp = new TempDir();
        var raw = new byte[size];
        OracleFixtures.MixedContent(Math.Min(size, 1_500_000), 51).CopyTo(raw, 0);
        OracleFixtures.MixedContent(1000, 52).CopyTo(raw, size - 1000);
        File.WriteAllBytes(tmp["content.raw"], raw);
        ExternalTools.MakeCloop(tmp["content.raw"], tmp["img.cloop"], blockSize);

        ToolUnderTest.QemuOk(tmp.Path, "convert", "-f", "cloop", "-O", "raw", "img.cloop", "q.raw");
        var ours = ToolUnderTest.Run(tmp.Path, "convert", "-O", "raw", "img.cloop", "t.raw");
        Assert.AreEqual(0, ours.ExitCode, ours.ToString());
        OracleFixtures.AssertFilesEqual(tmp["q.raw"], tmp["t.raw"], $"convert of a cloop image with {blockSize}-byte blocks");
        foreach (var args in new[]
        {
            new[] { "info", "img.cloop" }, ["info", "--output=json", "img.cloop"], ["map", "--output=json", "img.cloop"],
            ["map", "img.cloop"], ["check", "img.cloop"], ["compare", "img.cloop", "q.raw"],
            ["compare", "img.cloop", "content.raw"], // differs in size when the last block was padded
        })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(tmp.Path, args), ToolUnderTest.Run(tmp.Path, args));
    }
}
