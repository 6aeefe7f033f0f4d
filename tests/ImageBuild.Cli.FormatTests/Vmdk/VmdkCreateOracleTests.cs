using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vmdk;

/// <summary>
/// `create -f vmdk` against qemu-img in twin directories: the same Formatting line, errors and exit code, the same
/// files with the same bytes but for the CID; qemu-img reads what we made as it reads its own.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VmdkCreateOracleTests
{
    [TestMethod]
    [DataRow("", "0")]
    [DataRow("", "1000")]
    [DataRow("", "3M")]
    [DataRow("", "1G")]
    [DataRow("", "2T")]
    [DataRow("subformat=monolithicSparse", "100M")]
    [DataRow("subformat=monolithicFlat", "3M")]
    [DataRow("subformat=monolithicFlat", "0")]
    [DataRow("subformat=twoGbMaxExtentSparse", "5G")]
    [DataRow("subformat=twoGbMaxExtentSparse", "0")]
    [DataRow("subformat=twoGbMaxExtentFlat", "4100M")]
    [DataRow("subformat=twoGbMaxExtentFlat", "2049M")]
    [DataRow("subformat=streamOptimized", "5M")]
    [DataRow("subformat=streamOptimized,zeroed_grain=on", "1M")]
    [DataRow("zeroed_grain=on", "10M")]
    [DataRow("zeroed_grain=on,subformat=twoGbMaxExtentSparse", "3G")]
    [DataRow("adapter_type=lsilogic", "100M")]
    [DataRow("adapter_type=buslogic,hwversion=7,toolsversion=10240", "1G")]
    [DataRow("adapter_type=legacyESX,compat6=on", "1G")]
    [DataRow("adapter_type=ide,compat6=off,hwversion=undefined", "1G")]
    [DataRow("compat6", "1M")]
    [DataRow("preallocation=full", "1M")] // the file protocol's, applied to empty files: no effect
    // refusals, with what qemu leaves behind
    [DataRow("adapter_type=LSILOGIC", "1G")]
    [DataRow("adapter_type=pvscsi", "1G")]
    [DataRow("subformat=vmfs", "1M")]
    [DataRow("subformat=foo", "1M")]
    [DataRow("compat6=on,hwversion=7", "1M")]
    [DataRow("compat6=maybe", "1M")]
    [DataRow("subformat=monolithicFlat,zeroed_grain=on", "1M")]
    [DataRow("subformat=twoGbMaxExtentFlat,zeroed_grain=on", "1M")]
    [DataRow("cluster_size=4k", "1M")]
    [DataRow("", "")]
    public void CreateMatchesQemu(string options, string size)
    {
        foreach (string name in new[] { "a.vmdk", "noext", "dir.d/b.img" })
        {
            using var d = new OracleDirs();
            Directory.CreateDirectory(Path.Combine(d.Q, "dir.d"));
            Directory.CreateDirectory(Path.Combine(d.T, "dir.d"));
            var args = new List<string> { "create", "-f", "vmdk" };
            if (options.Length > 0) { args.Add("-o"); args.Add(options); }
            args.Add(name);
            if (size.Length > 0) args.Add(size);
            var expected = ToolUnderTest.Qemu(d.Q, [.. args]);
            var actual = ToolUnderTest.Run(d.T, [.. args]);
            OracleAssert.SameOutcome(expected, actual);
            VmdkOracleImages.AssertSameButCid(d.Q, d.T, $"create {options} {name} {size}");
            VmdkOracleImages.AssertSameButCid(Path.Combine(d.Q, "dir.d"), Path.Combine(d.T, "dir.d"), $"create {options} {name} {size}");
            if (expected.ExitCode != 0) continue;
            // qemu-img judges ours as it judges its own (a disk of no extents even trips an assertion in its info)
            Assert.AreEqual(ToolUnderTest.Qemu(d.Q, "check", name).ExitCode, ToolUnderTest.Qemu(d.T, "check", name).ExitCode, "qemu-img check");
            var qInfo = ToolUnderTest.Qemu(d.Q, "info", "--output=json", name);
            var tInfo = ToolUnderTest.Qemu(d.T, "info", "--output=json", name);
            Assert.AreEqual(qInfo.ExitCode, tInfo.ExitCode, "qemu-img info");
            if (qInfo.ExitCode == 0)
                OracleAssert.JsonDataEqual(qInfo.StdOut, tInfo.StdOut, "qemu-img info", "actual-size", "cid", "dirty-flag");
        }
    }

    /// <summary>Backing files: the base's CID becomes parentCID, parentFileNameHint names it; a base that is not a VMDK, or missing, is refused as qemu refuses it.</summary>
    [TestMethod]
    [DataRow("-b", "base.vmdk", "-F", "vmdk", "a.vmdk")]
    [DataRow("-b", "base.vmdk", "-F", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", "a.vmdk")]
    [DataRow("-b", "base.vmdk", "-F", "vmdk", "-o", "subformat=streamOptimized", "a.vmdk")]
    [DataRow("-b", "base.vmdk", "-F", "vmdk", "-o", "zeroed_grain=on", "a.vmdk", "8M")]
    [DataRow("-b", "base.vmdk", "-F", "vmdk", "-o", "subformat=monolithicFlat", "a.vmdk")]
    [DataRow("-b", "base.vmdk", "-F", "raw", "a.vmdk")]
    [DataRow("-b", "base.raw", "-F", "raw", "a.vmdk")]
    [DataRow("-u", "-b", "base.raw", "-F", "vmdk", "a.vmdk", "1M")]
    [DataRow("-u", "-b", "base.qcow2", "-F", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", "a.vmdk", "1M")]
    [DataRow("-b", "nothere.vmdk", "-F", "vmdk", "a.vmdk", "1M")]
    [DataRow("-u", "-b", "nothere.vmdk", "-F", "vmdk", "a.vmdk", "1M")]
    [DataRow("-b", "base.vmdk", "a.vmdk")]
    public void CreateWithABackingFileMatchesQemu(params string[] rest)
    {
        using var d = new OracleDirs();
        foreach (string dir in new[] { d.Q, d.T })
        {
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vmdk", "base.vmdk", "4M");
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "raw", "base.raw", "4M");
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        }
        File.Copy(Path.Combine(d.Q, "base.vmdk"), Path.Combine(d.T, "base.vmdk"), overwrite: true); // the same CID
        string[] args = ["create", "-f", "vmdk", .. rest];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);
        VmdkOracleImages.AssertSameButCid(d.Q, d.T, string.Join(' ', args));
        if (expected.ExitCode == 0 && !rest.Contains("-u"))
            Assert.AreEqual(0, ToolUnderTest.Qemu(d.T, "check", "a.vmdk").ExitCode, "qemu-img checks ours clean");
    }

    /// <summary>(-o help lists ImageBuild's stream_layout too: VmdkStreamLayoutOracleTests.)</summary>
    [TestMethod]
    [DataRow("measure", "-O", "vmdk", "--size", "1G")]
    public void CreateEdgesMatchQemu(params string[] args)
    {
        using var d = new OracleDirs();
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }
}
