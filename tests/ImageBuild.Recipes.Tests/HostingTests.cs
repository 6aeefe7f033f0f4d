using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Hosting;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>The host API that MSBuild tasks and Cake aliases call: recipes and single operations, never throwing.</summary>
[TestClass]
public sealed class HostingTests
{
    private const string Recipe = """
        steps:
          - id: base
            kind: create
            size: 4M
          - id: data
            kind: write
            from: base
            offset: 1M
            pattern: 7
            length: 64k
          - id: disk
            kind: convert
            from: data
            format: qcow2
        """;

    [TestMethod]
    public void RecipeRunsThenSkipsAndSharesStateWithTheRunner()
    {
        using var f = new RecipeFixture(Recipe);
        var first = RecipeHost.Run(new RecipeRunRequest { RecipePath = "recipe.yaml", BaseDirectory = f.Dir, OutputDir = "out" });
        Assert.IsTrue(first.Succeeded, string.Join("\n", first.Diagnostics));
        CollectionAssert.AreEqual(new[] { StepStatus.Ran, StepStatus.Ran, StepStatus.Ran }, first.Steps.Select(s => s.Status).ToArray());
        Assert.AreEqual(f.OutputDir, first.OutputDir);
        Assert.IsTrue(File.Exists(first.SummaryPath));

        var again = RecipeHost.Run(new RecipeRunRequest { RecipePath = f.RecipePath, OutputDir = f.OutputDir });
        CollectionAssert.AreEqual(new[] { "base", "data", "disk" }, again.Steps.Where(s => s.Status == StepStatus.Skipped).Select(s => s.Id).ToArray());
        // The command line's runner sees the same state.
        Assert.AreEqual(3, f.Run().Skipped().Length);
        Assert.AreEqual("qcow2", again.Steps[2].Format);
        Assert.AreEqual(4L << 20, again.Steps[2].VirtualSize);
    }

    [TestMethod]
    public void InvalidRecipeIsImgb1001WithItsPlace()
    {
        using var f = new RecipeFixture("steps:\n  - id: base\n    kind: create\n    size: 12Q\n");
        var r = RecipeHost.Run(new RecipeRunRequest { RecipePath = f.RecipePath, OutputDir = f.OutputDir });
        Assert.IsFalse(r.Succeeded);
        var d = r.Diagnostics.Single();
        Assert.AreEqual(DiagnosticCodes.InvalidRecipe, d.Code);
        Assert.AreEqual(f.RecipePath, d.File);
        Assert.AreEqual((4, 11), (d.Line, d.Column));
        StringAssert.Contains(d.Message, "invalid size '12Q'");
        Assert.AreEqual($"{f.RecipePath}(4,11): IMGB1001: {d.Message}", d.ToString());
        Assert.IsFalse(Directory.Exists(f.OutputDir), "nothing is written for an invalid recipe");
        Assert.IsFalse(RecipeHost.Validate(new RecipeRunRequest { RecipePath = f.RecipePath }).Succeeded);
    }

    [TestMethod]
    public void FailedStepIsImgb1002AtTheStep()
    {
        using var f = new RecipeFixture("steps:\n  - id: base\n    kind: create\n    size: 1M\n  - id: w\n    kind: write\n    from: base\n    offset: 2M\n    pattern: 1\n    length: 4k\n");
        var r = RecipeHost.Run(new RecipeRunRequest { RecipePath = f.RecipePath, OutputDir = f.OutputDir });
        Assert.IsFalse(r.Succeeded);
        var d = r.Diagnostics.Single();
        Assert.AreEqual(DiagnosticCodes.StepFailed, d.Code);
        Assert.AreEqual((5, 5), (d.Line, d.Column));
        StringAssert.StartsWith(d.Message, "step 'w' (write) failed: ");
    }

    [TestMethod]
    public void CancelledRunIsImgb1005AndKeepsNothing()
    {
        using var f = new RecipeFixture(Recipe);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var r = RecipeHost.Run(new RecipeRunRequest { RecipePath = f.RecipePath, OutputDir = f.OutputDir, Cancellation = cts.Token });
        Assert.IsFalse(r.Succeeded);
        Assert.AreEqual(DiagnosticCodes.Cancelled, r.Diagnostics.Single().Code);
        Assert.IsFalse(Directory.EnumerateFiles(f.OutputDir).Any(p => p.EndsWith(".raw") || p.EndsWith(".qcow2") || p.EndsWith(".partial")));
        Assert.IsTrue(RecipeHost.Run(new RecipeRunRequest { RecipePath = f.RecipePath, OutputDir = f.OutputDir }).Succeeded);
    }

    [TestMethod]
    public void CancellingStopsALongOperationAtItsNextProgressReport()
    {
        using var f = new RecipeFixture("steps:\n  - id: base\n    kind: create\n    size: 64M\n  - id: w\n    kind: write\n    from: base\n    pattern: 9\n    length: 48M\n  - id: disk\n    kind: convert\n    from: w\n    format: qcow2\n");
        using var cts = new CancellationTokenSource();
        var sink = new CancelOnProgress("disk", cts);
        var r = RecipeHost.Run(new RecipeRunRequest { RecipePath = f.RecipePath, OutputDir = f.OutputDir, Cancellation = cts.Token, Sinks = [sink] });
        Assert.IsTrue(sink.Fired, "convert reported progress");
        Assert.AreEqual(DiagnosticCodes.Cancelled, r.Diagnostics.Single().Code);
        Assert.AreEqual(StepStatus.Failed, r.Steps[2].Status);
        Assert.IsFalse(File.Exists(f.Out("disk.qcow2")));
        Assert.IsFalse(Directory.EnumerateFiles(f.OutputDir, "*.partial").Any());
        var rerun = RecipeHost.Run(new RecipeRunRequest { RecipePath = f.RecipePath, OutputDir = f.OutputDir });
        CollectionAssert.AreEqual(new[] { StepStatus.Skipped, StepStatus.Skipped, StepStatus.Ran }, rerun.Steps.Select(s => s.Status).ToArray());
    }

    private sealed class CancelOnProgress(string step, CancellationTokenSource cts) : IRecipeEventSink
    {
        public bool Fired { get; private set; }

        public void OnEvent(RecipeEvent e)
        {
            if (e.Type == "progress" && e.Step == step && e.Percent > 0 && !Fired)
            {
                Fired = true;
                cts.Cancel();
            }
        }
    }

    [TestMethod]
    public void OperationsSkipWhenNothingChangedAndRerunWhenTheInputDoes()
    {
        using var dir = new TempDir();
        var create = ImageOperations.Run(new OperationRequest
        {
            Kind = "create", Output = dir["base.raw"], Parameters = new Dictionary<string, string> { ["size"] = "2M" },
        });
        Assert.IsTrue(create.Succeeded, string.Join("\n", create.Diagnostics));
        File.WriteAllBytes(dir["base.raw"], Enumerable.Repeat((byte)5, 2 << 20).ToArray());

        OperationRequest Convert(string output) => new()
        {
            Kind = "convert", Input = "base.raw", Output = output, BaseDirectory = dir.Path,
            Parameters = new Dictionary<string, string> { ["format"] = "qcow2" },
            Options = [new("cluster_size", "4k")],
        };
        var a = ImageOperations.Run(Convert("a.qcow2"));
        var b = ImageOperations.Run(Convert("b.qcow2"));
        Assert.AreEqual(StepStatus.Ran, a.Steps[^1].Status, string.Join("\n", a.Diagnostics));
        Assert.AreEqual(StepStatus.Ran, b.Steps[^1].Status);
        Assert.AreEqual(StepStatus.Skipped, ImageOperations.Run(Convert("a.qcow2")).Steps[^1].Status);
        Assert.IsTrue(File.Exists(dir["b.qcow2"]), "operations sharing a directory leave each other's outputs alone");

        File.SetLastWriteTimeUtc(dir["base.raw"], DateTime.UtcNow.AddMinutes(-5)); // touched, same bytes
        Assert.AreEqual(StepStatus.Skipped, ImageOperations.Run(Convert("a.qcow2")).Steps[^1].Status);

        using (var fs = File.OpenWrite(dir["base.raw"])) fs.WriteByte(6);
        var changed = ImageOperations.Run(Convert("a.qcow2"));
        Assert.AreEqual(StepStatus.Ran, changed.Steps[^1].Status);
        StringAssert.Contains(changed.Steps[^1].Reason, "input 'from' changed");
        Assert.AreEqual("qcow2", a.Steps[^1].Format);

        var cmp = ImageOperations.Run(new OperationRequest { Kind = "compare", Input = dir["a.qcow2"], Other = dir["base.raw"] });
        Assert.IsTrue(cmp.Succeeded, string.Join("\n", cmp.Diagnostics));
        var differ = ImageOperations.Run(new OperationRequest { Kind = "compare", Input = dir["b.qcow2"], Other = dir["base.raw"] });
        Assert.IsFalse(differ.Succeeded);
        Assert.AreEqual(DiagnosticCodes.StepFailed, differ.Diagnostics.Single().Code);
        StringAssert.Contains(differ.Diagnostics.Single().Message, "Content mismatch at offset 0!");
        Assert.AreEqual(dir["b.qcow2"], differ.Diagnostics.Single().File);

        var measure = ImageOperations.Run(new OperationRequest { Kind = "measure", Input = dir["base.raw"], Parameters = new Dictionary<string, string> { ["format"] = "qcow2" } });
        Assert.IsTrue(measure.Succeeded);
        Assert.IsTrue(measure.Steps[^1].MeasuredRequired > 2 << 20);
        Assert.AreEqual(StepStatus.Skipped, ImageOperations.Run(new OperationRequest { Kind = "measure", Input = dir["base.raw"], Parameters = new Dictionary<string, string> { ["format"] = "qcow2" } }).Steps[^1].Status);
    }

    [TestMethod]
    public void OperationsTakeFileNamesAndValuesAsTheyAre()
    {
        // An operation runs as a made-up recipe: names that mean something in YAML or to recipe variables must reach
        // the step as they are.
        using var dir = new TempDir();
        const string input = "in: *x #1 'q' \"d\" ${v} ~.raw", output = "out: [a], {b} & null.qcow2";
        File.WriteAllBytes(dir[input], Enumerable.Repeat((byte)7, 1 << 20).ToArray());
        var convert = ImageOperations.Run(new OperationRequest
        {
            Kind = "convert", Input = input, Output = output, BaseDirectory = dir.Path,
            Parameters = new Dictionary<string, string> { ["format"] = "qcow2" },
            Options = [new("cluster_size", "4k")],
        });
        Assert.IsTrue(convert.Succeeded, string.Join("\n", convert.Diagnostics));
        Assert.IsTrue(File.Exists(dir[output]));
        var same = ImageOperations.Run(new OperationRequest { Kind = "compare", Input = dir[output], Other = dir[input] });
        Assert.IsTrue(same.Succeeded, string.Join("\n", same.Diagnostics));
    }

    [TestMethod]
    public void BadOperationRequestsAreImgb1004()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["x.raw"], new byte[65536]);
        (OperationRequest Request, string Message)[] cases =
        [
            (new() { Kind = "explode" }, "unknown operation 'explode'"),
            (new() { Kind = "convert", Output = dir["y.qcow2"] }, "convert: an input image is required"),
            (new() { Kind = "convert", Input = dir["nope.raw"], Output = dir["y.qcow2"], Parameters = new Dictionary<string, string> { ["format"] = "qcow2" } }, "does not exist"),
            (new() { Kind = "convert", Input = dir["x.raw"], Output = dir["x.raw"], Parameters = new Dictionary<string, string> { ["format"] = "raw" } }, "is also an input"),
            (new() { Kind = "resize", Input = dir["x.raw"], Output = dir["y.raw"], Parameters = new Dictionary<string, string> { ["size"] = "12Q" } }, "invalid size '12Q'"),
            (new() { Kind = "convert", Input = dir["x.raw"], Output = dir["y.raw"], Parameters = new Dictionary<string, string> { ["format"] = "raw", ["colour"] = "red" } }, "unknown parameter 'colour'"),
        ];
        foreach (var (request, message) in cases)
        {
            var r = ImageOperations.Run(request);
            Assert.IsFalse(r.Succeeded, message);
            Assert.AreEqual(DiagnosticCodes.InvalidOperation, r.Diagnostics[0].Code, message);
            StringAssert.Contains(r.Diagnostics[0].Message, message);
            Assert.AreEqual(0, r.Diagnostics[0].Line);
        }
        Assert.IsFalse(File.Exists(dir["y.qcow2"]) || File.Exists(dir["y.raw"]));
    }

    [TestMethod]
    [RequiresQemu]
    public void CommitOfAnOverlayElsewhereMatchesQemuImgCommit()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["chain"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", dir["chain/base.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write -P 1 0 1M", dir["chain/base.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", dir["chain/top.qcow2"]);
        QemuOracle.IoOk("-c", "write -P 2 512k 1M", dir["chain/top.qcow2"]);
        string before = QemuOracle.Md5OfFile(dir["chain/top.qcow2"]);

        var r = ImageOperations.Run(new OperationRequest { Kind = "commit", Input = dir["chain/top.qcow2"], Output = dir["committed.qcow2"] });
        Assert.IsTrue(r.Succeeded, string.Join("\n", r.Diagnostics));
        Assert.AreEqual("qcow2", r.Steps[^1].Format);
        Assert.AreEqual(before, QemuOracle.Md5OfFile(dir["chain/top.qcow2"]), "the input is never changed");
        QemuOracle.ImgOk("check", dir["committed.qcow2"]);
        StringAssert.Contains(QemuOracle.ImgOk("compare", dir["committed.qcow2"], dir["chain/top.qcow2"]), "Images are identical.");

        // The chain is the input: changing the backing file reruns the commit.
        Assert.AreEqual(StepStatus.Skipped, ImageOperations.Run(new OperationRequest { Kind = "commit", Input = dir["chain/top.qcow2"], Output = dir["committed.qcow2"] }).Steps[^1].Status);
        QemuOracle.IoOk("-c", "write -P 3 3M 64k", dir["chain/base.qcow2"]);
        var again = ImageOperations.Run(new OperationRequest { Kind = "commit", Input = dir["chain/top.qcow2"], Output = dir["committed.qcow2"] });
        Assert.AreEqual(StepStatus.Ran, again.Steps[^1].Status);
        StringAssert.Contains(QemuOracle.ImgOk("compare", dir["committed.qcow2"], dir["chain/top.qcow2"]), "Images are identical.");
    }

    [TestMethod]
    [RequiresQemu]
    public void RecipeImageStepStartsAPipelineFromAnExistingImage()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: cloud
                kind: image
                file: prebuilt/cloud.qcow2
              - id: layer
                kind: overlay
                from: cloud
              - id: flat
                kind: convert
                from: layer
                format: raw
            """);
        Directory.CreateDirectory(f["prebuilt"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", f["prebuilt/cloud.qcow2"], "2M");
        QemuOracle.IoOk("-c", "write -P 4 0 64k", f["prebuilt/cloud.qcow2"]);
        var r = f.Run();
        Assert.IsTrue(r.Succeeded, string.Join("\n", r.Steps.Select(s => s.Reason)));
        Assert.AreEqual("qcow2", r["cloud"].Format);
        Assert.AreEqual(f["prebuilt/cloud.qcow2"], r["cloud"].OutputPath);
        string info = QemuOracle.ImgOk("info", f.Out("layer.qcow2"));
        StringAssert.Contains(info, "backing file: ../prebuilt/cloud.qcow2");
        StringAssert.Contains(QemuOracle.ImgOk("compare", f.Out("flat.raw"), f["prebuilt/cloud.qcow2"]), "Images are identical.");
        Assert.IsFalse(File.ReadAllText(f.Out(RecipeRunner.SummaryFileName)).Contains(f.Dir, StringComparison.Ordinal), "no host paths in the summary");

        Assert.AreEqual(3, f.Run().Skipped().Length);
        QemuOracle.IoOk("-c", "write -P 5 0 4k", f["prebuilt/cloud.qcow2"]);
        var rerun = f.Run();
        CollectionAssert.AreEqual(new[] { "cloud", "layer", "flat" }, rerun.Ran());
    }
    /// <summary>Issue 12 defect 3: a recipe nested 50,000 deep would overflow the stack of the host's process.</summary>
    [TestMethod]
    public void DeeplyNestedRecipeIsImgb1001NotAStackOverflow()
    {
        using var f = new RecipeFixture("steps:\n  - id: a\n    kind: create\n    size: " + string.Concat(Enumerable.Repeat("{a: ", 50_000)) + "1\n");
        var r = RecipeHost.Validate(new RecipeRunRequest { RecipePath = f.RecipePath });
        Assert.IsFalse(r.Succeeded);
        var d = r.Diagnostics.Single();
        Assert.AreEqual(DiagnosticCodes.InvalidRecipe, d.Code);
        Assert.AreEqual((4, 255), (d.Line, d.Column));
        Assert.AreEqual("the recipe nests mappings and lists more than 64 levels deep", d.Message);
    }
}
