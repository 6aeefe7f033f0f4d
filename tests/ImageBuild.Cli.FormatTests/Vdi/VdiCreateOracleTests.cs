using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vdi;

/// <summary>
/// `create -f vdi` against qemu-img in twin directories: the same Formatting line, errors and exit code, and the same
/// bytes but for the two UUIDs qemu fills randomly; the image checks clean and reads the same in qemu-img.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VdiCreateOracleTests
{
    [TestMethod]
    [DataRow("", "0")]
    [DataRow("", "1000")]
    [DataRow("", "1M")]
    [DataRow("", "1048577")]
    [DataRow("", "64M")]
    [DataRow("", "1G")]
    [DataRow("", "3T")]
    [DataRow("static=off", "5M")]
    [DataRow("static=on", "0")]
    [DataRow("static=on", "1000")]
    [DataRow("static=on", "64M")]
    [DataRow("static=on", "1G")]
    [DataRow("static", "3M")]
    [DataRow("static=on,static=off", "3M")]
    [DataRow("size=2M", "")]
    // the file protocol's preallocation is applied to the empty file the format then fills: no effect
    [DataRow("preallocation=full", "3M")]
    [DataRow("preallocation=falloc,static=on", "3M")]
    [DataRow("preallocation=off", "3M")]
    // refusals
    [DataRow("preallocation=metadata", "3M")]
    [DataRow("static=foo", "1M")]
    [DataRow("cluster_size=2M", "1M")]
    [DataRow("", "600T")] // past VDI_DISK_SIZE_MAX; qemu leaves the empty file
    [DataRow("", "")]
    [DataRow("size=1M", "1M")]
    public void CreateMatchesQemu(string options, string size)
    {
        using var d = new OracleDirs();
        var args = new List<string> { "create", "-f", "vdi" };
        if (options.Length > 0) { args.Add("-o"); args.Add(options); }
        args.Add("a.vdi");
        if (size.Length > 0) args.Add(size);
        var expected = ToolUnderTest.Qemu(d.Q, [.. args]);
        var actual = ToolUnderTest.Run(d.T, [.. args]);
        OracleAssert.SameOutcome(expected, actual);
        string q = Path.Combine(d.Q, "a.vdi"), t = Path.Combine(d.T, "a.vdi");
        Assert.AreEqual(File.Exists(q), File.Exists(t), "the file is left as qemu leaves it");
        if (!File.Exists(q)) return;
        Assert.AreEqual(new FileInfo(q).Length, new FileInfo(t).Length, "length");
        if (expected.ExitCode != 0) return;
        Assert.AreEqual(0, ToolUnderTest.Qemu(d.T, "check", "a.vdi").ExitCode, "qemu-img checks ours clean");
        OracleAssert.JsonDataEqual(ToolUnderTest.QemuOk(d.Q, "info", "--output=json", "a.vdi"),
            ToolUnderTest.QemuOk(d.T, "info", "--output=json", "a.vdi"), "qemu-img info", "actual-size");
        VdiOracleImages.AssertSameButUuids(q, t, $"create {options} {size}");
    }

    [TestMethod]
    public void StaticCreationPastTheFilesystemsLimitIsRefusedAsInQemu()
    {
        // 20 TiB of blocks: ftruncate fails with EFBIG on ext4 (16 TiB files), after the header and map are written;
        // on a filesystem that takes such a file both succeed, and the outcome and length are compared all the same
        using var d = new OracleDirs();
        string[] args = ["create", "-f", "vdi", "-o", "static=on", "a.vdi", "20T"];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);
        Assert.AreEqual(new FileInfo(Path.Combine(d.Q, "a.vdi")).Length, new FileInfo(Path.Combine(d.T, "a.vdi")).Length);
    }

    [TestMethod]
    [DataRow("create", "-f", "vdi", "-o", "help")]
    [DataRow("create", "-f", "vdi", "-o", "?")]
    [DataRow("create", "-f", "vdi", "-b", "base.raw", "-F", "raw", "a.vdi")]
    [DataRow("measure", "-O", "vdi", "--size", "1G")]
    public void CreateEdgesMatchQemu(params string[] args)
    {
        using var d = new OracleDirs();
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }
}
