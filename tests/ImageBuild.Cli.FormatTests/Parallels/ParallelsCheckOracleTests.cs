using ImageBuild.Tests.Shared;
using static ImageBuild.Cli.FormatTests.Parallels.ParallelsImage;

namespace ImageBuild.Cli.FormatTests.Parallels;

/// <summary>
/// check and check -r on hand-damaged images: the same lines, counts and exit codes as qemu-img 7.2, the same
/// repaired file, which qemu-img then finds as we do.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class ParallelsCheckOracleTests
{
    public static IEnumerable<object[]> Cases() =>
        from kind in Images.Keys
        from mode in new[] { "", "-r leaks", "-r all" }
        select new object[] { kind, mode };

    private static readonly Dictionary<string, ParallelsImage> Images = new()
    {
        ["clean-fragmented"] = new() { Entries = [1, 3, 0, 2], FileLength = 4 * 4096 },
        ["entry-past-eof"] = new() { Entries = [1, 2, 100, 0], FileLength = 4 * 4096 },
        ["leaked-tail"] = new() { Entries = [1, 0, 0, 0], FileLength = 5 * 4096 },
        ["odd-tail"] = new() { Entries = [1, 2, 0, 0], FileLength = 3 * 4096 + 10 },
        ["shared-cluster"] = new() { Entries = [1, 1, 0, 0], FileLength = 3 * 4096 },
        ["in-use"] = new() { InUse = InUseMagic, Entries = [1, 2, 0, 0], FileLength = 3 * 4096 },
        ["in-use-and-damaged"] = new() { InUse = InUseMagic, Entries = [1, 9, 3, 0], FileLength = 5 * 4096 + 7 },
        ["data-off-far"] = new() { DataOff = 100, Entries = [1, 0, 0, 0], FileLength = 5 * 4096 },
        ["old-magic"] = new() { OldMagic = true, Entries = [8, 24, 0, 0], FileLength = 5 * 4096 },
    };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void CheckAndRepairAsQemu(string kind, string mode)
    {
        using var d = new OracleDirs();
        Images[kind].Write(Path.Combine(d.Q, "a.hdd"));
        File.Copy(Path.Combine(d.Q, "a.hdd"), Path.Combine(d.T, "a.hdd"));
        string[] repair = mode.Length == 0 ? [] : mode.Split(' ');
        foreach (var output in new[] { "human", "json" })
        {
            string[] args = ["check", "--output=" + output, .. repair, "a.hdd"];
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
            OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "a.hdd"), Path.Combine(d.T, "a.hdd"), $"{kind} after check {mode}");
        }
        // what qemu-img makes of the file we left
        string[] again = ["check", "a.hdd"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, again), ToolUnderTest.Qemu(d.T, again));
    }

    [TestMethod]
    public void TheRealImageWithABitmapLosesItsExtensionToCheckRAsInQemu()
    {
        // qemu 7.2 counts the format extension cluster as leaked space and -r leaks truncates it away
        string? shared = QemuOracle.SharedImages;
        if (shared is null) Assert.Fail("../shared/images is missing");
        using var d = new OracleDirs();
        string src = Path.Combine(shared, "qemu-sample_images", "parallels-with-bitmap");
        foreach (string dir in new[] { d.Q, d.T })
        {
            File.Copy(src, Path.Combine(dir, "b.hdd"));
            File.SetAttributes(Path.Combine(dir, "b.hdd"), FileAttributes.Normal);
        }
        foreach (var args in new[] { new[] { "check", "b.hdd" }, ["check", "-r", "leaks", "b.hdd"], ["info", "b.hdd"] })
        {
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
            OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "b.hdd"), Path.Combine(d.T, "b.hdd"), string.Join(' ', args));
        }
    }
}
