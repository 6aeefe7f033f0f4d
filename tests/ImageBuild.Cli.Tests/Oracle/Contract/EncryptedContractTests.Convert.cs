using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

public sealed partial class EncryptedContractTests
{
    /// <summary>
    /// Writing the row: `convert -O FMT` with its secret from the realistic sparse raw disk. Same messages and exit
    /// code as qemu-img; qemu-img compare finds our output holding the source through the key, check finds it clean,
    /// qemu-img's info/check/map of ours and of qemu-img's output agree; our own compare reads our output back.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(EncryptedMatrix.LayoutCases), typeof(EncryptedMatrix))]
    public void EncryptedConvertInto(string row, string options)
    {
        var p = EncryptedProfiles.Get(row);
        EngineDrivers.Require(p.Format);
        using var d = new OracleDirs();
        EncryptedFixtures.WriteSecrets(d.Root, d.Q, d.T);
        ContractFixtures.WriteRealisticSource(d["src.raw"]);
        string o = ContractMatrix.Options(options), name = "out." + p.Extension, what = $"convert -O {p.Row} {o}";

        var expected = EncryptedAssert.InTwins(d,
            ["convert", "-f", "raw", "-O", p.Format, .. p.Secret.ObjectArgs, "-o", p.CreateOptionString(o), "../src.raw", name]);
        Assert.AreEqual(0, expected.ExitCode, $"fixture: qemu-img converts into {p.Row} {o}\n{expected}");

        EncryptedAssert.HoldsRaw(p, d.T, name, "../src.raw", what);
        if (p.Has(QemuOps.Check))
        {
            var check = ToolUnderTest.Qemu(d.T, ["check", .. p.Open(name)]);
            Assert.AreEqual(0, check.ExitCode, $"{what}: qemu-img check of our output\n{check}");
        }
        EncryptedAssert.QemuSeesSame(p, d, name, what);

        var readBack = ToolUnderTest.Run(d.T, ["compare", .. p.Secret.ObjectArgs, .. p.NamingFlag, p.RawSpec("../src.raw"), p.Spec(name)]);
        OracleAssert.NoCrash(readBack);
        Assert.AreEqual(0, readBack.ExitCode, $"{what}: our compare of our output with the source\n{readBack}");
    }

    /// <summary>
    /// measure, text and JSON, exactly as qemu-img prints it (or refuses it): into the row for a size, with no secret,
    /// for the realistic raw source, with each layout option set of the row, and from a qemu-io filled image of the
    /// row (opened with its key) into qcow2.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(EncryptedMatrix.RowCases), typeof(EncryptedMatrix))]
    public void EncryptedMeasure(string row)
    {
        var p = EncryptedProfiles.Get(row);
        EngineDrivers.Require(p.Format);
        using var tmp = new TempDir();
        string dir = tmp.Path, img = "img." + p.Extension;
        ContractFixtures.WriteRealisticSource(tmp["src.raw"]);
        _templates.PlaceFilled(p, dir, img);
        string[] into = ["-O", p.Format, .. p.Secret.ObjectArgs, "-o", p.CreateOptionString()];

        var bySize = EncryptedAssert.InOneDir(dir, ["measure", .. into, "--size", "1G"]);
        Assert.AreEqual(p.Has(QemuOps.Measure), bySize.ExitCode == 0, $"profile row '{p.Row}': measure support\n{bySize}");
        EncryptedAssert.InOneDir(dir, ["measure", .. into, "--size", "1G", "--output=json"]);
        EncryptedAssert.InOneDir(dir, "measure", "-O", p.Format, "-o", p.EncryptOptions, "--size", "1G"); // no secret
        EncryptedAssert.InOneDir(dir, ["measure", .. into, "-f", "raw", "src.raw"]);
        // every measure that lays out a LUKS header runs qemu's PBKDF2 benchmark (a second or more): the layouts
        // (other key sizes) are measured, the create options are measured by the create case's own runs
        foreach (string o in p.LayoutOptions.Where(o => o.Length > 0))
            EncryptedAssert.InOneDir(dir, ["measure", "-O", p.Format, .. p.Secret.ObjectArgs, "-o", p.CreateOptionString(o), "--size", "1G"]);
        EncryptedAssert.InOneDir(dir, ["measure", "-O", "qcow2", .. p.Open(img)]);
        EncryptedAssert.InOneDir(dir, ["measure", "-O", "qcow2", "--output=json", .. p.Open(img)]);
    }
}
