using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vdi;

/// <summary>info, map and check on VDI images qemu made (some patched as VirtualBox or a corruption leaves them).</summary>
[TestClass]
[RequiresQemu]
public sealed class VdiInspectOracleTests
{
    private static TempDir? _dir;

    private static string Dir
    {
        get
        {
            if (_dir is not null) return _dir.Path;
            var tmp = new TempDir();
            foreach (string name in VdiOracleImages.Names)
                VdiOracleImages.Make(tmp.Path, name);
            return (_dir = tmp).Path;
        }
    }

    [ClassCleanup]
    public static void Cleanup() => _dir?.Dispose();

    private static void Same(params string[] args)
    {
        var expected = ToolUnderTest.Qemu(Dir, args);
        var actual = ToolUnderTest.Run(Dir, args);
        if (args.Contains("--output=json") && expected.ExitCode == 0 && actual.ExitCode == 0)
            OracleAssert.JsonDataEqual(expected.StdOut, actual.StdOut, string.Join(' ', args));
        OracleAssert.SameOutcome(expected, actual);
    }

    [TestMethod]
    [DynamicData(nameof(VdiOracleImages.Cases), typeof(VdiOracleImages))]
    public void InfoMapAndCheckMatchQemu(string name)
    {
        string file = name + ".vdi";
        Same("info", file);
        Same("info", "--output=json", file);
        Same("info", "-f", "vdi", file);
        Same("map", file);
        Same("map", "--output=json", file);
        Same("check", file);
        Same("check", "--output=json", file);
        Same("check", "-q", file);
    }

    [TestMethod]
    [DataRow("check", "-r", "leaks", "filled.vdi")]
    [DataRow("check", "-r", "all", "corrupt.vdi")]
    [DataRow("check", "-r", "all", "--output=json", "empty.vdi")]
    [DataRow("check", "-U", "--output=json", "corrupt.vdi")]
    [DataRow("check", "-f", "raw", "empty.vdi")]
    [DataRow("info", "-f", "qcow2", "empty.vdi")]
    [DataRow("compare", "filled.vdi", "static-filled.vdi")]
    [DataRow("compare", "-s", "filled.vdi", "static-filled.vdi")]
    [DataRow("compare", "empty.vdi", "zeroed.vdi")]
    public void EdgesMatchQemu(params string[] args) => Same(args);
}
