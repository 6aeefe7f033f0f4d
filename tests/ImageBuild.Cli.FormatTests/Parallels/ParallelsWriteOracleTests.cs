using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Parallels;

/// <summary>
/// What we write into Parallels images is what qemu-img writes, byte for byte (clusters allocated in guest order at
/// the end of the data, the file cut back on close, the in-use marker cleared), and what the driver cannot do is
/// refused with qemu's words, the image left as qemu leaves it.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class ParallelsWriteOracleTests
{
    private const int MiB = 1 << 20;

    private static void MakeSource(string path) => OracleFixtures.WriteSparseRaw(path, 21L * MiB,
        (0, 4096), (3L * MiB - 100, 2 * MiB), (10L * MiB + 333, 100_000), (20L * MiB, MiB));

    [TestMethod]
    [DataRow("")]
    [DataRow("cluster_size=4k")]
    [DataRow("cluster_size=64k")]
    [DataRow("cluster_size=1000")]
    public void ConvertIntoParallelsIsByteIdenticalToQemus(string options)
    {
        using var d = new OracleDirs();
        MakeSource(d["src.raw"]);
        string[] args = ["convert", "-O", "parallels", .. options.Length > 0 ? new[] { "-o", options } : [], "../src.raw", "out.hdd"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.hdd"), Path.Combine(d.T, "out.hdd"), $"convert -o {options}");
        Assert.AreEqual(0, ToolUnderTest.Qemu(d.T, "check", "out.hdd").ExitCode);
        var cmp = ToolUnderTest.Qemu(d.T, "compare", "../src.raw", "out.hdd");
        Assert.AreEqual(0, cmp.ExitCode, cmp.ToString());
    }

    [TestMethod]
    [DataRow("convert", "-n", "-O", "parallels", "../src.raw", "a.hdd")]
    [DataRow("dd", "-O", "parallels", "if=../src.raw", "of=a.hdd")]
    public void WritingIntoAnImageQemuFilledWritesWhatQemuWrites(params string[] args)
    {
        using var d = new OracleDirs();
        MakeSource(d["src.raw"]);
        ToolUnderTest.QemuOk(d.Q, "create", "-q", "-f", "parallels", "-o", "cluster_size=64k", "a.hdd", "21M");
        ToolUnderTest.QemuIo(d.Q, "parallels", "a.hdd", "write -P 9 3M 100k", "write -P 8 19M 512");
        File.Copy(Path.Combine(d.Q, "a.hdd"), Path.Combine(d.T, "a.hdd"));
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "a.hdd"), Path.Combine(d.T, "a.hdd"), string.Join(' ', args));
    }

    [TestMethod]
    public void ConvertFromTheRealImagesKeepsTheirData()
    {
        string? shared = QemuOracle.SharedImages;
        if (shared is null) Assert.Fail("../shared/images is missing");
        using var d = new OracleDirs();
        foreach (string name in new[] { "parallels-v1", "parallels-v2" })
        {
            string src = Path.Combine(shared, "qemu-sample_images", name);
            string[] args = ["convert", "-O", "parallels", src, name + ".hdd"];
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
            OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, name + ".hdd"), Path.Combine(d.T, name + ".hdd"), name);
        }
    }

    [TestMethod]
    [DataRow("resize", "a.hdd", "128M")]
    [DataRow("resize", "--shrink", "a.hdd", "1M")]
    [DataRow("amend", "-o", "cluster_size=4k", "a.hdd")]
    [DataRow("rebase", "-u", "-b", "", "a.hdd")]
    [DataRow("snapshot", "-c", "s1", "a.hdd")]
    [DataRow("snapshot", "-l", "a.hdd")]
    [DataRow("measure", "-O", "parallels", "a.hdd")]
    [DataRow("measure", "-O", "parallels", "--size", "1G")]
    [DataRow("create", "-f", "parallels", "-b", "a.hdd", "-F", "parallels", "b.hdd")]
    public void WhatParallelsCannotDoIsRefusedAsInQemu(params string[] args)
    {
        using var d = new OracleDirs();
        ToolUnderTest.QemuOk(d.Q, "create", "-q", "-f", "parallels", "a.hdd", "64M");
        ToolUnderTest.QemuIo(d.Q, "parallels", "a.hdd", "write -P 1 1M 4k");
        File.Copy(Path.Combine(d.Q, "a.hdd"), Path.Combine(d.T, "a.hdd"));
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "a.hdd"), Path.Combine(d.T, "a.hdd"), "as qemu leaves it");
    }

    [TestMethod]
    public void AnImageNotClosedCleanlyIsRefusedForWritingAsInQemu()
    {
        using var d = new OracleDirs();
        ToolUnderTest.QemuOk(d.Q, "create", "-q", "-f", "parallels", "a.hdd", "8M");
        ParallelsOracle.SetInUse(Path.Combine(d.Q, "a.hdd"));
        File.Copy(Path.Combine(d.Q, "a.hdd"), Path.Combine(d.T, "a.hdd"));
        OracleFixtures.WriteSparseRaw(d["src.raw"], 8L * MiB, (0, 4096));
        foreach (var args in new[]
        {
            new[] { "convert", "-n", "-O", "parallels", "../src.raw", "a.hdd" }, ["info", "a.hdd"], ["check", "a.hdd"],
        })
        {
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
            OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "a.hdd"), Path.Combine(d.T, "a.hdd"), string.Join(' ', args));
        }
    }
    /// <summary>
    /// Beyond qemu-img 7.2: commit of an overlay into a parallels base. qemu refuses ("Block format 'parallels' used
    /// by node '#blockN' does not support reopening files"); ours writes the overlay's data into the base, which
    /// qemu-img then checks clean and reads as the overlay read before.
    /// </summary>
    [TestMethod]
    public void CommitIntoAParallelsBaseWorksWhereQemuRefusesIt()
    {
        using var d = new OracleDirs();
        foreach (string dir in new[] { d.Q, d.T })
        {
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "parallels", "-o", "cluster_size=64k", "base.hdd", "8M");
            ToolUnderTest.QemuIo(dir, "parallels", "base.hdd", "write -P 1 0 1M", "write -P 2 6M 512");
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "qcow2", "-b", "base.hdd", "-F", "parallels", "top.qcow2");
            ToolUnderTest.QemuIo(dir, "qcow2", "top.qcow2", "write -P 3 512k 1M", "write -P 4 7M 4k");
            ToolUnderTest.QemuOk(dir, "convert", "-O", "raw", "top.qcow2", "expected.raw");
        }
        var theirs = ToolUnderTest.Qemu(d.Q, "commit", "top.qcow2");
        Assert.AreEqual(1, theirs.ExitCode, theirs.ToString());
        StringAssert.Contains(theirs.StdErr, "Block format 'parallels' used by node", theirs.ToString());

        var ours = ToolUnderTest.Run(d.T, "commit", "top.qcow2");
        Assert.AreEqual(0, ours.ExitCode, ours.ToString());
        Assert.AreEqual("Image committed.\n", ours.StdOut);
        var check = ToolUnderTest.Qemu(d.T, "check", "base.hdd");
        Assert.AreEqual(0, check.ExitCode, check.ToString());
        var cmp = ToolUnderTest.Qemu(d.T, "compare", "-f", "raw", "-F", "parallels", "expected.raw", "base.hdd");
        Assert.AreEqual(0, cmp.ExitCode, cmp.ToString());
    }
}

/// <summary>Small patches of qemu-made images.</summary>
internal static class ParallelsOracle
{
    /// <summary>Sets the in-use marker ("Ynot" at 44), as a crash while the image was open leaves it.</summary>
    public static void SetInUse(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.Position = 44;
        f.Write("Ynot"u8);
    }

}
