using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Hosting;
using ImageBuild.Recipes.Loading;
using ImageBuild.Tests.Shared;
using Microsoft.Build.Framework;

namespace ImageBuild.Tasks.Tests;

/// <summary>
/// An image of several files (the test-only two-file format standing in for a VMDK descriptor and its extents) is one
/// @(ImageBuildOutput) item listing all its files, and every file goes to @(FileWrites), so Clean removes them all.
/// </summary>
[TestClass]
public sealed class MultiFileImageTests
{
    [TestMethod]
    public void EveryFileOfAnImageIsListedAndWrittenForClean()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["pair.yaml"], "steps:\n  - id: disk\n    kind: create\n    format: pair\n    size: 1M\n  - id: flat\n    kind: convert\n    from: disk\n    format: raw\n");
        var engine = PairImageFormat.Context();
        var recipe = RecipeLoader.Load(dir["pair.yaml"], context: engine);
        var run = new RecipeRunner(recipe, new RunOptions { OutputDir = dir["out"], Engine = engine }).Run();
        Assert.IsTrue(run.Succeeded, string.Join("\n", run.Steps));
        var result = new HostResult { Succeeded = true, OutputDir = run.OutputDir, Steps = run.Steps, SummaryPath = run.SummaryPath, StateFiles = [run.SummaryPath!] };

        var images = new List<ITaskItem>();
        var writes = new List<ITaskItem>();
        BuildImageRecipes.Collect(dir["pair.yaml"], result, images, [], writes);

        Assert.HasCount(2, images, "one item per image, not per file");
        var disk = images.Single(i => i.GetMetadata("StepId") == "disk");
        Assert.AreEqual(dir["out/disk.pair"], disk.ItemSpec);
        Assert.AreEqual($"{dir["out/disk.pair"]};{dir["out/disk-data.bin"]}", disk.GetMetadata("Files"));
        Assert.AreEqual((new FileInfo(dir["out/disk.pair"]).Length + (1L << 20)).ToString(System.Globalization.CultureInfo.InvariantCulture), disk.GetMetadata("FileSize"));
        Assert.AreEqual(dir["out/flat.raw"], images.Single(i => i.GetMetadata("StepId") == "flat").GetMetadata("Files"));
        CollectionAssert.AreEquivalent(
            new[] { dir["out/disk.pair"], dir["out/disk-data.bin"], dir["out/flat.raw"], run.SummaryPath },
            writes.Select(w => w.ItemSpec).ToArray());
    }
}
