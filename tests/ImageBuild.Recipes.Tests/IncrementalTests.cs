using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Tests;

[TestClass]
public sealed class IncrementalTests
{
    /// <summary>A raw pipeline with two repository files feeding different steps, and a branch that uses neither.</summary>
    internal const string Pipeline = """
        name: incremental
        variables:
          size: 8M
        steps:
          - id: base
            kind: create
            size: ${size}
          - id: one
            kind: write
            from: base
            offset: 1M
            file: files/one.txt
          - id: two
            kind: write
            from: one
            offset: 2M
            file: files/two.txt
          - id: grown
            kind: resize
            from: two
            size: +1M
          - id: gate
            kind: measure
            from: grown
            max-required: 16M
          - id: side
            kind: write
            from: base
            offset: 3M
            pattern: 0x42
            length: 64k
          - id: final
            kind: convert
            from: grown
            format: raw
            after: [gate]
        """;

    internal static RecipeFixture NewPipeline() =>
        new(Pipeline, ("files/one.txt", "layer one\n"u8.ToArray()), ("files/two.txt", "layer two\n"u8.ToArray()));

    [TestMethod]
    public void FirstRunRunsEverythingSecondRunSkipsEverything()
    {
        using var f = NewPipeline();
        var first = f.Run();
        Assert.IsTrue(first.Succeeded, string.Join("; ", first.Steps.Select(s => s.Reason)));
        CollectionAssert.AreEquivalent(new[] { "base", "one", "two", "grown", "gate", "side", "final" }, first.Ran());

        var second = f.Run();
        Assert.IsTrue(second.Succeeded);
        Assert.AreEqual(0, second.Ran().Length, "ran again: " + string.Join(", ", second.Ran()));
        Assert.AreEqual(7, second.Skipped().Length);
        Assert.AreEqual(first["final"].Hash, second["final"].Hash);
        Assert.AreEqual(9L << 20, second["final"].VirtualSize);
        Assert.IsNotNull(second["gate"].MeasuredRequired);
    }

    [TestMethod]
    public void ARunWithNothingToDoLeavesTheStateFileAsItIs()
    {
        using var f = NewPipeline();
        Assert.IsTrue(f.Run().Succeeded);
        Assert.IsTrue(f.Run().Succeeded);
        string state = BuildState.PathIn(f.OutputDir);
        var marked = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(state, marked);
        string before = File.ReadAllText(state);

        var again = f.Run();
        Assert.AreEqual(0, again.Ran().Length, "ran: " + string.Join(", ", again.Ran()));
        Assert.AreEqual(marked, File.GetLastWriteTimeUtc(state), "the state was rewritten (and flushed) with nothing to record");
        Assert.AreEqual(before, File.ReadAllText(state));

        File.WriteAllText(f["files/two.txt"], "layer two, changed\n");
        Assert.IsTrue(f.Run().Succeeded);
        Assert.AreNotEqual(marked, File.GetLastWriteTimeUtc(state), "a run that rebuilt steps saves their records");
    }

    [TestMethod]
    public void AnImageThroughASymbolicLinkRebuildsWhenItsFileChangesOrTheLinkMoves()
    {
        // CI caches often hand images over as links (base.qcow2 -> cache/...). The stamp of a link must follow the
        // file: .NET describes the link itself, whose size and time do not change when the file does.
        using var f = new RecipeFixture(
            "steps:\n  - id: disk\n    kind: image\n    file: disk.raw\n    format: raw\n" +
            "  - id: flat\n    kind: convert\n    from: disk\n    format: qcow2\n",
            ("a.raw", Filled(0x11)), ("b.raw", Filled(0x22)));
        File.CreateSymbolicLink(f["disk.raw"], "a.raw");
        // Times well in the past, so no stamp is racy (a racy stamp is rehashed every run, which would hide the bug).
        SetTime(f, "a.raw", hoursAgo: 3);
        SetTime(f, "b.raw", hoursAgo: 3);
        SetTime(f, "disk.raw", hoursAgo: 3);
        CollectionAssert.AreEquivalent(new[] { "disk", "flat" }, f.Run().Ran());
        Assert.AreEqual(0, f.Run().Ran().Length, "nothing changed: the stamps are trusted");

        using (var file = new FileStream(f["a.raw"], FileMode.Open, FileAccess.Write))
            file.Write(Filled(0x33), 0, 4096); // same size
        SetTime(f, "a.raw", hoursAgo: 2);
        CollectionAssert.Contains(f.Run().Ran(), "flat", "the file behind the link changed");

        File.Delete(f["disk.raw"]);
        File.CreateSymbolicLink(f["disk.raw"], "b.raw");
        SetTime(f, "disk.raw", hoursAgo: 1); // newer than either file: a link pointed elsewhere
        CollectionAssert.Contains(f.Run().Ran(), "flat", "the link now leads to another file of the same size");
        Assert.AreEqual(0, f.Run().Ran().Length);

        static byte[] Filled(byte value) => Enumerable.Repeat(value, 1 << 20).ToArray();
    }

    /// <summary>Sets a file's (or a link's own, not its target's) modification time to some hours ago.</summary>
    private static void SetTime(RecipeFixture f, string name, int hoursAgo) =>
        ImageBuild.Tests.Shared.ExternalTools.RunOk("touch", f.Dir, "-h", "-d", $"@{DateTimeOffset.UtcNow.AddHours(-hoursAgo).ToUnixTimeSeconds()}", name);

    [TestMethod]
    public void TouchingAnInputWithoutChangingItSkips()
    {
        using var f = NewPipeline();
        Assert.IsTrue(f.Run().Succeeded);
        File.SetLastWriteTimeUtc(f["files/one.txt"], DateTime.UtcNow.AddMinutes(5));
        File.SetLastWriteTimeUtc(f.Out("base.raw"), DateTime.UtcNow.AddMinutes(5));
        var again = f.Run();
        Assert.AreEqual(0, again.Ran().Length, "ran: " + string.Join(", ", again.Ran()));
        // The new stamps are remembered: a third run takes the fast path (nothing to hash).
        var state = BuildState.Load(f.OutputDir);
        Assert.AreEqual(File.GetLastWriteTimeUtc(f["files/one.txt"]).Ticks, state.Files[f["files/one.txt"]].MtimeTicks);
    }

    [TestMethod]
    public void ChangingOneInputRerunsExactlyTheStepsDownstream()
    {
        using var f = NewPipeline();
        var first = f.Run();
        f.WriteFile("files/two.txt", "layer two, changed\n"u8.ToArray());
        var again = f.Run();
        Assert.IsTrue(again.Succeeded);
        CollectionAssert.AreEquivalent(new[] { "two", "grown", "gate", "final" }, again.Ran());
        CollectionAssert.AreEquivalent(new[] { "base", "one", "side" }, again.Skipped());
        StringAssert.Contains(again["two"].Reason, "input 'file' changed");
        StringAssert.Contains(again["grown"].Reason, "input 'from' changed");
        Assert.AreNotEqual(first["final"].Hash, again["final"].Hash);
        var bytes = File.ReadAllBytes(f.Out("final.raw"));
        Assert.AreEqual("layer two, changed\n", System.Text.Encoding.ASCII.GetString(bytes, 2 << 20, 19));
    }

    [TestMethod]
    public void ChangingAParameterOrVariableRerunsTheStepAndDownstream()
    {
        using var f = NewPipeline();
        f.Run();
        var again = f.Run(set: new Dictionary<string, string> { ["size"] = "12M" });
        CollectionAssert.AreEquivalent(new[] { "base", "one", "two", "grown", "gate", "side", "final" }, again.Ran());
        StringAssert.Contains(again["base"].Reason, "parameters changed");
        Assert.AreEqual(13L << 20, again["final"].VirtualSize);
    }

    [TestMethod]
    public void SameValueSpelledDifferentlyKeepsTheKey()
    {
        using var f = NewPipeline();
        f.Run();
        var again = f.Run(set: new Dictionary<string, string> { ["size"] = "8388608" });
        Assert.AreEqual(0, again.Ran().Length, "ran: " + string.Join(", ", again.Ran()));
    }

    [TestMethod]
    public void ChangingAStepKindsEngineVersionRerunsThoseSteps()
    {
        using var f = NewPipeline();
        f.Run();
        var kinds = StepKinds.Default.WithVersion("resize", StepKinds.Default.Find("resize")!.Version + 1);
        var again = f.Run(kinds: kinds);
        CollectionAssert.Contains(again.Ran(), "grown");
        StringAssert.Contains(again["grown"].Reason, "engine version of 'resize' steps changed");
        // Same semantics in fact, so the rebuilt output is byte-identical and nothing downstream reruns.
        CollectionAssert.AreEquivalent(new[] { "grown" }, again.Ran());
    }

    [TestMethod]
    public void AModifiedOrMissingOutputIsRebuilt()
    {
        using var f = NewPipeline();
        f.Run();
        using (var fs = new FileStream(f.Out("side.raw"), FileMode.Open)) { fs.Position = 5 << 20; fs.WriteByte(1); }
        File.Delete(f.Out("final.raw"));
        var again = f.Run();
        CollectionAssert.AreEquivalent(new[] { "side", "final" }, again.Ran());
        StringAssert.Contains(again["side"].Reason, "was modified");
        StringAssert.Contains(again["final"].Reason, "is missing");
        Assert.AreEqual(0, File.ReadAllBytes(f.Out("side.raw"))[5 << 20]);
    }

    [TestMethod]
    public void PlanSaysWhatWouldRunWithoutRunning()
    {
        using var f = NewPipeline();
        var plan = f.Plan();
        Assert.IsTrue(plan.Steps.All(s => s.Status == StepStatus.WouldRun));
        Assert.IsFalse(Directory.Exists(f.OutputDir), "plan must not write");
        f.Run();
        f.WriteFile("files/one.txt", "changed\n"u8.ToArray());
        plan = f.Plan();
        CollectionAssert.AreEquivalent(new[] { "base", "side" },
            plan.Steps.Where(s => s.Status == StepStatus.Skipped).Select(s => s.Id).ToArray());
        StringAssert.Contains(plan["one"].Reason, "input 'file' changed");
        StringAssert.Contains(plan["two"].Reason, "input step 'one' will run");
        Assert.AreEqual("layer one\n", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(f.Out("one.raw")), 1 << 20, 10), "plan ran nothing");
    }
}
