using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Host;
using ImageBuild.Recipes.Steps;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// Outputs of several files (what a VMDK descriptor and its extents are), through the test-only two-file format
/// <see cref="PairImageFormat"/>: one output that is written under its final names, moved in as a whole, hashed over
/// every file, checked, pruned, cleaned and copied as a whole.
/// </summary>
[TestClass]
public sealed class MultiFileOutputTests
{
    private const string CreateRecipe = "steps:\n  - id: disk\n    kind: create\n    format: pair\n    size: 1M\n";

    private static RecipeFixture Fixture(string yaml) => new(yaml) { Engine = PairImageFormat.Context() };

    private static string Steps(RunResult r) => string.Join("\n", r.Steps);

    /// <summary>Everything the output directory holds outside the runner's own folder.</summary>
    private static string[] Visible(RecipeFixture f) =>
        Directory.EnumerateFiles(f.OutputDir).Select(Path.GetFileName).Where(n => n != RecipeRunner.SummaryFileName).Order().ToArray()!;

    /// <summary>Whether the run left its private partial folders behind (it removes them when it ends).</summary>
    private static bool PartialLeft(RecipeFixture f) => Directory.Exists(PartialFolder.OfState(f.OutputDir, BuildState.DefaultName));

    [TestMethod]
    public void ATwoFileOutputRunsThenSkipsAndItsHashCoversBothFiles()
    {
        using var f = Fixture(CreateRecipe);
        var first = f.Run();
        Assert.IsTrue(first.Succeeded, Steps(first));
        CollectionAssert.AreEqual(new[] { "disk-data.bin", "disk.pair" }, Visible(f));
        Assert.IsFalse(PartialLeft(f), "the private folder is emptied");
        Assert.AreEqual($"{PairImageFormat.Magic}disk-data.bin\n", File.ReadAllText(f.Out("disk.pair")), "the image names its data file by its final name");
        var disk = first["disk"];
        CollectionAssert.AreEqual(new[] { f.Out("disk.pair"), f.Out("disk-data.bin") }, disk.OutputFiles.ToArray());
        Assert.AreEqual(new FileInfo(f.Out("disk.pair")).Length + (1L << 20), disk.FileSize, "the size of both files");
        string expected = OutputHash.Of([("disk.pair", ContentHasher.HashFile(f.Out("disk.pair"))), ("disk-data.bin", ContentHasher.HashFile(f.Out("disk-data.bin")))]);
        Assert.AreEqual(expected, disk.Hash);
        Assert.AreNotEqual(ContentHasher.HashFile(f.Out("disk.pair")), disk.Hash, "not the main file's hash alone");

        var record = BuildState.Load(f.OutputDir).GetStep("disk")!;
        CollectionAssert.AreEqual(new[] { "disk.pair", "disk-data.bin" }, record.Files!.Select(x => x.Name).ToArray());

        var second = f.Run();
        CollectionAssert.AreEqual(new[] { "disk" }, second.Skipped(), Steps(second));
        Assert.AreEqual(expected, second["disk"].Hash);
        CollectionAssert.AreEqual(disk.OutputFiles.ToArray(), second["disk"].OutputFiles.ToArray());
    }

    [TestMethod]
    public void ChangingTheSecondFileRerunsTheStepAndTouchingItDoesNot()
    {
        using var f = Fixture(CreateRecipe + "  - id: flat\n    kind: convert\n    from: disk\n    format: raw\n");
        Assert.IsTrue(f.Run().Succeeded);
        string data = f.Out("disk-data.bin");

        File.SetLastWriteTimeUtc(data, File.GetLastWriteTimeUtc(data).AddSeconds(7));
        var touched = f.Run();
        CollectionAssert.AreEquivalent(new[] { "disk", "flat" }, touched.Skipped(), "same bytes: " + Steps(touched));
        var stamp = BuildState.Load(f.OutputDir).GetStep("disk")!.Files![1].Stamp;
        Assert.AreEqual(File.GetLastWriteTimeUtc(data).Ticks, stamp.MtimeTicks, "the fresh stamp is recorded (the next check is a stat)");

        byte[] main = File.ReadAllBytes(f.Out("disk.pair"));
        using (var fs = new FileStream(data, FileMode.Open, FileAccess.Write)) fs.Write(new byte[] { 5, 5, 5, 5 });
        File.SetLastWriteTimeUtc(data, File.GetLastWriteTimeUtc(data).AddSeconds(9));
        var changed = f.Run();
        CollectionAssert.AreEqual(new[] { "disk" }, changed.Ran(), Steps(changed));
        Assert.AreEqual("file 'disk-data.bin' of output 'disk.pair' was modified since it was built", changed["disk"].Reason);
        Assert.AreEqual(StepStatus.Skipped, changed["flat"].Status, "the rebuilt image has the content flat was made from");
        CollectionAssert.AreEqual(main, File.ReadAllBytes(f.Out("disk.pair")), "only the data file had changed");
        Assert.AreEqual(0, File.ReadAllBytes(data)[0], "the rerun rebuilt the data file");

        File.Delete(data);
        var missing = f.Run();
        CollectionAssert.Contains(missing.Ran(), "disk", Steps(missing));
        Assert.AreEqual("file 'disk-data.bin' of output 'disk.pair' is missing", missing["disk"].Reason);
        Assert.IsTrue(File.Exists(data));
    }

    [TestMethod]
    public void AStepDroppedFromTheRecipeIsPrunedWithAllItsFiles()
    {
        using var f = Fixture(CreateRecipe + "  - id: other\n    kind: create\n    size: 1M\n");
        Assert.IsTrue(f.Run().Succeeded);
        Assert.IsTrue(File.Exists(f.Out("disk-data.bin")));
        f.WriteRecipe("steps:\n  - id: other\n    kind: create\n    size: 1M\n");
        var events = new List<RecipeEvent>();
        var r = f.Run(events: events);
        Assert.IsTrue(r.Succeeded, Steps(r));
        CollectionAssert.AreEqual(new[] { "other.raw" }, Visible(f));
        var prune = events.Single(e => e.Type == "prune");
        Assert.AreEqual("removed 'disk.pair' and its 1 other file(s) ('disk-data.bin') of step 'disk', which the recipe no longer has", prune.Message);
        Assert.IsNull(BuildState.Load(f.OutputDir).GetStep("disk"));
    }

    [TestMethod]
    public void AnOutputThatBecomesOneFileLeavesNoStaleFile()
    {
        using var f = Fixture("steps:\n  - id: disk\n    kind: create\n    format: pair\n    size: 1M\n    output: disk.img\n");
        Assert.IsTrue(f.Run().Succeeded);
        CollectionAssert.AreEqual(new[] { "disk-data.bin", "disk.img" }, Visible(f));
        f.WriteRecipe("steps:\n  - id: disk\n    kind: create\n    format: raw\n    size: 1M\n    output: disk.img\n");
        var r = f.Run();
        CollectionAssert.AreEqual(new[] { "disk" }, r.Ran(), Steps(r));
        CollectionAssert.AreEqual(new[] { "disk.img" }, Visible(f), "the old data file went with the old output");
        Assert.IsNull(BuildState.Load(f.OutputDir).GetStep("disk")!.Files);
        Assert.AreEqual(ContentHasher.HashFile(f.Out("disk.img")), r["disk"].Hash, "a single file hashes as itself");
    }

    /// <summary>A step failing after its engine wrote both files keeps neither, nor anything in its private folder.</summary>
    [TestMethod]
    public void AFailedStepLeavesNoPartialFileAndNoMainFile()
    {
        using var f = Fixture(CreateRecipe);
        string? seenPartial = null;
        var r = RunWith(f, kind => new AfterwardsExecutor(StepExecutors.For(kind)!, c =>
        {
            seenPartial = c.PartialPath;
            Assert.IsTrue(File.Exists(Path.Combine(Path.GetDirectoryName(c.PartialPath!)!, "disk-data.bin")), "the engine wrote both files");
            throw new StepFailedException("failed after writing");
        }), CancellationToken.None);
        Assert.AreEqual(StepStatus.Failed, r["disk"].Status);
        Assert.AreEqual("failed after writing", r["disk"].Reason);
        Assert.AreEqual(Path.Combine(PartialFolder.OfStep(f.OutputDir, BuildState.DefaultName, "disk"), "disk.pair"), seenPartial, "written under its final name in its own folder");
        CollectionAssert.AreEqual(Array.Empty<string>(), Visible(f));
        Assert.IsFalse(PartialLeft(f));
    }

    [TestMethod]
    public void ACancelledStepLeavesNoPartialFileAndNoMainFile()
    {
        using var f = Fixture(CreateRecipe);
        using var cts = new CancellationTokenSource();
        var r = RunWith(f, kind => new AfterwardsExecutor(StepExecutors.For(kind)!, c =>
        {
            cts.Cancel();
            c.Progress(50); // where a long engine operation notices
        }), cts.Token);
        Assert.AreEqual(StepStatus.Failed, r["disk"].Status, Steps(r));
        Assert.AreEqual(RecipeRunner.CancelledReason, r["disk"].Reason);
        CollectionAssert.AreEqual(Array.Empty<string>(), Visible(f));
        Assert.IsFalse(PartialLeft(f));
    }

    /// <summary>
    /// A run that died while moving an output in (after its data file moved, before its main file did) left a
    /// journal: the next run removes what it names, and the step, whose record was dropped first, runs again.
    /// </summary>
    [TestMethod]
    public void ARunKilledWhileMovingAnOutputInLeavesNothingTheNextRunTrusts()
    {
        using var f = Fixture(CreateRecipe);
        Assert.IsTrue(f.Run().Succeeded);
        var state = BuildState.Load(f.OutputDir);
        state.SetStep("disk", null);
        state.SetMoving("disk", ["disk.pair", "disk-data.bin", "old-s002.bin"]);
        state.Save(f.OutputDir);
        File.Delete(f.Out("disk.pair"));
        File.WriteAllBytes(f.Out("old-s002.bin"), new byte[10]); // a file of the replaced output, half gone
        Directory.CreateDirectory(PartialFolder.OfStep(f.OutputDir, BuildState.DefaultName, "disk"));
        File.WriteAllBytes(Path.Combine(PartialFolder.OfStep(f.OutputDir, BuildState.DefaultName, "disk"), "disk.pair"), new byte[3]);

        var r = f.Run();
        CollectionAssert.AreEqual(new[] { "disk" }, r.Ran(), Steps(r));
        StringAssert.Contains(r["disk"].Reason, "no earlier run recorded");
        CollectionAssert.AreEqual(new[] { "disk-data.bin", "disk.pair" }, Visible(f));
        Assert.IsNull(BuildState.Load(f.OutputDir).Moving, "the journal is cleared");
        Assert.IsFalse(PartialLeft(f));
    }

    /// <summary>An image step's existing image of two files, changed by a later step: its copy takes both files, the input keeps its own.</summary>
    [TestMethod]
    public void AStepCopiesATwoFileInputAsAWhole()
    {
        using var f = Fixture("steps:\n  - id: ext\n    kind: image\n    file: images/ext.pair\n    format: pair\n  - id: w\n    kind: write\n    from: ext\n    pattern: 7\n    length: 4k\n");
        Directory.CreateDirectory(f["images"]);
        var engine = PairImageFormat.Context();
        ImageBuild.Engine.Operations.ImageCreator.Create(engine, new ImageBuild.Engine.Operations.CreateImageRequest { Filename = f["images/ext.pair"], Format = "pair", Size = 1 << 20 }, formatting: null);
        byte[] inputData = File.ReadAllBytes(f["images/ext-data.bin"]);

        var r = f.Run();
        Assert.IsTrue(r.Succeeded, Steps(r));
        CollectionAssert.AreEqual(new[] { "ext-data.bin", "w.pair" }, Visible(f));
        CollectionAssert.AreEqual(new[] { f.Out("w.pair"), f.Out("ext-data.bin") }, r["w"].OutputFiles.ToArray());
        CollectionAssert.AreEqual(inputData, File.ReadAllBytes(f["images/ext-data.bin"]), "the input's data file is unchanged");
        using (var dev = ImageOpener.Open(engine, f.Out("w.pair"), new OpenOptions { Format = "pair" }))
        {
            CollectionAssert.AreEqual(new[] { f.Out("w.pair"), f.Out("ext-data.bin") }, dev.HostFileNames.ToArray(), "the copy names its own data file");
            var buf = new byte[4096];
            dev.Read(0, buf);
            Assert.IsTrue(buf.All(b => b == 7));
        }
        Assert.IsEmpty(f.Run().Ran(), "and the next run skips both");
    }

    /// <summary>
    /// A copy keeps its input's file names (only a format driver could rename them): where they would replace another
    /// step's output, the step fails and the other output stays whole.
    /// </summary>
    [TestMethod]
    public void ACopyWhoseFilesWouldReplaceAnotherOutputFails()
    {
        using var f = Fixture(CreateRecipe + "  - id: w\n    kind: write\n    from: disk\n    pattern: 7\n    length: 4k\n");
        var r = f.Run();
        Assert.AreEqual(StepStatus.Ran, r["disk"].Status, Steps(r));
        Assert.AreEqual(StepStatus.Failed, r["w"].Status);
        Assert.AreEqual("cannot record output: its file 'disk-data.bin' is another step's output or input (or the run summary); an image's files must not share names with other images", r["w"].Reason);
        CollectionAssert.AreEqual(new[] { "disk-data.bin", "disk.pair" }, Visible(f));
        Assert.AreEqual(0, File.ReadAllBytes(f.Out("disk-data.bin"))[0], "disk's data is untouched");
        Assert.IsFalse(PartialLeft(f));
    }

    /// <summary>Two copies of one image would both keep its data file's name: at most one gets it, also when they finish together.</summary>
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void TwoCopiesNeverShareAFile(int jobs)
    {
        using var f = Fixture("steps:\n  - id: ext\n    kind: image\n    file: images/ext.pair\n    format: pair\n" +
            "  - id: w1\n    kind: write\n    from: ext\n    pattern: 1\n    length: 4k\n  - id: w2\n    kind: write\n    from: ext\n    pattern: 2\n    length: 4k\n");
        Directory.CreateDirectory(f["images"]);
        var engine = PairImageFormat.Context();
        ImageBuild.Engine.Operations.ImageCreator.Create(engine, new ImageBuild.Engine.Operations.CreateImageRequest { Filename = f["images/ext.pair"], Format = "pair", Size = 1 << 20 }, formatting: null);

        var r = f.Run(jobs: jobs);
        var failed = r.Steps.Where(s => s.Status == StepStatus.Failed).ToList();
        Assert.HasCount(1, failed, Steps(r));
        StringAssert.Contains(failed[0].Reason, "its file 'ext-data.bin' is another step's output");
        var kept = r[failed[0].Id == "w1" ? "w2" : "w1"];
        Assert.AreEqual(StepStatus.Ran, kept.Status);
        Assert.AreEqual(kept.Id == "w1" ? 1 : 2, File.ReadAllBytes(f.Out("ext-data.bin"))[0], "the data file is the kept copy's");
        Assert.IsFalse(File.Exists(f.Out(failed[0].Id + ".pair")));
    }

    private static RunResult RunWith(RecipeFixture f, Func<string, IStepExecutor?> executors, CancellationToken cancellation) =>
        new RecipeRunner(f.Load(), new RunOptions { OutputDir = f.OutputDir, Engine = f.Engine, ExecutorFor = executors, Cancellation = cancellation }).Run();

    /// <summary>Runs the real executor, then <paramref name="after"/> (which may throw).</summary>
    private sealed class AfterwardsExecutor(IStepExecutor inner, Action<StepContext> after) : IStepExecutor
    {
        public StepResult Execute(StepContext context)
        {
            var result = inner.Execute(context);
            after(context);
            return result;
        }
    }
}
