using Cake.Core;
using Cake.Core.Diagnostics;
using Cake.ImageBuild.Tests.Fakes;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests;

/// <summary>ImageBuildRecipe / ImageBuildPlanRecipe in-process, against the context fake (Cake.Core's real paths and environment).</summary>
[TestClass]
public sealed class RecipeAliasTests
{
    internal const string Recipe = """
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
            pattern: 0x5a
            length: 64k
          - id: disk
            kind: convert
            from: data
            format: qcow2
            output: disk.qcow2
          - id: gate
            kind: measure
            from: data
            format: qcow2
            max-required: 8M
        """;

    [TestMethod]
    public void RunsRelativeToTheWorkingDirectoryThenSkips()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], Recipe);
        var context = new FakeCakeContext(dir.Path);

        var first = context.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out", Jobs = 2 });

        Assert.AreEqual(dir["out"], first.OutputDirectory!.FullPath);
        CollectionAssert.AreEqual(new[] { "base", "data", "disk", "gate" }, first.Steps.Select(s => s.Id).ToArray());
        Assert.IsTrue(first.Steps.All(s => s.Status == ImageBuildStepStatus.Ran), string.Join("\n", first.Steps));
        Assert.AreEqual(4, first.RanCount);
        Assert.AreEqual(dir["out/disk.qcow2"], first["disk"].OutputPath!.FullPath);
        Assert.AreEqual("qcow2", first["disk"].Format);
        Assert.AreEqual(4L << 20, first["disk"].VirtualSize);
        Assert.IsNotNull(first["gate"].MeasuredRequired);
        Assert.IsTrue(File.Exists(first.SummaryPath!.FullPath));
        // One line per step at Normal verbosity; no start lines (those are Verbose).
        Assert.AreEqual(4, context.CapturedLog.Entries.Count(e => e.Message.StartsWith("done  ", StringComparison.Ordinal)), context.CapturedLog.Text);
        Assert.IsFalse(context.CapturedLog.Entries.Any(e => e.Message.StartsWith("run   ", StringComparison.Ordinal)), context.CapturedLog.Text);

        var again = context.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" });
        Assert.AreEqual(4, again.SkippedCount, string.Join("\n", again.Steps));
        Assert.IsTrue(again["disk"].Skipped);
        Assert.AreEqual(first["disk"].Hash, again["disk"].Hash);

        // A changed variable reruns what depends on it.
        var bigger = context.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" }.WithVariable("size", "8M"));
        Assert.AreEqual(ImageBuildStepStatus.Ran, bigger["base"].Status);
        Assert.AreEqual(8L << 20, bigger["disk"].VirtualSize);
    }

    [TestMethod]
    [RequiresQemu]
    public void OutputsPassQemuImgCheckAndHoldTheContent()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], Recipe);
        var result = new FakeCakeContext(dir.Path).ImageBuildRecipe(dir["r.yaml"], new ImageBuildRecipeSettings { OutputDirectory = dir["out"] });

        string disk = result["disk"].OutputPath!.FullPath;
        QemuOracle.ImgOk("check", "-f", "qcow2", disk);
        QemuOracle.IoOk("-f", "qcow2", "-c", "read -P 0x5a 1M 64k", "-c", "read -P 0 0 1M", disk);
        StringAssert.Contains(QemuOracle.ImgOk("compare", "-f", "qcow2", "-F", "raw", disk, result["data"].OutputPath!.FullPath), "Images are identical");
    }

    [TestMethod]
    public void InvalidRecipeThrowsWithFileLineAndColumn()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["bad.yaml"], "steps:\n  - id: base\n    kind: create\n    size: 12Q\n");
        var e = Assert.ThrowsExactly<CakeException>(() => new FakeCakeContext(dir.Path).ImageBuildRecipe("bad.yaml"));
        StringAssert.Contains(e.Message, $"{dir["bad.yaml"]}:4:11: ");
        StringAssert.Contains(e.Message, "invalid size '12Q'");
        StringAssert.Contains(e.Message, "[IMGB1001]");
    }

    [TestMethod]
    public void FailingStepThrowsNamingTheStepAndLogsIt()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], "steps:\n  - id: base\n    kind: create\n    size: 1M\n  - id: too-far\n    kind: write\n    from: base\n    offset: 2M\n    pattern: 1\n    length: 4k\n");
        var context = new FakeCakeContext(dir.Path);
        var e = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" }));
        StringAssert.Contains(e.Message, $"{dir["r.yaml"]}:5:5: step 'too-far' (write) failed: ");
        StringAssert.Contains(e.Message, "does not fit");
        Assert.IsTrue(context.CapturedLog.Entries.Any(l => l.Level == LogLevel.Error && l.Message.Contains("too-far", StringComparison.Ordinal)), context.CapturedLog.Text);
    }

    [TestMethod]
    public void VerboseLogsStartsAndExplainLogsReasonsAtNormal()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], Recipe);
        var verbose = new FakeCakeContext(dir.Path, Verbosity.Verbose);
        verbose.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" });
        Assert.AreEqual(4, verbose.CapturedLog.Entries.Count(e => e.Verbosity == Verbosity.Verbose && e.Message.StartsWith("run   ", StringComparison.Ordinal)), verbose.CapturedLog.Text);

        var normal = new FakeCakeContext(dir.Path);
        normal.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" }.WithExplain());
        var skips = normal.CapturedLog.Entries.Where(e => e.Message.StartsWith("skip  ", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(4, skips.Count, normal.CapturedLog.Text);
        Assert.IsTrue(skips.All(s => s.Verbosity == Verbosity.Normal && s.Message.Contains("): ", StringComparison.Ordinal)), normal.CapturedLog.Text);
    }

    [TestMethod]
    public void PlanSaysWhatWouldRunAndWritesNothing()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], Recipe);
        var plan = new FakeCakeContext(dir.Path).ImageBuildPlanRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" });
        Assert.IsTrue(plan.Steps.All(s => s.Status == ImageBuildStepStatus.WouldRun), string.Join("\n", plan.Steps));
        Assert.IsFalse(File.Exists(dir["out/disk.qcow2"]));
    }
    /// <summary>Issue 12 defect 10: the recipe and operation settings' UntrustedImages reach the engine.</summary>
    [TestMethod]
    public void UntrustedImagesConfinesWhatTheImagesMayName()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["images"]);
        File.WriteAllBytes(dir["secret.raw"], new byte[1 << 20]);
        HostileImages.OverlayNaming(dir["images/top.qcow2"], "../secret.raw");
        File.WriteAllText(dir["r.yaml"], "steps:\n  - id: top\n    kind: image\n    file: images/top.qcow2\n  - id: flat\n    kind: convert\n    from: top\n    format: raw\n");
        var context = new FakeCakeContext(dir.Path);

        Assert.AreEqual(2, context.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" }).RanCount);
        var e = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildRecipe("r.yaml", new ImageBuildRecipeSettings { OutputDirectory = "out" }.WithUntrustedImages()));
        StringAssert.Contains(e.Message, $"{dir["r.yaml"]}:4:11: ");
        StringAssert.Contains(e.Message, "named by untrusted image");
        StringAssert.Contains(e.Message, "[IMGB1001]");

        var op = Assert.ThrowsExactly<CakeException>(() => context.ImageBuildConvert("images/top.qcow2", "flat.raw", new ImageBuildConvertSettings().WithUntrustedImages()));
        StringAssert.Contains(op.Message, "is outside the image's directory");
        Assert.IsFalse(File.Exists(dir["flat.raw"]));
    }
}
