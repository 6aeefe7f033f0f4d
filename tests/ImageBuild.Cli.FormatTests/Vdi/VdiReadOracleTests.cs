using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vdi;

/// <summary>Images qemu-io filled (patterns, zeroes, discards), read through our convert -O raw byte for byte as qemu-img reads them.</summary>
[TestClass]
[RequiresQemu]
public sealed class VdiReadOracleTests
{
    [TestMethod]
    [DynamicData(nameof(VdiOracleImages.Cases), typeof(VdiOracleImages))]
    public void ConvertToRawMatchesQemu(string name)
    {
        using var d = new OracleDirs();
        VdiOracleImages.Make(d.Root, name);
        string[] args = ["convert", "-O", "raw", $"../{name}.vdi", "out.raw"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"raw of {name}");
        // and to qcow2, compared by qemu-img
        var toQcow2 = ToolUnderTest.Run(d.T, "convert", "-O", "qcow2", $"../{name}.vdi", "out.qcow2");
        Assert.AreEqual(0, toQcow2.ExitCode, toQcow2.ToString());
        var cmp = ToolUnderTest.Qemu(d.T, "compare", "out.raw", "out.qcow2");
        Assert.AreEqual(0, cmp.ExitCode, cmp.ToString());
    }
}
