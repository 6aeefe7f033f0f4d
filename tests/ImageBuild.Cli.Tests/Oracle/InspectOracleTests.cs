using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// info / map / measure / check / compare against qemu-img on the same files in the same directory
/// (<see cref="InspectFixture"/>): exit code, stdout and stderr must be identical after program-name normalisation;
/// JSON output is additionally compared as data first, so a failure says whether values or only key order differ.
/// The commands are split over several files of this partial class, which shares one fixture directory.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed partial class InspectOracleTests
{
    [ClassCleanup]
    public static void Cleanup() => InspectFixture.DisposeShared();

    /// <summary>Runs both programs with <paramref name="args"/> in the fixture directory and compares everything.</summary>
    internal static TimedResult Same(params string[] args)
    {
        string dir = InspectFixture.Get();
        var expected = ToolUnderTest.Qemu(dir, args);
        var actual = ToolUnderTest.Run(dir, args);
        OracleAssert.NoCrash(actual);
        bool json = args.Any(a => a == "--output=json" || a == "json");
        if (json && expected.ExitCode == 0 && expected.StdOut.Length > 0 && actual.ExitCode == 0)
            OracleAssert.JsonDataEqual(expected.StdOut, actual.StdOut, string.Join(' ', args));
        OracleAssert.SameOutcome(expected, actual);
        return expected;
    }
}
