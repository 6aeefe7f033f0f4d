using System.Text.Json;
using ImageBuild.Tests.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ImageBuild.Tasks.Tests;

[TestClass]
public sealed class BuildImageRecipesTests
{
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
          - id: gate
            kind: measure
            from: disk
            format: qcow2
        """;

    private TempDir _dir = null!;

    [TestInitialize]
    public void Init()
    {
        _dir = new TempDir();
        File.WriteAllText(_dir["disk.yaml"], Recipe);
        File.WriteAllText(_dir["content.txt"], "hello from msbuild\n");
    }

    [TestCleanup]
    public void Cleanup() => _dir.Dispose();

    private (BuildImageRecipes Task, FakeBuildEngine Engine) Make(params ITaskItem[] recipes)
    {
        var engine = new FakeBuildEngine(_dir["Sample.csproj"]);
        var task = new BuildImageRecipes
        {
            BuildEngine = engine,
            Recipes = recipes.Length > 0 ? recipes : [new TaskItem("disk.yaml")],
            OutputRoot = _dir["bin/images"],
            ProjectDirectory = _dir.Path,
            Jobs = 2,
        };
        return (task, engine);
    }

    private static ITaskItem Item(IEnumerable<ITaskItem> items, string fileName) =>
        items.Single(i => Path.GetFileName(i.ItemSpec) == fileName);

    [TestMethod]
    [RequiresQemu]
    public void RunsTheRecipeAndReturnsItsImagesWithTheirMetadata()
    {
        var (task, engine) = Make();
        Assert.IsTrue(task.Execute(), engine.Log);

        string outDir = _dir["bin/images/disk"];
        var disk = Item(task.Images, "disk.qcow2");
        Assert.AreEqual(Path.Combine(outDir, "disk.qcow2"), disk.ItemSpec);
        Assert.AreEqual("qcow2", disk.GetMetadata("Format"));
        Assert.AreEqual("4194304", disk.GetMetadata("VirtualSize"));
        Assert.AreEqual("disk", disk.GetMetadata("StepId"));
        Assert.AreEqual("Ran", disk.GetMetadata("Status"));
        StringAssert.StartsWith(disk.GetMetadata("ContentHash"), "xxh128:");
        Assert.AreEqual(3, task.Images.Length, "base, data and disk produce images; the measure step does not");

        QemuOracle.ImgOk("check", disk.ItemSpec);
        QemuOracle.ImgOk("compare", Item(task.Images, "data.raw").ItemSpec, disk.ItemSpec);

        // The measure step's numbers are qemu-img measure's, on the measurement item and on the measured image.
        using var json = JsonDocument.Parse(QemuOracle.ImgOk("measure", "--output=json", "-O", "qcow2", disk.ItemSpec));
        string required = json.RootElement.GetProperty("required").GetInt64().ToString();
        var gate = task.Measurements.Single();
        Assert.AreEqual("gate", gate.ItemSpec);
        Assert.AreEqual(required, gate.GetMetadata("RequiredSize"));
        Assert.AreEqual(json.RootElement.GetProperty("fully-allocated").GetInt64().ToString(), gate.GetMetadata("FullyAllocatedSize"));
        Assert.AreEqual(disk.ItemSpec, gate.GetMetadata("Image"));
        Assert.AreEqual(required, disk.GetMetadata("RequiredSize"));

        var writes = task.FileWrites.Select(f => f.ItemSpec).ToHashSet();
        foreach (var image in task.Images) Assert.Contains(image.ItemSpec, writes);
        Assert.Contains(Path.Combine(outDir, "imagebuild-summary.json"), writes);
        Assert.Contains(Path.Combine(outDir, ".imagebuild", "state.json"), writes);
        Assert.IsTrue(writes.All(File.Exists));

        // Per-step progress: a start and a done line per step at Normal importance, the closing summary at High.
        var normal = engine.MessagesAtLeast(MessageImportance.Normal).ToList();
        Assert.AreEqual(4, normal.Count(m => m.Contains("run  ", StringComparison.Ordinal)), engine.Log);
        Assert.IsTrue(engine.MessagesAtLeast(MessageImportance.High).Any(m => m.Contains("4 ran", StringComparison.Ordinal)), engine.Log);
        Assert.IsEmpty(engine.Errors);
    }

    [TestMethod]
    public void ASecondRunWithNothingChangedDoesNoWorkAndSaysSo()
    {
        var (first, firstEngine) = Make();
        Assert.IsTrue(first.Execute(), firstEngine.Log);
        var stamps = first.Images.ToDictionary(i => i.ItemSpec, i => File.GetLastWriteTimeUtc(i.ItemSpec));

        var (second, engine) = Make();
        Assert.IsTrue(second.Execute(), engine.Log);
        Assert.IsTrue(second.Images.All(i => i.GetMetadata("Status") == "Skipped"));
        var normal = engine.MessagesAtLeast(MessageImportance.Normal).ToList();
        foreach (string step in new[] { "base", "data", "disk", "gate" })
            Assert.IsTrue(normal.Any(m => m.Contains($"skip {step} ", StringComparison.Ordinal) && m.Contains("up to date", StringComparison.Ordinal)), engine.Log);
        Assert.IsFalse(normal.Any(m => m.Contains("run  ", StringComparison.Ordinal)), engine.Log);
        Assert.IsTrue(engine.MessagesAtLeast(MessageImportance.High).Any(m => m.Contains("0 ran", StringComparison.Ordinal)), engine.Log);
        foreach (var (path, stamp) in stamps) Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(path), path);
        // Skipped images are still the build's: they are reported (with their metadata) and recorded for Clean.
        Assert.AreEqual("qcow2", Item(second.Images, "disk.qcow2").GetMetadata("Format"));
        CollectionAssert.AreEquivalent(first.FileWrites.Select(f => f.ItemSpec).ToList(), second.FileWrites.Select(f => f.ItemSpec).ToList());
    }

    [TestMethod]
    public void AChangedInputFileRerunsOnlyTheStepsThatDependOnIt()
    {
        var (first, firstEngine) = Make();
        Assert.IsTrue(first.Execute(), firstEngine.Log);
        File.WriteAllText(_dir["content.txt"], "changed content\n");

        var (second, engine) = Make();
        Assert.IsTrue(second.Execute(), engine.Log);
        Assert.AreEqual("Skipped", Item(second.Images, "base.raw").GetMetadata("Status"));
        Assert.AreEqual("Ran", Item(second.Images, "data.raw").GetMetadata("Status"));
        Assert.AreEqual("Ran", Item(second.Images, "disk.qcow2").GetMetadata("Status"));
        Assert.AreNotEqual(Item(first.Images, "disk.qcow2").GetMetadata("ContentHash"), Item(second.Images, "disk.qcow2").GetMetadata("ContentHash"));
    }

    [TestMethod]
    public void AnInvalidRecipeIsACodedErrorAtItsFileLineAndColumn()
    {
        File.WriteAllText(_dir["disk.yaml"], Recipe.Replace("size: ${size}", "size: 12Q", StringComparison.Ordinal));
        var (task, engine) = Make();
        Assert.IsFalse(task.Execute());
        var error = engine.Errors.Single();
        Assert.AreEqual("IMGB1001", error.Code);
        Assert.AreEqual(_dir["disk.yaml"], error.File);
        Assert.AreEqual(6, error.LineNumber);
        Assert.AreEqual(11, error.ColumnNumber);
        StringAssert.Contains(error.Message, "invalid size '12Q'");
        Assert.IsEmpty(task.Images);
    }

    [TestMethod]
    public void AFailedStepIsACodedErrorAtTheStepAndIndependentImagesAreStillReported()
    {
        File.WriteAllText(_dir["disk.yaml"], Recipe + "\n    max-required: 1k\n");
        var (task, engine) = Make();
        Assert.IsFalse(task.Execute());
        var error = engine.Errors.Single();
        Assert.AreEqual("IMGB1002", error.Code);
        Assert.AreEqual(_dir["disk.yaml"], error.File);
        Assert.AreEqual(17, error.LineNumber, engine.Log);
        StringAssert.Contains(error.Message, "step 'gate' (measure) failed");
        Assert.AreEqual(3, task.Images.Length, "the images built before the gate failed are the build's");
    }

    [TestMethod]
    public void ItemMetadataSetsOutputDirVariablesAndJobsAndWinsOverTheProperties()
    {
        var item = new TaskItem("disk.yaml");
        item.SetMetadata("OutputDir", "custom");
        item.SetMetadata("Variables", "size=6M");
        item.SetMetadata("Jobs", "1");
        var (task, engine) = Make(item);
        task.Variables = "size=8M";
        Assert.IsTrue(task.Execute(), engine.Log);
        var disk = Item(task.Images, "disk.qcow2");
        Assert.AreEqual(_dir["custom/disk.qcow2"], disk.ItemSpec);
        Assert.AreEqual((6L << 20).ToString(), disk.GetMetadata("VirtualSize"));
    }

    [TestMethod]
    public void ThePropertyVariablesApplyWithoutMetadata()
    {
        var (task, engine) = Make();
        task.Variables = "size=8M";
        Assert.IsTrue(task.Execute(), engine.Log);
        Assert.AreEqual((8L << 20).ToString(), Item(task.Images, "disk.qcow2").GetMetadata("VirtualSize"));
    }

    [TestMethod]
    public void MalformedVariablesAndJobsAreParameterErrors()
    {
        var item = new TaskItem("disk.yaml");
        item.SetMetadata("Variables", "size");
        var (task, engine) = Make(item);
        Assert.IsFalse(task.Execute());
        Assert.AreEqual("IMGB1004", engine.Errors.Single().Code);
        StringAssert.Contains(engine.Errors[0].Message, "'size'");

        var bad = new TaskItem("disk.yaml");
        bad.SetMetadata("Jobs", "zero");
        (task, engine) = Make(bad);
        Assert.IsFalse(task.Execute());
        Assert.AreEqual("IMGB1004", engine.Errors.Single().Code);
        Assert.IsFalse(Directory.Exists(_dir["bin/images/disk"]), "nothing ran");
    }

    [TestMethod]
    public void EachRecipeBuildsIntoItsOwnFolderUnderTheOutputRoot()
    {
        File.WriteAllText(_dir["other.yaml"], "steps:\n  - id: blank\n    kind: create\n    size: 1M\n");
        var (task, engine) = Make(new TaskItem("disk.yaml"), new TaskItem("other.yaml"));
        Assert.IsTrue(task.Execute(), engine.Log);
        Assert.AreEqual(_dir["bin/images/other/blank.raw"], Item(task.Images, "blank.raw").ItemSpec);
        Assert.AreEqual(_dir["bin/images/disk/disk.qcow2"], Item(task.Images, "disk.qcow2").ItemSpec);
        Assert.AreEqual(_dir["other.yaml"], Item(task.Images, "blank.raw").GetMetadata("Recipe"));
    }

    [TestMethod]
    public void ExistingImagesARecipeStartsFromAreNeitherReportedNorRecordedForClean()
    {
        var (first, firstEngine) = Make();
        Assert.IsTrue(first.Execute(), firstEngine.Log);
        string prebuilt = Item(first.Images, "disk.qcow2").ItemSpec;
        File.WriteAllText(_dir["from-image.yaml"], $"steps:\n  - id: src\n    kind: image\n    file: {prebuilt}\n  - id: big\n    kind: resize\n    from: src\n    size: 8M\n");

        var (task, engine) = Make(new TaskItem("from-image.yaml"));
        Assert.IsTrue(task.Execute(), engine.Log);
        Assert.AreEqual("big", task.Images.Single().GetMetadata("StepId"));
        Assert.IsFalse(task.FileWrites.Any(f => f.ItemSpec == prebuilt));
    }

    [TestMethod]
    public void CancelledBeforeItStartsTheTaskFailsWithTheCancelledCodeAndBuildsNothing()
    {
        var (task, engine) = Make();
        task.Cancel();
        Assert.IsFalse(task.Execute());
        Assert.AreEqual("IMGB1005", engine.Errors.Single().Code);
        Assert.IsFalse(Directory.Exists(_dir["bin/images/disk"]));
    }
    /// <summary>Issue 12 defect 10: UntrustedImages reaches the engine (the recipe itself does not ask for it).</summary>
    [TestMethod]
    public void UntrustedImagesConfinesWhatTheRecipesImagesMayName()
    {
        Directory.CreateDirectory(_dir["images"]);
        File.WriteAllBytes(_dir["secret.raw"], new byte[1 << 20]);
        HostileImages.OverlayNaming(_dir["images/top.qcow2"], "../secret.raw");
        File.WriteAllText(_dir["disk.yaml"], "steps:\n  - id: top\n    kind: image\n    file: images/top.qcow2\n  - id: flat\n    kind: convert\n    from: top\n    format: raw\n");

        var (trusted, trustedEngine) = Make();
        Assert.IsTrue(trusted.Execute(), trustedEngine.Log);

        var (task, engine) = Make();
        task.UntrustedImages = true;
        Assert.IsFalse(task.Execute());
        var error = engine.Errors.Single();
        Assert.AreEqual("IMGB1001", error.Code);
        Assert.AreEqual((4, 11), (error.LineNumber, error.ColumnNumber));
        StringAssert.Contains(error.Message, $"backing file '{_dir["images"]}/../secret.raw' named by untrusted image '{_dir["images/top.qcow2"]}' is outside the image's directory");
    }
}
