using System.Text.RegularExpressions;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests.EndToEnd;

/// <summary>
/// A real <c>dotnet cake</c> (Cake.Tool 7.0.0 from the tool manifest) loading the freshly packed addin from a local
/// folder feed with <c>#addin nuget:file://…&amp;loaddependencies=true</c>. Three script runs in all: build, rebuild
/// (everything skipped), and a failing recipe.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed partial class CakeScriptTests
{
    private static CakeFeed? s_feed;

    private static CakeFeed Feed => s_feed ?? throw new InvalidOperationException("the feed was not created");

    private const string Recipe = """
        steps:
          - id: base
            kind: create
            size: 4M
          - id: data
            kind: write
            from: base
            offset: 1M
            pattern: 0x5a
            length: 64k
          - id: disk
            kind: convert
            from: data
            format: qcow2
            output: disk.qcow2
        """;

    // Results are printed as "RESULT name value" lines that the test reads back.
    private const string Script = """
        var recipe = ImageBuildRecipe("image.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" });
        Information("RESULT recipe {0}/{1}", recipe.RanCount, recipe.SkippedCount);
        var z = ImageBuildConvert("out/disk.qcow2", "single/z.qcow2", new ImageBuildConvertSettings().WithCompression(ImageBuildCompression.Zstd));
        Information("RESULT convert {0}", z.Status);
        var r = ImageBuildResize("single/z.qcow2", "single/big.qcow2", "+4M");
        Information("RESULT resize {0} {1}", r.Status, r.VirtualSize);
        var m = ImageBuildMeasure("single/big.qcow2");
        Information("RESULT measure {0} {1} {2}", m.Step.Status, m.Required, m.FullyAllocated);
        var info = ImageBuildInfo("single/z.qcow2");
        Information("RESULT info {0} {1} {2}", info.Format, info.VirtualSize, info.FormatSpecific["compression-type"]);
        var c = ImageBuildCompare("out/disk.qcow2", "single/z.qcow2");
        Information("RESULT compare {0}", c.Status);
        """;

    [ClassInitialize]
    public static void PackAndRestore(TestContext _) => s_feed = CakeFeed.Create();

    [ClassCleanup]
    public static void Cleanup() => s_feed?.Dispose();

    [TestMethod]
    [RequiresQemu]
    public void ScriptBuildsImagesThenSkipsEverything()
    {
        string work = Path.Combine(Feed.Root, "build");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "image.yaml"), Recipe);

        var first = Feed.RunScript("build/build", Script);
        Assert.AreEqual(0, first.ExitCode, first.StdOut + first.StdErr);
        var r1 = Results(first.StdOut);
        Assert.AreEqual("3/0", r1["recipe"]);
        Assert.AreEqual("Ran", r1["convert"]);
        Assert.AreEqual($"Ran {8L << 20}", r1["resize"]);
        StringAssert.StartsWith(r1["measure"], "Ran ");
        Assert.AreEqual($"qcow2 {4L << 20} zstd", r1["info"]);
        Assert.AreEqual("Ran", r1["compare"]);
        StringAssert.Contains(first.StdOut, "done  disk");

        // The images, read by qemu-img.
        foreach (string image in new[] { "out/disk.qcow2", "single/z.qcow2", "single/big.qcow2" })
            QemuOracle.ImgOk("check", Path.Combine(work, image));
        QemuOracle.IoOk("-f", "qcow2", "-c", "read -P 0x5a 1M 64k", "-c", "read -P 0 5M 64k", Path.Combine(work, "single/big.qcow2"));
        StringAssert.Contains(QemuOracle.ImgOk("info", Path.Combine(work, "single/z.qcow2")), "compression type: zstd");

        var second = Feed.RunScript("build/build", Script);
        Assert.AreEqual(0, second.ExitCode, second.StdOut + second.StdErr);
        var r2 = Results(second.StdOut);
        Assert.AreEqual("0/3", r2["recipe"]);
        Assert.AreEqual("Skipped", r2["convert"]);
        Assert.AreEqual($"Skipped {8L << 20}", r2["resize"]);
        Assert.AreEqual(r1["measure"].Replace("Ran", "Skipped", StringComparison.Ordinal), r2["measure"]);
        Assert.AreEqual("Skipped", r2["compare"]);
        StringAssert.Contains(second.StdOut, "skip  disk");
    }

    [TestMethod]
    public void FailingStepFailsTheScriptWithItsPlace()
    {
        string work = Path.Combine(Feed.Root, "fail");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "bad.yaml"), "steps:\n  - id: base\n    kind: create\n    size: 1M\n  - id: too-far\n    kind: write\n    from: base\n    offset: 2M\n    pattern: 1\n    length: 4k\n");

        var run = Feed.RunScript("fail/fail", """
            Task("Images").Does(() => ImageBuildRecipe("bad.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" }));
            RunTarget("Images");
            """);
        string output = run.StdOut + run.StdErr;
        Assert.AreNotEqual(0, run.ExitCode, output);
        StringAssert.Contains(output, $"{Path.Combine(work, "bad.yaml")}:5:5: step 'too-far' (write) failed: ");
        StringAssert.Contains(output, "[IMGB1002]");
    }

    private static Dictionary<string, string> Results(string stdout) =>
        ResultLine().Matches(stdout).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.TrimEnd());

    [GeneratedRegex(@"^RESULT (\w+) (.*)$", RegexOptions.Multiline)]
    private static partial Regex ResultLine();
}
