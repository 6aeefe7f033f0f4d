using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests;

/// <summary>A step result says when its output is an artifact (a file that is not a disk image) and gives its path.</summary>
[TestClass]
public sealed class ArtifactResultTests
{
    [TestMethod]
    public void AnArchiveStepsResultIsAnArtifactWithItsFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], "steps:\n  - id: disk\n    kind: create\n    size: 1M\n  - id: packed\n    kind: archive\n    from: disk\n    type: zstd\n");
        var run = new RecipeRunner(RecipeLoader.Load(dir["r.yaml"]), new RunOptions { OutputDir = dir["out"] }).Run();
        Assert.IsTrue(run.Succeeded, string.Join("\n", run.Steps));

        var packed = ImageBuildStepResult.From(run["packed"]);
        Assert.IsTrue(packed.IsArtifact);
        Assert.AreEqual(dir["out/disk.raw.zst"], packed.OutputPath!.FullPath);
        CollectionAssert.AreEqual(new[] { dir["out/disk.raw.zst"] }, packed.OutputFiles.Select(f => f.FullPath).ToArray());
        Assert.IsNull(packed.Format);
        Assert.IsFalse(ImageBuildStepResult.From(run["disk"]).IsArtifact);
        Assert.AreEqual("raw", ImageBuildStepResult.From(run["disk"]).Format);
    }
}
