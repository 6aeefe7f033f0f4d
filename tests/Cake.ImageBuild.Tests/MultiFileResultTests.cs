using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests;

/// <summary>A step result lists every file of an image of several files (the test-only two-file format standing in for a VMDK).</summary>
[TestClass]
public sealed class MultiFileResultTests
{
    [TestMethod]
    public void AStepResultListsEveryFileOfItsImage()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["pair.yaml"], "steps:\n  - id: disk\n    kind: create\n    format: pair\n    size: 1M\n  - id: gate\n    kind: check\n    from: disk\n");
        var engine = PairImageFormat.Context();
        var run = new RecipeRunner(RecipeLoader.Load(dir["pair.yaml"], context: engine), new RunOptions { OutputDir = dir["out"], Engine = engine }).Run();
        Assert.AreEqual(StepStatus.Ran, run["disk"].Status, string.Join("\n", run.Steps));

        var disk = ImageBuildStepResult.From(run["disk"]);
        CollectionAssert.AreEqual(new[] { dir["out/disk.pair"], dir["out/disk-data.bin"] }, disk.OutputFiles.Select(f => f.FullPath).ToArray());
        Assert.AreEqual(dir["out/disk.pair"], disk.OutputPath!.FullPath);
        Assert.IsEmpty(ImageBuildStepResult.From(run["gate"]).OutputFiles, "a step without output lists no file");
    }
}
