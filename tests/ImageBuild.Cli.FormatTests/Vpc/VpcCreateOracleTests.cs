using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vpc;

/// <summary>
/// `create -f vpc` and `convert -O vpc` against qemu-img in twin directories: the same Formatting line, errors and
/// exit code, and the same bytes but for each footer's time stamp, checksum and UUID (clock and random in qemu).
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VpcCreateOracleTests
{
    [TestMethod]
    [DataRow("", "0")]
    [DataRow("", "1000")] // rounded to a sector, then up to a whole CHS geometry (34816 bytes)
    [DataRow("", "1M")]
    [DataRow("", "10000000")] // not CHS-aligned
    [DataRow("", "1G")] // 1073995776 bytes (2081/16/63)
    [DataRow("", "200G")] // past the largest 16-head geometry: 255 sectors per track
    [DataRow("subformat=dynamic", "3M")]
    [DataRow("subformat=fixed", "0")]
    [DataRow("subformat=fixed", "1000")]
    [DataRow("subformat=fixed", "10M")]
    [DataRow("subformat=fixed", "10000000")]
    [DataRow("force_size=on", "1000")]
    [DataRow("force_size=on", "10000000")]
    [DataRow("force_size=on", "2040G")]
    [DataRow("subformat=fixed,force_size=on", "5M")]
    [DataRow("size=2M", "")]
    // refusals
    [DataRow("", "3000G")]
    [DataRow("force_size=on", "2041G")]
    [DataRow("subformat=fixed", "3000G")]
    [DataRow("subformat=foo", "1G")]
    [DataRow("force_size=maybe", "1G")]
    [DataRow("cluster_size=2M", "1G")]
    [DataRow("", "")]
    public void CreateMatchesQemu(string options, string size)
    {
        using var d = new OracleDirs();
        var args = new List<string> { "create", "-f", "vpc" };
        if (options.Length > 0) { args.Add("-o"); args.Add(options); }
        args.Add("a.vhd");
        if (size.Length > 0) args.Add(size);
        var expected = ToolUnderTest.Qemu(d.Q, [.. args]);
        var actual = ToolUnderTest.Run(d.T, [.. args]);
        OracleAssert.SameOutcome(expected, actual);
        string q = Path.Combine(d.Q, "a.vhd"), t = Path.Combine(d.T, "a.vhd");
        Assert.AreEqual(File.Exists(q), File.Exists(t), "the file is left as qemu leaves it");
        if (!File.Exists(q)) return;
        Assert.AreEqual(new FileInfo(q).Length, new FileInfo(t).Length, "length");
        if (expected.ExitCode != 0) return;
        // qemu cannot open every VHD it makes (an empty fixed disk: the footer at 0 looks like a dynamic disk's copy)
        var qi = ToolUnderTest.Qemu(d.Q, "info", "-f", "vpc", "--output=json", "a.vhd");
        var ti = ToolUnderTest.Qemu(d.T, "info", "-f", "vpc", "--output=json", "a.vhd");
        Assert.AreEqual(qi.ExitCode, ti.ExitCode, $"qemu-img info of both\n{qi}\n{ti}");
        if (qi.ExitCode == 0)
            OracleAssert.JsonDataEqual(qi.StdOut, ti.StdOut, "qemu-img info", "actual-size");
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.T, "info", "-f", "vpc", "a.vhd"), ToolUnderTest.Run(d.T, "info", "-f", "vpc", "a.vhd"));
        VpcOracleImages.AssertSameButFooterIdentity(q, t, $"create {options} {size}");
    }

    /// <summary>
    /// convert of a sparse raw disk with data here and there, of a CHS-aligned size and of one that is neither
    /// CHS- nor sector-aligned, into each subformat: qemu-img finds ours equal to the source, and the bytes are qemu's.
    /// </summary>
    [TestMethod]
    [DataRow("", "8M")]
    [DataRow("", "10000001")]
    [DataRow("subformat=fixed", "8M")]
    [DataRow("subformat=fixed", "10000001")]
    [DataRow("force_size=on", "10000001")]
    [DataRow("subformat=fixed,force_size=on", "8M")]
    public void ConvertIntoVpcMatchesQemu(string options, string size)
    {
        using var d = new OracleDirs();
        string src = d["src.raw"];
        ToolUnderTest.QemuOk(d.Root, "create", "-q", "-f", "raw", src, size);
        ToolUnderTest.QemuIo(d.Root, "raw", src, "write -q -P 0x41 0 64k", "write -q -P 0x42 2M 1M", "write -q -P 0x43 5M 512", "write -q -z 6M 64k");
        var args = new List<string> { "convert", "-f", "raw", "-O", "vpc" };
        if (options.Length > 0) { args.Add("-o"); args.Add(options); }
        args.Add("../src.raw");
        args.Add("out.vhd");
        var expected = ToolUnderTest.Qemu(d.Q, [.. args]);
        var actual = ToolUnderTest.Run(d.T, [.. args]);
        OracleAssert.SameOutcome(expected, actual);
        Assert.AreEqual(0, expected.ExitCode, expected.ToString());
        var cmp = ToolUnderTest.Qemu(d.T, "compare", "-f", "raw", "-F", "vpc", "../src.raw", "out.vhd");
        Assert.AreEqual(0, cmp.ExitCode, cmp.ToString());
        VpcOracleImages.AssertSameButFooterIdentity(Path.Combine(d.Q, "out.vhd"), Path.Combine(d.T, "out.vhd"), $"convert -O vpc {options} ({size})");
    }

    /// <summary>What qemu-img refuses for vpc (no check, resize, measure, backing-file change), and -o help.</summary>
    [TestMethod]
    [DataRow("create", "-f", "vpc", "-o", "help")]
    [DataRow("create", "-f", "vpc", "-o", "?")]
    [DataRow("create", "-f", "vpc", "-o", "backing_file=base.vhd", "a.vhd")]
    [DataRow("measure", "-O", "vpc", "--size", "1G")]
    [DataRow("check", "-f", "vpc", "base.vhd")]
    [DataRow("resize", "-f", "vpc", "base.vhd", "+1M")]
    [DataRow("commit", "-f", "vpc", "base.vhd")]
    [DataRow("rebase", "-f", "vpc", "-u", "-b", "other.vhd", "-F", "vpc", "base.vhd")]
    [DataRow("info", "base.vhd")]
    [DataRow("map", "base.vhd")]
    public void EdgesMatchQemu(params string[] args)
    {
        using var d = new OracleDirs();
        d.QemuOkInBoth("create", "-q", "-f", "vpc", "base.vhd", "4M");
        d.QemuOkInBoth("create", "-q", "-f", "vpc", "other.vhd", "4M");
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);
    }
}
