using System.Text.RegularExpressions;
using ImageBuild.Recipes.Cli;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Tasks.Tests;

/// <summary>
/// A real `dotnet build` of sample projects that reference the packed ImageBuild.Tasks package. Few and coarse on
/// purpose (each build costs seconds on a 2-core machine): one package for the class, at most three builds a test.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed partial class DotnetBuildTests
{
    private static PackedFeed _feed = null!;

    private const string Recipe = """
        variables:
          size: 4M
        steps:
          - id: base
            kind: create
            size: ${size}
          - id: data
            kind: write
            from: base
            offset: 1M
            file: content.txt
          - id: disk
            kind: convert
            from: data
            format: qcow2
            output: disk.qcow2
          - id: blank
            kind: convert
            from: base
            format: qcow2
            output: blank.qcow2
          - id: gate
            kind: measure
            from: disk
            format: qcow2
        """;

    /// <summary>Prints each @(ImageBuildOutput) item after Build, for the test to read.</summary>
    private const string ShowOutputs = """
          <Target Name="ShowImages" AfterTargets="Build">
            <Message Importance="high" Text="IMAGE|%(ImageBuildOutput.Filename)%(ImageBuildOutput.Extension)|%(ImageBuildOutput.Format)|%(ImageBuildOutput.VirtualSize)|%(ImageBuildOutput.ContentHash)|%(ImageBuildOutput.RequiredSize)" Condition="'@(ImageBuildOutput)' != ''" />
          </Target>
        """;

    [ClassInitialize]
    public static void Pack(TestContext _) => _feed = PackedFeed.Create();

    [ClassCleanup]
    public static void Cleanup() => _feed?.Dispose();

    private static string Project(string name, string body)
    {
        string dir = _feed.NewProject(name, body);
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        File.WriteAllText(Path.Combine(dir, "images", "disk.yaml"), Recipe);
        File.WriteAllText(Path.Combine(dir, "images", "content.txt"), "built by dotnet build\n");
        return dir;
    }

    private static void AssertBuilt(ProcessResult r, string what)
    {
        if (r.ExitCode != 0)
            Assert.Fail($"{what} failed ({r.ExitCode}):\n{r.StdOut}\n{r.StdErr}");
    }

    private static List<string> StepLines(ProcessResult r, string verb) =>
        r.StdOut.Split('\n').Where(l => l.Contains($"disk.yaml: {verb} ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();

    [TestMethod]
    [RequiresQemu]
    public void FirstBuildMakesImagesQemuImgAcceptsSecondBuildSkipsCleanRemovesThem()
    {
        string dir = Project("Images", """
              <ItemGroup>
                <ImageRecipe Include="images/*.yaml" />
              </ItemGroup>
            """ + ShowOutputs);
        string outDir = Path.Combine(dir, "bin", "Debug", "net10.0", "images", "disk");

        var first = _feed.Build(dir);
        AssertBuilt(first, "first build");
        Assert.HasCount(5, StepLines(first, "run "), first.StdOut);
        string disk = Path.Combine(outDir, "disk.qcow2");
        QemuOracle.ImgOk("check", disk);
        QemuOracle.ImgOk("check", Path.Combine(outDir, "blank.qcow2"));
        QemuOracle.ImgOk("compare", Path.Combine(outDir, "data.raw"), disk);
        var image = Regex.Match(first.StdOut, @"IMAGE\|disk\.qcow2\|qcow2\|4194304\|xxh128:[0-9a-f]{32}\|(\d+)");
        Assert.IsTrue(image.Success, first.StdOut);
        Assert.IsGreaterThan(0L, long.Parse(image.Groups[1].Value));

        var second = _feed.Build(dir);
        AssertBuilt(second, "second build");
        Assert.IsEmpty(StepLines(second, "run "), second.StdOut);
        var skips = StepLines(second, "skip");
        Assert.HasCount(5, skips, second.StdOut);
        Assert.IsTrue(skips.All(l => l.Contains("up to date", StringComparison.Ordinal)), second.StdOut);
        StringAssert.Contains(second.StdOut, "0 ran, 5 up to date");
        StringAssert.Contains(second.StdOut, "IMAGE|disk.qcow2|qcow2|", "skipped images are still reported");

        var clean = _feed.Build(dir, "clean");
        AssertBuilt(clean, "clean");
        string[] left = Directory.Exists(outDir) ? Directory.GetFiles(outDir, "*", SearchOption.AllDirectories) : [];
        Assert.IsEmpty(left, string.Join("\n", left));
    }

    [TestMethod]
    public void TheCommandLinesStateIsSharedAndAChangedInputRebuildsOnlyItsDependents()
    {
        string dir = Project("Shared", """
              <ItemGroup>
                <ImageRecipe Include="images/disk.yaml" OutputDir="out/disk" Jobs="1" />
              </ItemGroup>
            """);
        string recipe = Path.Combine(dir, "images", "disk.yaml");
        string outDir = Path.Combine(dir, "out", "disk");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.AreEqual(0, RecipeCli.Run("run", [recipe, "--output-dir", outDir], stdout, stderr), stderr.ToString());

        var first = _feed.Build(dir);
        AssertBuilt(first, "build after the command line");
        Assert.IsEmpty(StepLines(first, "run "), first.StdOut);
        StringAssert.Contains(first.StdOut, "0 ran, 5 up to date");

        File.WriteAllText(Path.Combine(dir, "images", "content.txt"), "changed\n");
        var second = _feed.Build(dir);
        AssertBuilt(second, "build after a change");
        CollectionAssert.AreEquivalent(new[] { "data", "disk", "gate" },
            StepLines(second, "run ").Select(l => Regex.Match(l, @"run  (\S+)").Groups[1].Value).ToList(), second.StdOut);
        CollectionAssert.AreEquivalent(new[] { "base", "blank" },
            StepLines(second, "skip").Select(l => Regex.Match(l, @"skip (\S+)").Groups[1].Value).ToList(), second.StdOut);
    }

    [TestMethod]
    public void ABrokenRecipeFailsTheBuildAtItsFileAndLineUnlessImageBuildIsDisabled()
    {
        string dir = Project("Broken", """
              <ItemGroup>
                <ImageRecipe Include="images/*.yaml" />
              </ItemGroup>
            """);
        string recipe = Path.Combine(dir, "images", "disk.yaml");
        File.WriteAllText(recipe, Recipe.Replace("size: ${size}", "size: 12Q", StringComparison.Ordinal));

        var broken = _feed.Build(dir);
        Assert.AreNotEqual(0, broken.ExitCode, broken.StdOut);
        StringAssert.Contains(broken.StdOut, $"{recipe}(6,11): error IMGB1001: step 'base': 'size': invalid size '12Q'");

        var disabled = _feed.Build(dir, "build", "-p:ImageBuildEnabled=false");
        AssertBuilt(disabled, "build with ImageBuildEnabled=false");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir, "bin", "Debug", "net10.0", "images")));
    }
}
