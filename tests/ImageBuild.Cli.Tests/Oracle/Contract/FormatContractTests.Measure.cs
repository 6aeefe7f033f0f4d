using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

public sealed partial class FormatContractTests
{
    /// <summary>
    /// measure, text and JSON, exactly as qemu-img prints it (or refuses it): for a size, for the realistic raw
    /// source, with each create option set of the profile, and with a qemu-io filled image of the format as source.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(ContractMatrix.FormatCases), typeof(ContractMatrix))]
    public void ContractMeasure(string format)
    {
        var p = FormatProfiles.Get(format);
        EngineDrivers.Require(format);
        using var tmp = new TempDir();
        string dir = tmp.Path, img = "img." + p.Extension;
        ContractFixtures.WriteRealisticSource(tmp["src.raw"]);
        ContractFixtures.MakeFilledImage(p, dir, img, "");

        var bySize = ContractAssert.InOneDir(dir, "measure", "-O", format, "--size", "1G");
        Assert.AreEqual(p.Has(QemuOps.Measure), bySize.ExitCode == 0, $"profile row '{format}': measure support\n{bySize}");
        ContractAssert.InOneDir(dir, "measure", "-O", format, "--size", "1G", "--output=json");
        ContractAssert.InOneDir(dir, "measure", "-O", format, "-f", "raw", "src.raw");
        ContractAssert.InOneDir(dir, "measure", "-O", format, "-f", "raw", "--output=json", "src.raw");
        foreach (string o in p.CreateOptions)
            ContractAssert.InOneDir(dir, "measure", "-O", format, "-o", o, "--size", "1G");
        ContractAssert.InOneDir(dir, "measure", "-f", format, "-O", "qcow2", img);
        ContractAssert.InOneDir(dir, "measure", "-f", format, "-O", "qcow2", "--output=json", img);
    }
}
