using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vhdx;

/// <summary>`create -f vhdx`: qemu-img's files byte for byte (random fields masked), messages and exit codes.</summary>
[TestClass]
[RequiresQemu]
public sealed class VhdxCreateOracleTests
{
    [TestMethod]
    [DataRow("", "64M")]
    [DataRow("", "3000000")]            // rounded up to a whole sector
    [DataRow("", "1025M")]              // block_size auto: 16 MiB
    [DataRow("", "101G")]               // 32 MiB blocks
    [DataRow("", "33T")]                // 64 MiB blocks, 4 MiB of BAT: the metadata moves
    [DataRow("", "64T")]                // the largest size: a 32 MiB BAT region written in pieces
    [DataRow("subformat=fixed", "20M")]
    [DataRow("subformat=fixed,block_state_zero=off", "20M")]
    [DataRow("subformat=fixed,block_state_zero=off", "3000000")]
    [DataRow("block_state_zero=off", "1G")]
    [DataRow("block_size=1M", "1G")]    // Microsoft's recommendation for Linux guests
    [DataRow("block_size=1M", "2T")]    // 2 MiB + 512 KiB entries: a 3 MiB BAT, chunks with sector bitmap entries
    [DataRow("block_size=1000k", "64M")] // rounded up to 1 MiB
    [DataRow("block_size=512M", "64M")]  // clamped to 256 MiB
    [DataRow("log_size=3M", "64M")]
    [DataRow("log_size=1500k", "64M")]   // rounded up to 2 MiB
    public void CreateIsByteIdenticalToQemus(string options, string size)
    {
        using var d = new OracleDirs();
        string[] args = options.Length == 0 ? ["create", "-f", "vhdx", "a.vhdx", size] : ["create", "-f", "vhdx", "-o", options, "a.vhdx", size];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        VhdxOracleImages.AssertSameButRandom(Path.Combine(d.Q, "a.vhdx"), Path.Combine(d.T, "a.vhdx"), $"create -o '{options}' {size}");
        var check = ToolUnderTest.Qemu(d.T, "check", "a.vhdx");
        Assert.AreEqual(0, check.ExitCode, check.ToString());
    }

    [TestMethod]
    [DataRow("block_size=3M")]
    [DataRow("log_size=0")]
    [DataRow("log_size=4G")]
    [DataRow("subformat=foo")]
    [DataRow("block_state_zero=maybe")]
    [DataRow("logical_sector_size=512")] // our extension: qemu refuses it by name; we accept it
    public void BadOptionsAreRefusedAsQemuRefusesThem(string options)
    {
        using var d = new OracleDirs();
        string[] args = ["create", "-q", "-f", "vhdx", "-o", options, "a.vhdx", "64M"];
        var q = ToolUnderTest.Qemu(d.Q, args);
        var t = ToolUnderTest.Run(d.T, args);
        if (options.StartsWith("logical_sector_size", StringComparison.Ordinal) && !ToolUnderTest.IsQemu)
        {
            Assert.AreNotEqual(0, q.ExitCode, "qemu-img has no such option");
            Assert.AreEqual(0, t.ExitCode, t.ToString());
            return;
        }
        OracleAssert.SameOutcome(q, t);
        Assert.AreEqual(File.Exists(Path.Combine(d.Q, "a.vhdx")), File.Exists(Path.Combine(d.T, "a.vhdx")), "qemu leaves the empty file it made");
    }

    [TestMethod]
    public void TooLargeIsRefusedAsInQemu()
    {
        using var d = new OracleDirs();
        string[] args = ["create", "-f", "vhdx", "a.vhdx", "65T"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }

    [TestMethod]
    public void HelpIsQemusWithTheTwoSectorSizeExtensions()
    {
        using var d = new OracleDirs();
        var q = ToolUnderTest.Qemu(d.Q, "create", "-f", "vhdx", "-o", "help");
        var t = ToolUnderTest.Run(d.T, "create", "-f", "vhdx", "-o", "help");
        Assert.AreEqual(q.ExitCode, t.ExitCode);
        var ours = t.StdOut.Split('\n').ToList();
        var extensions = ours.Where(l => l.Contains("an ImageBuild extension, not in qemu-img", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(ToolUnderTest.IsQemu ? 0 : 2, extensions.Count, t.StdOut);
        if (ToolUnderTest.IsQemu)
        {
            Assert.AreEqual(q.StdOut, t.StdOut);
            return;
        }
        StringAssert.StartsWith(extensions[0], "  logical_sector_size=<size>");
        StringAssert.StartsWith(extensions[1], "  physical_sector_size=<size>");
        CollectionAssert.AreEqual(q.StdOut.Split('\n'), ours.Where(l => !extensions.Contains(l)).ToArray());
    }

    /// <summary>Beyond qemu: a 4 KiB physical sector size (Hyper-V's 512e disks); qemu-img reads, checks and writes it.</summary>
    [TestMethod]
    [DataRow("physical_sector_size=4096")]
    [DataRow("physical_sector_size=4096,block_size=1M")]
    public void PhysicalSectorSizeExtensionMakesImagesQemuReads(string options)
    {
        using var d = new OracleDirs();
        var t = ToolUnderTest.Run(d.T, "create", "-f", "vhdx", "-o", options, "a.vhdx", "64M");
        if (ToolUnderTest.IsQemu)
        {
            StringAssert.Contains(t.StdErr, "Invalid parameter 'physical_sector_size'", "beyond qemu-img, which has no such option");
            return;
        }
        Assert.AreEqual(0, t.ExitCode, t.ToString());
        StringAssert.StartsWith(t.StdOut, "Formatting 'a.vhdx', fmt=vhdx size=67108864 log_size=1048576 block_size=");
        StringAssert.Contains(t.StdOut, " physical_sector_size=4096");
        ToolUnderTest.QemuOk(d.T, "check", "a.vhdx");
        ToolUnderTest.QemuIo(d.T, "vhdx", "a.vhdx", "write -P 0x3c 4096 1M");
        ToolUnderTest.QemuOk(d.T, "check", "a.vhdx");
        var raw = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "a.vhdx", "a.raw");
        Assert.AreEqual(0, raw.ExitCode, raw.ToString());
        var cmp = ToolUnderTest.Qemu(d.T, "compare", "-f", "vhdx", "-F", "raw", "a.vhdx", "a.raw");
        Assert.AreEqual(0, cmp.ExitCode, cmp.ToString());
    }

    /// <summary>
    /// Beyond qemu: 4 KiB logical sectors (Hyper-V's 4Kn disks). qemu-img 7.2 reads only 512-byte logical sectors
    /// ("Operation not supported"), so the round trip is ours: raw → vhdx → raw gives the source back.
    /// </summary>
    [TestMethod]
    [DataRow("logical_sector_size=4096")]
    [DataRow("logical_sector_size=4096,physical_sector_size=4096,block_size=1M")]
    public void LogicalSectorSizeExtensionRoundTrips(string options)
    {
        using var d = new OracleDirs();
        OracleFixtures.WriteSparseRaw(d["src.raw"], 40L * VhdxOracleImages.MiB, (4096, 5000), (9L << 20, 3 << 20));
        var t = ToolUnderTest.Run(d.T, "convert", "-O", "vhdx", "-o", options, "../src.raw", "a.vhdx");
        if (ToolUnderTest.IsQemu)
        {
            StringAssert.Contains(t.StdErr, "Invalid parameter 'logical_sector_size'", "beyond qemu-img, which has no such option");
            return;
        }
        Assert.AreEqual(0, t.ExitCode, t.ToString());
        var q = ToolUnderTest.Qemu(d.T, "info", "a.vhdx");
        Assert.AreEqual("qemu-img: Could not open 'a.vhdx': Could not open 'a.vhdx': Operation not supported\n", q.StdErr);
        var back = ToolUnderTest.Run(d.T, "convert", "-O", "raw", "a.vhdx", "back.raw");
        Assert.AreEqual(0, back.ExitCode, back.ToString());
        OracleFixtures.AssertFilesEqual(d["src.raw"], Path.Combine(d.T, "back.raw"), "round trip through 4Kn vhdx");
        var check = ToolUnderTest.Run(d.T, "check", "a.vhdx");
        Assert.AreEqual(0, check.ExitCode, check.ToString());
    }
}
