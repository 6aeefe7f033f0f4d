using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vpc;

/// <summary>
/// VHDs qemu-io filled (data, zeros, partial blocks), read by both tools: the raw conversion is byte-identical, and
/// info and map print the same; writes by the tool (`convert -n` into an existing VHD) leave qemu's bytes.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VpcReadOracleTests
{
    [TestMethod]
    [DataRow("")]
    [DataRow("subformat=fixed")]
    [DataRow("force_size=on")]
    public void FilledImageReadsAsInQemu(string options)
    {
        using var tmp = new TempDir();
        string[] create = options.Length > 0 ? ["create", "-q", "-f", "vpc", "-o", options, "a.vhd", "9M"] : ["create", "-q", "-f", "vpc", "a.vhd", "9M"];
        ToolUnderTest.QemuOk(tmp.Path, create);
        ToolUnderTest.QemuIo(tmp.Path, "vpc", "a.vhd", "write -q -P 0x11 0 3M", "write -q -P 0x22 4M 512", "write -q -z 4608 1k",
            "write -q -P 0x33 8M 100k");
        foreach (string[] args in new[]
        {
            new[] { "info", "-f", "vpc", "a.vhd" },
            ["info", "-f", "vpc", "--output=json", "a.vhd"],
            ["map", "-f", "vpc", "a.vhd"],
            ["map", "-f", "vpc", "--output=json", "a.vhd"],
            ["compare", "-f", "vpc", "-F", "vpc", "a.vhd", "a.vhd"],
        })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(tmp.Path, args), ToolUnderTest.Run(tmp.Path, args));
        ToolUnderTest.QemuOk(tmp.Path, "convert", "-f", "vpc", "-O", "raw", "a.vhd", "q.raw");
        var r = ToolUnderTest.Run(tmp.Path, "convert", "-f", "vpc", "-O", "raw", "a.vhd", "t.raw");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["q.raw"]), File.ReadAllBytes(tmp["t.raw"]), "raw conversion");
    }

    /// <summary>convert -n writes into an existing VHD: the blocks land where qemu's land, in the same order.</summary>
    [TestMethod]
    [DataRow("")]
    [DataRow("subformat=fixed")]
    public void WritesIntoAnExistingImageMatchQemu(string options)
    {
        using var d = new OracleDirs();
        string src = d["src.raw"];
        ToolUnderTest.QemuOk(d.Root, "create", "-q", "-f", "raw", src, "10485760");
        ToolUnderTest.QemuIo(d.Root, "raw", src, "write -q -P 0x51 1M 3M", "write -q -P 0x52 9M 512");
        string[] create = options.Length > 0 ? ["create", "-q", "-f", "vpc", "-o", options, "out.vhd", "10M"] : ["create", "-q", "-f", "vpc", "out.vhd", "10M"];
        d.QemuOkInBoth(create);
        // a size CHS rounding made larger than the source: convert -n copies the source's part
        string[] args = ["convert", "-n", "-f", "raw", "-O", "vpc", "../src.raw", "out.vhd"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        VpcOracleImages.AssertSameButFooterIdentity(Path.Combine(d.Q, "out.vhd"), Path.Combine(d.T, "out.vhd"), $"convert -n {options}");
    }

    /// <summary>A fixed VHD probes as raw, as in qemu (its footer is at the end only); -f vpc reads its data area.</summary>
    [TestMethod]
    public void FixedDiskProbesAsRaw()
    {
        using var tmp = new TempDir();
        ToolUnderTest.QemuOk(tmp.Path, "create", "-q", "-f", "vpc", "-o", "subformat=fixed", "f.vhd", "3M");
        foreach (string[] args in new[] { new[] { "info", "f.vhd" }, ["info", "-f", "vpc", "f.vhd"], ["map", "--output=json", "f.vhd"] })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(tmp.Path, args), ToolUnderTest.Run(tmp.Path, args));
    }
}
