using ImageBuild.Tests.Shared;
using System.Text.Json.Nodes;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// The encrypted rows of the driver contract (issue #18): the cases of <see cref="FormatContractTests"/> run over
/// <see cref="EncryptedProfiles.All"/>, each comparing the tool under test with qemu-img 7.2 doing the same thing with
/// the row's secret. Images differ in keys, salts and UUIDs, so results are compared by content, masked info, check
/// and allocation. Rows whose format the engine still refuses are reported by <see cref="EngineDrivers.Require"/>.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed partial class EncryptedContractTests
{
    /// <summary>The rows' filled images, made once for the class and copied into each case (see <see cref="EncryptedTemplates"/>).</summary>
    private static EncryptedTemplates _templates = null!;

    [ClassInitialize]
    public static void CreateTemplates(TestContext _) => _templates = new EncryptedTemplates();

    [ClassCleanup]
    public static void RemoveTemplates() => _templates?.Dispose();

    /// <summary>
    /// create with the row's secret over its option matrix: same exit code, `Formatting ...` line and errors, the same
    /// file left behind on failure; on success both images are encrypted, hold the same (empty) content through the
    /// key (where new images read as zeros) and look the same to qemu-img's info, check and map.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(EncryptedMatrix.CreateCases), typeof(EncryptedMatrix))]
    public void EncryptedCreate(string row, string options, string size)
    {
        var p = EncryptedProfiles.Get(row);
        EngineDrivers.Require(p.Format);
        using var d = new OracleDirs();
        EncryptedFixtures.WriteSecrets(d.Root, d.Q, d.T);
        string o = ContractMatrix.Options(options), name = "img." + p.Extension;

        var expected = EncryptedAssert.InTwins(d, EncryptedFixtures.CreateArgs(p, name, o, size));
        string q = Path.Combine(d.Q, name), t = Path.Combine(d.T, name);
        Assert.AreEqual(File.Exists(q), File.Exists(t), $"{name} left behind as qemu-img leaves it");
        if (expected.ExitCode != 0)
        {
            if (File.Exists(q)) Assert.AreEqual(new FileInfo(q).Length, new FileInfo(t).Length, "length of the file left behind");
            return;
        }
        foreach (string dir in new[] { d.Q, d.T })
        {
            var info = JsonNode.Parse(ToolUnderTest.QemuOk(dir, ["info", .. p.Open(name), "--output=json"]))!;
            Assert.IsTrue(info["encrypted"]?.GetValue<bool>() ?? false, $"create {p.Row} {o}: qemu-img info of {dir} says encrypted");
        }
        // nothing is written yet: a row that does not start as zeros is compared by size, info, check and map only
        EncryptedAssert.QemuSeesSame(p, d, name, $"create {p.Row} {o}", definedBytes: 0);
    }
}
