using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vdi;

/// <summary>What we write into VDI images: byte-identical to qemu-img's (UUIDs aside), clean in qemu-img check.</summary>
[TestClass]
[RequiresQemu]
public sealed class VdiWriteOracleTests
{
    private const int MiB = VdiOracleImages.MiB;

    /// <summary>A 37 MiB sparse raw source: data in and across blocks, a zero-filled stretch, data in the last block.</summary>
    private static void MakeSource(string path) => OracleFixtures.WriteSparseRaw(path, 37L * MiB,
        (0, 4096), (3L * MiB - 100, 2 * MiB), (10L * MiB + 333, 100_000), (36L * MiB, MiB));

    [TestMethod]
    [DataRow("static=off")]
    [DataRow("static=on")]
    public void ConvertIntoVdiIsByteIdenticalToQemus(string options)
    {
        using var d = new OracleDirs();
        MakeSource(d["src.raw"]);
        string[] args = ["convert", "-O", "vdi", "-o", options, "../src.raw", "out.vdi"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        string t = Path.Combine(d.T, "out.vdi");
        Assert.AreEqual(0, ToolUnderTest.Qemu(d.T, "check", "out.vdi").ExitCode);
        var cmp = ToolUnderTest.Qemu(d.T, "compare", "../src.raw", "out.vdi");
        Assert.AreEqual(0, cmp.ExitCode, cmp.ToString());
        VdiOracleImages.AssertSameButUuids(Path.Combine(d.Q, "out.vdi"), t, $"convert -o {options}");
    }

    [TestMethod]
    [DataRow("filled")]
    [DataRow("static-filled")]
    [DataRow("zeroed")]
    [DataRow("discarded")]
    public void ConvertIntoAnExistingVdiWritesWhatQemuWrites(string name)
    {
        // -n: allocated blocks rewritten in place, new ones appended, zero stretches written as zeros (which allocates)
        using var d = new OracleDirs();
        VdiOracleImages.Make(d.Q, name);
        File.Copy(Path.Combine(d.Q, name + ".vdi"), Path.Combine(d.T, name + ".vdi"));
        var src = d["src.raw"];
        long size = VirtualSize(d.Q, name + ".vdi");
        OracleFixtures.WriteSparseRaw(src, size, (MiB + 5, 3000), (size - 2 * MiB - 7, MiB + 9));
        string[] args = ["convert", "-n", "-O", "vdi", "../src.raw", name + ".vdi"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, name + ".vdi"), Path.Combine(d.T, name + ".vdi"), $"convert -n into {name}");
    }

    [TestMethod]
    public void ARoundTripThroughQcow2KeepsTheBlocksQemuWrites()
    {
        using var d = new OracleDirs();
        MakeSource(d["src.raw"]);
        d.QemuOkInBoth("convert", "-O", "qcow2", "../src.raw", "src.qcow2");
        string[] args = ["convert", "-f", "qcow2", "-O", "vdi", "src.qcow2", "out.vdi"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        VdiOracleImages.AssertSameButUuids(Path.Combine(d.Q, "out.vdi"), Path.Combine(d.T, "out.vdi"), "qcow2 to vdi");
    }

    [TestMethod]
    [DataRow("resize", "a.vdi", "128M")]
    [DataRow("resize", "-f", "vdi", "a.vdi", "+1M")]
    [DataRow("resize", "--shrink", "a.vdi", "1M")]
    [DataRow("amend", "-o", "static=on", "a.vdi")]
    [DataRow("rebase", "-u", "-b", "", "a.vdi")]
    [DataRow("snapshot", "-c", "s1", "a.vdi")]
    [DataRow("snapshot", "-l", "a.vdi")]
    [DataRow("measure", "-O", "vdi", "a.vdi")]
    [DataRow("commit", "a.vdi")]
    public void WhatVdiCannotDoIsRefusedAsInQemu(params string[] args)
    {
        using var d = new OracleDirs();
        ToolUnderTest.QemuOk(d.Q, "create", "-q", "-f", "vdi", "a.vdi", "64M");
        File.Copy(Path.Combine(d.Q, "a.vdi"), Path.Combine(d.T, "a.vdi"));
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "a.vdi"), Path.Combine(d.T, "a.vdi"), "unchanged as qemu leaves it");
    }

    private static long VirtualSize(string dir, string file)
    {
        string json = ToolUnderTest.QemuOk(dir, "info", "--output=json", file);
        return System.Text.Json.Nodes.JsonNode.Parse(json)!["virtual-size"]!.GetValue<long>();
    }
}
