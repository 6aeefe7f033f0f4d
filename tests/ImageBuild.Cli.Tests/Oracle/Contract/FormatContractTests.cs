using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// The driver contract (issue #13 item 11): one test per (format, case) of <see cref="ContractMatrix"/>, each
/// comparing the tool under test with qemu-img 7.2 doing the same thing. The cases are split over the files of
/// this partial class; formats the engine still refuses are reported by <see cref="EngineDrivers.Require"/>.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed partial class FormatContractTests
{
    /// <summary>
    /// create: same exit code, `Formatting ...` line and errors; the same file left behind on failure; on success
    /// the same bytes outside the random fields, and qemu-img's info, check and map of both images agree.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(ContractMatrix.CreateCases), typeof(ContractMatrix))]
    public void ContractCreate(string format, string options, string size)
    {
        var p = FormatProfiles.Get(format);
        EngineDrivers.Require(format);
        using var d = new OracleDirs();
        string o = ContractMatrix.Options(options);
        string name = "img." + p.Extension;
        if (o.Contains("backing_file=", StringComparison.Ordinal))
            d.QemuOkInBoth("create", "-q", "-f", format, "base." + p.Extension, ContractFixtures.CreateSize);

        string[] args = ["create", "-f", format, .. ContractFixtures.OptionArgs(o), name, .. size.Length > 0 ? new[] { size } : []];
        var expected = ContractAssert.InTwins(d, args);
        if (o.Contains("backing_file=", StringComparison.Ordinal))
            Assert.AreEqual(p.Has(QemuOps.Backing), expected.ExitCode == 0, $"profile row '{format}': backing support\n{expected}");

        string q = Path.Combine(d.Q, name), t = Path.Combine(d.T, name);
        Assert.AreEqual(File.Exists(q), File.Exists(t), $"{name} left behind as qemu-img leaves it");
        if (expected.ExitCode != 0)
        {
            if (File.Exists(q)) Assert.AreEqual(new FileInfo(q).Length, new FileInfo(t).Length, "length of the file left behind");
            return;
        }
        if (p.ByteExact.HasFlag(ContractOps.Create))
            ContractAssert.SameBytes(p, q, t, $"create -f {format} {o}");
        ContractAssert.QemuSeesSame(p, d, name, $"create -f {format} {o}");
    }
}
