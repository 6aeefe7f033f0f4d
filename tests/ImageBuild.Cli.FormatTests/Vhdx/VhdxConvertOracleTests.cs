using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vhdx;

/// <summary>
/// Writing VHDX (convert into it: new blocks at the end of the file, BAT entries through the log, headers updated as
/// qemu updates them) and reading it back, against qemu-img.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VhdxConvertOracleTests
{
    private const int MiB = VhdxOracleImages.MiB;

    /// <summary>A 41 MiB sparse raw source: data in and across blocks, a long hole, data in the last block.</summary>
    private static void MakeSource(string path) => OracleFixtures.WriteSparseRaw(path, 41L * MiB,
        (0, 4096), (3L * MiB - 100, 2 * MiB), (10L * MiB + 333, 100_000), (17L * MiB, 9 * MiB), (40L * MiB, MiB));

    [TestMethod]
    [DataRow("")]
    [DataRow("subformat=fixed")]
    [DataRow("subformat=fixed,block_state_zero=off")]
    [DataRow("block_state_zero=off")]
    [DataRow("block_size=1M")]
    [DataRow("block_size=1M,log_size=2M")]
    public void ConvertIntoVhdxIsByteIdenticalToQemus(string options)
    {
        using var d = new OracleDirs();
        MakeSource(d["src.raw"]);
        string[] args = options.Length == 0
            ? ["convert", "-O", "vhdx", "../src.raw", "out.vhdx"]
            : ["convert", "-O", "vhdx", "-o", options, "../src.raw", "out.vhdx"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        VhdxOracleImages.AssertSameButRandom(Path.Combine(d.Q, "out.vhdx"), Path.Combine(d.T, "out.vhdx"), $"convert -o '{options}'");
        Assert.AreEqual(0, ToolUnderTest.Qemu(d.T, "check", "out.vhdx").ExitCode);
        var cmp = ToolUnderTest.Qemu(d.T, "compare", "../src.raw", "out.vhdx");
        Assert.AreEqual(0, cmp.ExitCode, cmp.ToString());
    }

    [TestMethod]
    public void ConvertIntoAnExistingVhdxWritesWhatQemuWrites()
    {
        // -n: fully present blocks rewritten in place, the others allocated at the end of the file
        using var d = new OracleDirs();
        ToolUnderTest.QemuOk(d.Q, "create", "-q", "-f", "vhdx", "-o", "block_size=1M", "a.vhdx", "16M");
        ToolUnderTest.QemuIo(d.Q, "vhdx", "a.vhdx", "write -P 0x11 0 3M", "write -P 0x22 9M 100k");
        File.Copy(Path.Combine(d.Q, "a.vhdx"), Path.Combine(d.T, "a.vhdx"));
        OracleFixtures.WriteSparseRaw(d["src.raw"], 16L * MiB, (MiB + 5, 3000), (12L * MiB - 7, MiB + 9));
        string[] args = ["convert", "-n", "-O", "vhdx", "../src.raw", "a.vhdx"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        VhdxOracleImages.AssertSameButRandom(Path.Combine(d.Q, "a.vhdx"), Path.Combine(d.T, "a.vhdx"), "convert -n");
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("subformat=fixed")]
    [DataRow("block_size=1M")]
    public void WhatQemuWritesReadsTheSame(string options)
    {
        using var d = new OracleDirs();
        string[] create = options.Length == 0 ? ["create", "-q", "-f", "vhdx", "a.vhdx", "40M"] : ["create", "-q", "-f", "vhdx", "-o", options, "a.vhdx", "40M"];
        ToolUnderTest.QemuOk(d.Q, create);
        ToolUnderTest.QemuIo(d.Q, "vhdx", "a.vhdx", "write -P 0x5a 1M 9M", "write -P 0xa5 20M 512", "write -z 21M 1M", "write -P 0x33 39M 1M");
        foreach (string[] args in new[]
        {
            new[] { "info", "../q/a.vhdx" }, ["info", "--output=json", "../q/a.vhdx"], ["check", "../q/a.vhdx"],
            ["check", "--output=json", "../q/a.vhdx"], ["map", "--output=json", "../q/a.vhdx"], ["map", "../q/a.vhdx"],
            ["compare", "../q/a.vhdx", "../q/a.vhdx"],
        })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.T, args), ToolUnderTest.Run(d.T, args));
        ToolUnderTest.QemuOk(d.Q, "convert", "-O", "raw", "a.vhdx", "a.raw");
        var t = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "../q/a.vhdx", "a.raw");
        Assert.AreEqual(0, t.ExitCode, t.ToString());
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "a.raw"), Path.Combine(d.T, "a.raw"), "raw conversion");
    }

    /// <summary>Damaged images: qemu's error_report lines, its messages, exit codes and check counts.</summary>
    [TestMethod]
    [DataRow("header1", "info")]
    [DataRow("both-headers", "info")]
    [DataRow("region-table", "info")]
    [DataRow("bat-past-eof", "info")]
    [DataRow("bat-past-eof", "check")]
    [DataRow("bat-past-eof", "check --output=json")]
    [DataRow("bat-in-log", "info")]
    [DataRow("bat-in-log", "check")]
    [DataRow("truncated", "check")]
    [DataRow("truncated", "convert")]
    [DataRow("partially-present", "convert")]
    [DataRow("block-size-3M", "info")]
    [DataRow("block-size-512M", "info")]
    [DataRow("logical-sector-1024", "info")]
    [DataRow("unknown-required-region", "info")]
    [DataRow("unknown-required-item", "info")]
    [DataRow("missing-item", "info")]
    [DataRow("bat-too-small", "info")]
    [DataRow("log-offset", "info")]
    public void DamageIsReportedAsQemuReportsIt(string damage, string command)
    {
        using var d = new OracleDirs();
        ToolUnderTest.QemuOk(d.Q, "create", "-q", "-f", "vhdx", "a.vhdx", "64M");
        ToolUnderTest.QemuIo(d.Q, "vhdx", "a.vhdx", "write -P 0x5a 0 12M");
        VhdxDamage.Apply(Path.Combine(d.Q, "a.vhdx"), damage);
        File.Copy(Path.Combine(d.Q, "a.vhdx"), Path.Combine(d.T, "a.vhdx"));
        string[] args = command == "convert" ? ["convert", "-O", "raw", "a.vhdx", "a.raw"] : [.. command.Split(' '), "a.vhdx"];
        var t = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), t);
    }

    /// <summary>check -r all on an image with a pending log: qemu's report (one corruption fixed) and qemu's bytes.</summary>
    [TestMethod]
    [RequiresSharedImages]
    public void CheckRepairReplaysTheLogAsQemu()
    {
        using var d = new OracleDirs();
        string image = VhdxSharedImages.Extract("discutils/vhdx-log-replay.vhdx.gz", d.Root);
        File.Copy(image, Path.Combine(d.Q, "a.vhdx"));
        File.Copy(image, Path.Combine(d.T, "a.vhdx"));
        string[] args = ["check", "-r", "all", "a.vhdx"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        VhdxOracleImages.AssertSameButRandom(Path.Combine(d.Q, "a.vhdx"), Path.Combine(d.T, "a.vhdx"), "check -r all");
        // read-only, beyond qemu (which refuses "log needs replay"): the log replayed in memory, the file untouched
        byte[] before = File.ReadAllBytes(image);
        var ro = ToolUnderTest.Run(d.Root, "convert", "-O", "raw", image, "ro.raw");
        if (ToolUnderTest.IsQemu)
        {
            StringAssert.Contains(ro.StdErr, "contains a log that needs to be replayed", "qemu-img refuses what we replay in memory");
            return;
        }
        Assert.AreEqual(0, ro.ExitCode, ro.ToString());
        CollectionAssert.AreEqual(before, File.ReadAllBytes(image), "a read-only open writes nothing");
        ToolUnderTest.QemuOk(d.Q, "convert", "-O", "raw", "a.vhdx", "a.raw");
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "a.raw"), Path.Combine(d.Root, "ro.raw"), "in-memory replay reads as qemu's replayed file");
    }
}
