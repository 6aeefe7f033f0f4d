using System.Security.Cryptography;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vpc;

/// <summary>
/// Differencing VHDs (beyond qemu 7.2, which reads them as if their parent were empty): made with `create -b`, read
/// through the parent, and with --no-backing exactly as qemu-img reads them; a real one (dfvfs) whose parent is absent.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VpcDifferencingOracleTests
{
    /// <summary>parent.vhd (qemu-made, filled) and child.vhd over it (ours), with qemu-io writing whole blocks into the child.</summary>
    private static void MakePair(string dir)
    {
        ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vpc", "parent.vhd", "6M");
        ToolUnderTest.QemuIo(dir, "vpc", "parent.vhd", "write -q -P 0x11 0 6M");
        var r = ToolUnderTest.Run(dir, "create", "-q", "-f", "vpc", "-b", "parent.vhd", "-F", "vpc", "child.vhd");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        // qemu treats the child as a dynamic disk: its new block gets an all-ones bitmap, so the whole block is the child's
        ToolUnderTest.QemuIo(dir, "vpc", "child.vhd", "write -q -P 0x22 2M 4k");
    }

    [TestMethod]
    public void ChildReadsThroughItsParentAndAloneAsQemuReadsIt()
    {
        if (ToolUnderTest.IsQemu) return; // differencing VHDs are beyond qemu-img
        using var tmp = new TempDir();
        MakePair(tmp.Path);
        var r = ToolUnderTest.Run(tmp.Path, "convert", "-O", "raw", "child.vhd", "chain.raw");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        byte[] chain = File.ReadAllBytes(tmp["chain.raw"]);
        Assert.AreEqual(0x11, chain[0], "block 0 from the parent");
        Assert.AreEqual(0x22, chain[2 << 20], "the child's write");
        Assert.AreEqual(0, chain[(2 << 20) + 4096], "the rest of the child's block: qemu's all-ones bitmap makes it the child's (zeros)");
        Assert.AreEqual(0x11, chain[(4 << 20) + 5], "block 2 from the parent");

        // --no-backing: exactly qemu-img's reading (as if the parent were empty)
        ToolUnderTest.QemuOk(tmp.Path, "convert", "-O", "raw", "child.vhd", "q.raw");
        r = ToolUnderTest.Run(tmp.Path, "convert", "--no-backing", "-O", "raw", "child.vhd", "t.raw");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["q.raw"]), File.ReadAllBytes(tmp["t.raw"]), "--no-backing reads as qemu-img");
        foreach (string[] args in new[] { new[] { "map", "--output=json", "child.vhd" }, ["map", "child.vhd"] })
        {
            var t = ToolUnderTest.Run(tmp.Path, [args[0], "--no-backing", .. args[1..]]);
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(tmp.Path, args), t);
        }
        var compare = ToolUnderTest.Run(tmp.Path, "compare", "--no-backing", "child.vhd", "q.raw");
        Assert.AreEqual(0, compare.ExitCode, compare.ToString());

        var info = ToolUnderTest.Run(tmp.Path, "info", "child.vhd");
        StringAssert.Contains(info.StdOut, "backing file: parent.vhd\nbacking file format: vpc\n");
    }

    /// <summary>The real differencing VHD of dfvfs: its parent (fat-parent.vhd, W2ru ".\fat-parent.vhd") is not shipped.</summary>
    [TestMethod]
    [RequiresSharedImages]
    public void RealDifferencingImageWithoutItsParent()
    {
        if (ToolUnderTest.IsQemu) return;
        string image = Path.Combine(QemuOracle.SharedImages!, "dfvfs", "fat-differential.vhd");
        using var tmp = new TempDir();
        var fail = ToolUnderTest.Run(tmp.Path, "convert", "-O", "raw", image, "out.raw");
        Assert.AreEqual(1, fail.ExitCode, fail.ToString());
        Assert.AreEqual($"imagebuild: Could not open '{image}': Could not open backing file: Could not open '{Path.GetDirectoryName(image)}/fat-parent.vhd': No such file or directory\n", fail.StdErr);
        Assert.IsFalse(File.Exists(tmp["out.raw"]), "no output left");

        var r = ToolUnderTest.Run(tmp.Path, "convert", "--no-backing", "-O", "raw", image, "out.raw");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        Assert.AreEqual("7d2a62d50cff41ac1340df4a1e055cb9", Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(tmp["out.raw"]))), "expected.tsv's md5 (qemu-img's reading)");
        var info = ToolUnderTest.Run(tmp.Path, "info", image);
        Assert.AreEqual(0, info.ExitCode, info.ToString());
        StringAssert.Contains(info.StdOut, $"backing file: fat-parent.vhd (actual path: {Path.GetDirectoryName(image)}/fat-parent.vhd)\n");
        foreach (string[] args in new[] { new[] { "map", "--output=json", image }, ["map", image], ["compare", image, "out.raw"] })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(tmp.Path, args), ToolUnderTest.Run(tmp.Path, [args[0], "--no-backing", .. args[1..]]));
    }

    /// <summary>check, measure and dd take --no-backing too, and then answer as qemu-img does for the child.</summary>
    [TestMethod]
    public void CheckMeasureAndDdReadTheChildAloneWithNoBacking()
    {
        if (ToolUnderTest.IsQemu) return;
        using var tmp = new TempDir();
        MakePair(tmp.Path);
        foreach (string[] args in new[]
        {
            new[] { "check", "child.vhd" },
            ["measure", "-O", "qcow2", "child.vhd"],
            ["measure", "--output=json", "-O", "qcow2", "child.vhd"],
        })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(tmp.Path, args), ToolUnderTest.Run(tmp.Path, [args[0], "--no-backing", .. args[1..]]));
        ToolUnderTest.QemuOk(tmp.Path, "dd", "-O", "raw", "if=child.vhd", "of=q.raw", "bs=1M");
        var r = ToolUnderTest.Run(tmp.Path, "dd", "--no-backing", "-O", "raw", "if=child.vhd", "of=t.raw", "bs=1M");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["q.raw"]), File.ReadAllBytes(tmp["t.raw"]), "dd --no-backing");
    }

    /// <summary>--no-backing belongs to the commands that read images; elsewhere it is an unknown option.</summary>
    [TestMethod]
    public void NoBackingIsRefusedByCommandsThatWrite()
    {
        if (ToolUnderTest.IsQemu) return;
        using var tmp = new TempDir();
        var r = ToolUnderTest.Run(tmp.Path, "create", "--no-backing", "-f", "vpc", "a.vhd", "1M");
        Assert.AreEqual(1, r.ExitCode, r.ToString());
        StringAssert.StartsWith(r.StdErr, "imagebuild: unrecognized option '--no-backing'\n");
        Assert.IsFalse(File.Exists(tmp["a.vhd"]));
    }

    /// <summary>The parent of a differencing VHD must be a VHD: said so, in one line.</summary>
    [TestMethod]
    public void ParentMustBeAVhd()
    {
        if (ToolUnderTest.IsQemu) return;
        using var tmp = new TempDir();
        ToolUnderTest.QemuOk(tmp.Path, "create", "-q", "-f", "raw", "base.raw", "4M");
        var r = ToolUnderTest.Run(tmp.Path, "create", "-f", "vpc", "-b", "base.raw", "-F", "raw", "child.vhd");
        Assert.AreEqual(1, r.ExitCode, r.ToString());
        StringAssert.EndsWith(r.StdErr, "child.vhd: the parent of a differencing VHD must be a VHD (format vpc), not raw: 'base.raw'\n");
    }
}
