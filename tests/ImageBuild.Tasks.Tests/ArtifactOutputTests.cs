using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Hosting;
using ImageBuild.Recipes.Loading;
using ImageBuild.Tests.Shared;
using Microsoft.Build.Framework;

namespace ImageBuild.Tasks.Tests;

/// <summary>
/// Artifacts (an archive, a checksum list) are @(ImageBuildOutput) items like images, typed Artifact and without
/// image metadata, and go to @(FileWrites) so that Clean removes them.
/// </summary>
[TestClass]
public sealed class ArtifactOutputTests
{
    [TestMethod]
    public void ArtifactsAreOutputsTypedArtifactAndCleanedWithTheImages()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], "steps:\n  - id: disk\n    kind: create\n    size: 1M\n  - id: packed\n    kind: archive\n    from: disk\n    type: gzip\n  - id: sums\n    kind: checksums\n    outputs: [disk, packed]\n");
        var run = new RecipeRunner(RecipeLoader.Load(dir["r.yaml"]), new RunOptions { OutputDir = dir["out"] }).Run();
        Assert.IsTrue(run.Succeeded, string.Join("\n", run.Steps));
        var result = new HostResult { Succeeded = true, OutputDir = run.OutputDir, Steps = run.Steps, SummaryPath = run.SummaryPath, StateFiles = [run.SummaryPath!] };

        var items = new List<ITaskItem>();
        var writes = new List<ITaskItem>();
        BuildImageRecipes.Collect(dir["r.yaml"], result, items, [], writes);

        Assert.HasCount(3, items);
        var disk = items.Single(i => i.GetMetadata("StepId") == "disk");
        Assert.AreEqual("Image", disk.GetMetadata("Type"));
        Assert.AreEqual("raw", disk.GetMetadata("Format"));
        var packed = items.Single(i => i.GetMetadata("StepId") == "packed");
        Assert.AreEqual(dir["out/disk.raw.gz"], packed.ItemSpec);
        Assert.AreEqual("Artifact", packed.GetMetadata("Type"));
        Assert.AreEqual("", packed.GetMetadata("Format"));
        Assert.AreEqual("", packed.GetMetadata("VirtualSize"));
        Assert.AreEqual(new FileInfo(dir["out/disk.raw.gz"]).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), packed.GetMetadata("FileSize"));
        Assert.AreEqual("Artifact", items.Single(i => i.GetMetadata("StepId") == "sums").GetMetadata("Type"));
        CollectionAssert.AreEquivalent(
            new[] { dir["out/disk.raw"], dir["out/disk.raw.gz"], dir["out/SHA256SUMS"], run.SummaryPath },
            writes.Select(w => w.ItemSpec).ToArray());
    }
}
