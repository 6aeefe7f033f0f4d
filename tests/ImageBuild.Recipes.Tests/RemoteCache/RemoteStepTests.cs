using System.Text.Json;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Host;

namespace ImageBuild.Recipes.Tests.RemoteCache;

/// <summary>
/// The runner with a remote step cache, against an in-memory store: two output directories act as two machines.
/// The pipeline is <see cref="IncrementalTests.Pipeline"/> (7 steps, a measure gate among them).
/// </summary>
[TestClass]
public sealed class RemoteStepTests
{
    private static readonly string[] All = ["base", "one", "two", "grown", "gate", "side", "final"];
    private static readonly string[] Outputs = ["base.raw", "one.raw", "two.raw", "grown.raw", "side.raw", "final.raw"];

    [TestMethod]
    public void ASecondMachinePullsEveryStepAndGetsTheSameBytes()
    {
        using var f = IncrementalTests.NewPipeline();
        using var store = new MemoryStepCache();
        var a = RemoteRun.Run(f, f.OutputDir, RemoteRun.Both(store));
        Assert.IsTrue(a.Succeeded, Reasons(a));
        CollectionAssert.AreEquivalent(All, a.Ran());
        Assert.AreEqual(7, store.Keys.Count, "every built step is pushed, the gate's record too");
        Assert.IsNull(store.RecordOf(Key(f.OutputDir, "gate")).Output);

        string b = f["agent-b"];
        var events = new List<RecipeEvent>();
        var pulled = RemoteRun.Run(f, b, RemoteRun.Both(store), events);
        Assert.IsTrue(pulled.Succeeded, Reasons(pulled));
        Assert.AreEqual(0, pulled.Ran().Length, "built: " + string.Join(", ", pulled.Ran()));
        CollectionAssert.AreEquivalent(All, pulled.Pulled());
        foreach (string name in Outputs)
            CollectionAssert.AreEqual(File.ReadAllBytes(f.Out(name)), File.ReadAllBytes(Path.Combine(b, name)), name);
        Assert.AreEqual(a["gate"].MeasuredRequired, pulled["gate"].MeasuredRequired);
        Assert.AreEqual(a["final"].Hash, pulled["final"].Hash);
        Assert.AreEqual(7, store.Stores, "nothing pulled from the store is pushed back to it");
        Assert.IsFalse(Directory.Exists(PartialFolder.OfState(b, BuildState.DefaultName)), "no partial folder is left");

        var lines = RemoteRun.Lines(events);
        Assert.IsTrue(lines.Any(l => l.StartsWith("pulled  base (create) from oci://cache.test/steps (", StringComparison.Ordinal) && l.EndsWith(" s)", StringComparison.Ordinal)), string.Join("\n", lines));
        StringAssert.Contains(lines[^1], "ok: 0 ran, 7 pulled, 0 up to date, 0 failed, 0 not run, 0 pushed to oci://cache.test/steps");
        var explained = RemoteRun.Lines(events, explain: true);
        Assert.IsTrue(explained.Any(l => l.StartsWith("pulled  gate (measure) from oci://cache.test/steps", StringComparison.Ordinal)
            && l.Contains("no earlier run recorded in this output directory; key ", StringComparison.Ordinal) && l.EndsWith("found in oci://cache.test/steps", StringComparison.Ordinal)),
            string.Join("\n", explained));
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(b, RecipeRunner.SummaryFileName))))
        {
            var final = summary.RootElement.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "final");
            Assert.AreEqual("pulled", final.GetProperty("status").GetString());
            Assert.AreEqual(a["final"].Hash, final.GetProperty("output").GetProperty("hash").GetString());
            Assert.IsTrue(summary.RootElement.GetProperty("succeeded").GetBoolean());
        }

        // Pulled outputs are recorded as built ones: the next run finds everything up to date and pushes nothing.
        var again = RemoteRun.Run(f, b, RemoteRun.Both(store));
        CollectionAssert.AreEquivalent(All, again.Skipped());
        Assert.AreEqual(7, store.Stores);
    }

    [TestMethod]
    public void AMissBuildsHereAndExplainSaysTheStoreLacksTheKey()
    {
        using var f = IncrementalTests.NewPipeline();
        using var store = new MemoryStepCache();
        var events = new List<RecipeEvent>();
        var r = RemoteRun.Run(f, f.OutputDir, RemoteRun.ReadOnly(store), events);
        Assert.IsTrue(r.Succeeded, Reasons(r));
        CollectionAssert.AreEquivalent(All, r.Ran());
        Assert.AreEqual(0, store.Stores, "a read-only cache is never written");
        Assert.IsFalse(events.Any(e => e.Type == "warning"), "a miss is no problem");
        var lines = RemoteRun.Lines(events, explain: true);
        CollectionAssert.Contains(lines, "run   base (create): no earlier run recorded in this output directory; key not in oci://cache.test/steps");
        StringAssert.Contains(lines[^1], "ok: 7 ran, 0 pulled, 0 up to date");
    }

    [TestMethod]
    public void FilesThatDoNotMatchTheirRecordAreDiscardedAndBuiltHere()
    {
        using var f = IncrementalTests.NewPipeline();
        using var store = new MemoryStepCache();
        Assert.IsTrue(RemoteRun.Run(f, f.OutputDir, RemoteRun.Both(store)).Succeeded);
        store.AlterFetched = path =>
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            s.Position = 5 << 20;
            s.WriteByte(0x77);
        };
        string b = f["agent-b"];
        var events = new List<RecipeEvent>();
        var r = RemoteRun.Run(f, b, RemoteRun.ReadOnly(store), events);
        Assert.IsTrue(r.Succeeded, Reasons(r));
        // The gate has no file: its record is used once its input, built here, hashes as it did there.
        CollectionAssert.AreEquivalent(new[] { "gate" }, r.Pulled());
        CollectionAssert.AreEquivalent(All.Except(["gate"]).ToArray(), r.Ran());
        var warnings = events.Where(e => e.Type == "warning").Select(e => e.Message!).ToList();
        Assert.AreEqual(6, warnings.Count, string.Join("\n", warnings));
        StringAssert.StartsWith(warnings.Single(w => w.Contains("'final'", StringComparison.Ordinal)),
            "oci://cache.test/steps: step 'final': file 'final.raw' has content hash ");
        Assert.IsTrue(warnings.All(w => w.EndsWith("; building it here", StringComparison.Ordinal)), string.Join("\n", warnings));
        foreach (string name in Outputs)
            CollectionAssert.AreEqual(File.ReadAllBytes(f.Out(name)), File.ReadAllBytes(Path.Combine(b, name)), name);
        Assert.IsFalse(Directory.Exists(PartialFolder.OfState(b, BuildState.DefaultName)));
    }

    [TestMethod]
    public void AStoreThatIsDownIsAWarningUnlessRequired()
    {
        using var f = IncrementalTests.NewPipeline();
        using var store = new MemoryStepCache { Down = true };
        var events = new List<RecipeEvent>();
        var r = RemoteRun.Run(f, f.OutputDir, RemoteRun.Both(store), events);
        Assert.IsTrue(r.Succeeded, Reasons(r));
        CollectionAssert.AreEquivalent(All, r.Ran());
        var warnings = events.Where(e => e.Type == "warning").Select(e => e.Message!).ToList();
        CollectionAssert.Contains(warnings, "oci://cache.test/steps: cannot look up step 'base': cannot connect to cache.test:443 (connection refused); building it here");
        // Which built step's push fails first depends on which finishes first ('base' or the independent 'side');
        // after it the store is known to be down and no later push tries (one already under way may).
        var pushWarnings = warnings.Where(w => w.Contains("cannot push", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(pushWarnings.Count is 1 or 2, string.Join("\n", warnings));
        foreach (string w in pushWarnings)
            StringAssert.Matches(w, new System.Text.RegularExpressions.Regex(
                "^oci://cache.test/steps: cannot push step '[a-z-]+': cannot connect to cache.test:443 \\(connection refused\\); the build goes on without it$"));
        StringAssert.Contains(RemoteRun.Lines(events)[^1], "0 pushed to oci://cache.test/steps (7 could not be)");
        // A store that cannot be reached is not asked again in this run (pushes already started may still try once).
        Assert.AreEqual(1, warnings.Count(w => w.Contains("cannot look up", StringComparison.Ordinal)), string.Join("\n", warnings));
        Assert.IsTrue(store.Attempts <= 3, $"{store.Attempts} calls");
        CollectionAssert.Contains(RemoteRun.Lines(events, explain: true), "run   final (convert): no earlier run recorded in this output directory; oci://cache.test/steps could not be used earlier in this run; not asked again");

        var required = RemoteRun.Run(f, f["agent-b"], RemoteRun.Both(store, required: true));
        Assert.IsFalse(required.Succeeded);
        Assert.AreEqual(StepStatus.Failed, required["base"].Status);
        Assert.AreEqual("oci://cache.test/steps: cannot look up step 'base': cannot connect to cache.test:443 (connection refused) (the step cache is required)", required["base"].Reason);
        Assert.AreEqual(StepStatus.Blocked, required["final"].Status);
        Assert.IsFalse(File.Exists(Path.Combine(f["agent-b"], "base.raw")));
    }

    [TestMethod]
    public void ARefusedPushFailsItsStepOnlyWhenTheCacheIsRequired()
    {
        using var f = IncrementalTests.NewPipeline();
        using var store = new MemoryStepCache { RefusesPushes = true };
        var r = RemoteRun.Run(f, f.OutputDir, RemoteRun.WriteOnly(store, required: true));
        Assert.IsFalse(r.Succeeded);
        Assert.AreEqual(StepStatus.Failed, r["final"].Status);
        Assert.AreEqual("oci://cache.test/steps: cannot push step 'final': push refused (403 denied) (the step cache is required)", r["final"].Reason);
        Assert.IsTrue(File.Exists(f.Out("final.raw")), "the build itself stands");

        store.RefusesPushes = false;
        var again = RemoteRun.Run(f, f.OutputDir, RemoteRun.WriteOnly(store, required: true));
        Assert.IsTrue(again.Succeeded, Reasons(again));
        CollectionAssert.AreEquivalent(All, again.Skipped());
        Assert.AreEqual(7, store.Keys.Count, "the steps built before are pushed once the store takes them");
    }

    [TestMethod]
    public void StepsUpToDateHereThatTheStoreLacksArePushed()
    {
        using var f = IncrementalTests.NewPipeline();
        Assert.IsTrue(f.Run().Succeeded);
        using var store = new MemoryStepCache();
        var events = new List<RecipeEvent>();
        var r = RemoteRun.Run(f, f.OutputDir, RemoteRun.WriteOnly(store), events);
        CollectionAssert.AreEquivalent(All, r.Skipped());
        Assert.AreEqual(7, store.Stores);
        StringAssert.Contains(RemoteRun.Lines(events)[^1], "ok: 0 ran, 7 up to date, 0 failed, 0 not run, 7 pushed to oci://cache.test/steps");
        Assert.IsTrue(RemoteRun.Lines(events).Any(l => l.StartsWith("pushed  final (convert) to oci://cache.test/steps (", StringComparison.Ordinal)));
        // Records travel without this machine's modification times.
        Assert.AreEqual(0, store.RecordOf(Key(f.OutputDir, "final")).OutputStamp!.MtimeTicks);

        var again = RemoteRun.Run(f, f.OutputDir, RemoteRun.WriteOnly(store));
        Assert.AreEqual(7, store.Stores, "present keys are not pushed again");
        Assert.AreEqual(14, store.Contained);
        Assert.IsTrue(again.Succeeded);
    }

    [TestMethod]
    public void APushRunsWhileItsDependentsBuild()
    {
        using var f = IncrementalTests.NewPipeline();
        using var inner = new MemoryStepCache();
        using var finalDone = new ManualResetEventSlim();
        var store = new GatedStore(inner, "base", finalDone);
        var events = new List<RecipeEvent>();
        var r = new RecipeRunner(f.Load(), new RunOptions
        {
            OutputDir = f.OutputDir, Jobs = 2, RemoteCaches = RemoteRun.WriteOnly(store),
            Sinks = [new SignalOn("done", "final", finalDone), new ListSink(events)],
        }).Run();
        Assert.IsTrue(r.Succeeded, Reasons(r));
        Assert.IsTrue(store.Waited, "the push of 'base' waited for 'final' to be built");
        Assert.AreEqual(7, inner.Keys.Count);
        // The run ends after its pushes: the finish line comes after the last push.
        int finish = events.FindIndex(e => e.Type == "finish");
        Assert.IsTrue(events.FindLastIndex(e => e.Type == "push") < finish);
    }

    [TestMethod]
    public void AMovedTagServingAnotherStepsEntryIsNotUsed()
    {
        using var f = IncrementalTests.NewPipeline();
        using var store = new MemoryStepCache();
        Assert.IsTrue(RemoteRun.Run(f, f.OutputDir, RemoteRun.Both(store)).Succeeded);
        string baseKey = Key(f.OutputDir, "base"), sideKey = Key(f.OutputDir, "side");
        store.Alias(baseKey, sideKey);
        var events = new List<RecipeEvent>();
        var r = RemoteRun.Run(f, f["agent-b"], RemoteRun.ReadOnly(store), events);
        Assert.IsTrue(r.Succeeded, Reasons(r));
        CollectionAssert.AreEquivalent(new[] { "base" }, r.Ran());
        Assert.AreEqual(6, r.Pulled().Length);
        Assert.AreEqual($"oci://cache.test/steps: step 'base': its entry holds the record of key {sideKey}, not {baseKey}; building it here",
            events.Single(e => e.Type == "warning").Message);
        CollectionAssert.AreEqual(File.ReadAllBytes(f.Out("base.raw")), File.ReadAllBytes(Path.Combine(f["agent-b"], "base.raw")));
    }

    [TestMethod]
    public void ThePlanSaysWhatWouldBePulledWithoutDownloadingIt()
    {
        using var f = IncrementalTests.NewPipeline();
        using var store = new MemoryStepCache();
        Assert.IsTrue(RemoteRun.Run(f, f.OutputDir, RemoteRun.Both(store)).Succeeded);
        var events = new List<RecipeEvent>();
        var plan = RemoteRun.Plan(f, f["agent-b"], RemoteRun.ReadOnly(store), events);
        // Dependents of a step that would be pulled have known keys (the record gives the output's hash).
        Assert.IsTrue(plan.Steps.All(s => s.Status == StepStatus.WouldPull), string.Join(", ", plan.Steps.Select(s => $"{s.Id}={s.Status}")));
        Assert.AreEqual(0, store.Fetches, "a plan downloads no file");
        var lines = RemoteRun.Lines(events);
        Assert.IsTrue(lines.Any(l => l.StartsWith("pull  final (convert): no earlier run recorded in this output directory; key ", StringComparison.Ordinal)), string.Join("\n", lines));
        StringAssert.StartsWith(lines[^1], "plan: 0 would run, 7 would pull from oci://cache.test/steps, 0 up to date");
        Assert.IsFalse(Directory.Exists(f["agent-b"]) && Directory.EnumerateFileSystemEntries(f["agent-b"]).Any(), "a plan writes nothing");

        var without = RemoteRun.Plan(f, f["agent-b"], null);
        Assert.IsTrue(without.Steps.All(s => s.Status == StepStatus.WouldRun));
    }

    /// <summary>
    /// An existing image is never cached; the steps over it are, with keys that do not depend on where the checkout
    /// is: a second checkout elsewhere pulls them (an overlay over the image names it relative to the output directory).
    /// </summary>
    [TestMethod]
    public void ImageStepsAreNotCachedAndKeysDoNotDependOnTheCheckoutsPlace()
    {
        const string recipe = """
            steps:
              - id: disk
                kind: image
                file: images/disk.raw
                format: raw
              - id: layer
                kind: overlay
                from: disk
              - id: data
                kind: write
                from: layer
                offset: 64k
                pattern: 0x33
                length: 4k
              - id: flat
                kind: convert
                from: data
                format: raw
            """;
        var disk = new byte[1 << 20];
        disk.AsSpan(0, 4096).Fill(0x11);
        using var one = new RecipeFixture(recipe, ("images/disk.raw", disk));
        using var two = new RecipeFixture(recipe, ("images/disk.raw", disk));
        using var store = new MemoryStepCache();
        var a = RemoteRun.Run(one, one.OutputDir, RemoteRun.Both(store));
        Assert.IsTrue(a.Succeeded, Reasons(a));
        Assert.AreEqual(3, store.Keys.Count, "the image step has no entry");
        Assert.IsFalse(store.Keys.Any(k => store.RecordOf(k).Kind == "image"));

        var b = RemoteRun.Run(two, two.OutputDir, RemoteRun.Both(store));
        Assert.IsTrue(b.Succeeded, Reasons(b));
        CollectionAssert.AreEquivalent(new[] { "disk" }, b.Ran());
        CollectionAssert.AreEquivalent(new[] { "layer", "data", "flat" }, b.Pulled());
        CollectionAssert.AreEqual(File.ReadAllBytes(one.Out("flat.raw")), File.ReadAllBytes(two.Out("flat.raw")));
        StringAssert.Contains(BuildState.Load(two.OutputDir).GetStep("layer")!.Inputs["from"], "../images/disk.raw:raw:");
    }

    [TestMethod]
    public void StepsNamingASecretAreNeitherPulledNorPushed()
    {
        string variable = SecretTests.Variable("correct horse battery staple");
        using var f = new RecipeFixture($$"""
            secrets:
              pass: {env: {{variable}}}
            steps:
              - id: plain
                kind: create
                size: 1M
              - id: sealed
                kind: create
                format: luks
                size: 1M
                options:
                  key-secret: pass
            """);
        using var store = new MemoryStepCache();
        var r = RemoteRun.Run(f, f.OutputDir, RemoteRun.Both(store));
        Assert.IsTrue(r.Succeeded, Reasons(r));
        Assert.AreEqual(1, store.Keys.Count);
        Assert.AreEqual("plain.raw", store.RecordOf(store.Keys.Single()).Output);
    }

    /// <summary>
    /// A step just built is pushed with the runs of non-zero blocks its hashing found (so the push reads each file
    /// once), exactly the file's runs; a step up to date here is pushed without (the store scans it).
    /// </summary>
    [TestMethod]
    public void ABuiltStepIsPushedWithTheDataRunsItsHashingFoundAnUpToDateOneWithout()
    {
        using var f = IncrementalTests.NewPipeline();
        using var store = new MemoryStepCache();
        Assert.IsTrue(RemoteRun.Run(f, f.OutputDir, RemoteRun.WriteOnly(store)).Succeeded);
        foreach (string name in Outputs)
        {
            string key = store.Keys.Single(k => store.RecordOf(k).Output == name);
            var given = store.ExtentsGiven(key).Single();
            Assert.IsNotNull(given, name);
            byte[] bytes = File.ReadAllBytes(f.Out(name));
            var runs = new List<Oci.Layers.DataExtent>();
            for (int at = 0; at < bytes.Length; at += 4096)
            {
                int len = Math.Min(4096, bytes.Length - at);
                if (!bytes.AsSpan(at, len).ContainsAnyExcept((byte)0)) continue;
                if (runs.Count > 0 && runs[^1].End == at) runs[^1] = runs[^1] with { Length = runs[^1].Length + len };
                else runs.Add(new Oci.Layers.DataExtent(at, len));
            }
            CollectionAssert.AreEqual(runs, given.ToList(), name);
        }

        using var other = new MemoryStepCache("oci://other.test/steps");
        var upToDate = RemoteRun.Run(f, f.OutputDir, RemoteRun.WriteOnly(other));
        Assert.AreEqual(7, upToDate.Skipped().Length);
        Assert.AreEqual(7, other.Stores, "up to date here, missing there: pushed");
        Assert.IsTrue(other.Keys.All(k => other.ExtentsGiven(k).All(e => e is null)), "not hashed in this run: no runs known");
    }

    private static string Key(string outputDir, string step) => BuildState.Load(outputDir).GetStep(step)!.Key;

    private static string Reasons(RunResult r) => string.Join("; ", r.Steps.Select(s => $"{s.Id}: {s.Status} {s.Reason}"));

    /// <summary>Holds the push of one step until a signal: the run must build everything else meanwhile.</summary>
    private sealed class GatedStore(MemoryStepCache inner, string heldStep, ManualResetEventSlim release) : IStepCache
    {
        public bool Waited { get; private set; }
        public string Name => inner.Name;
        public CachedStep? Find(string key, CancellationToken ct) => inner.Find(key, ct);
        public IReadOnlyList<FetchedFile>? Fetch(CachedStep entry, string directory, CancellationToken ct) => inner.Fetch(entry, directory, ct);
        public bool Contains(string key, CancellationToken ct) => inner.Contains(key, ct);

        public void Store(string key, StepRecord record, IReadOnlyList<StepFile> files, CancellationToken ct)
        {
            if (record.Output == heldStep + ".raw")
            {
                if (!release.Wait(TimeSpan.FromSeconds(20), ct))
                    throw new StepCacheException($"{Name}: the push of '{heldStep}' held its dependents");
                Waited = true;
            }
            inner.Store(key, record, files, ct);
        }
    }

    private sealed class SignalOn(string type, string step, ManualResetEventSlim signal) : IRecipeEventSink
    {
        public void OnEvent(RecipeEvent e)
        {
            if (e.Type == type && e.Step == step) signal.Set();
        }
    }

    private sealed class ListSink(List<RecipeEvent> events) : IRecipeEventSink
    {
        public void OnEvent(RecipeEvent e)
        {
            lock (events) events.Add(e);
        }
    }
}
