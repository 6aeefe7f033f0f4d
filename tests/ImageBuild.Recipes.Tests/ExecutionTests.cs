using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

[TestClass]
public sealed class ExecutionTests
{
    [TestMethod]
    public void TwoRunsInDifferentDirectoriesGiveIdenticalBytes()
    {
        using var a = IncrementalTests.NewPipeline();
        using var b = IncrementalTests.NewPipeline();
        var ra = a.Run(jobs: 1);
        var rb = b.Run(jobs: 2);
        Assert.IsTrue(ra.Succeeded && rb.Succeeded);
        foreach (var step in ra.Steps.Where(s => s.Output is not null))
        {
            CollectionAssert.AreEqual(File.ReadAllBytes(a.Out(step.Output!)), File.ReadAllBytes(b.Out(step.Output!)), step.Output);
            Assert.AreEqual(step.Hash, rb[step.Id].Hash);
        }
        string Summary(RecipeFixture f) => File.ReadAllText(Path.Combine(f.OutputDir, RecipeRunner.SummaryFileName));
        Assert.AreEqual(Summary(a), Summary(b), "the summary holds no host data, paths or times");
    }

    [TestMethod]
    public void IndependentStepsRunInParallelAndJobsBoundsThem()
    {
        const string yaml = """
            steps:
              - id: base
                kind: create
                size: 4M
              - id: a
                kind: write
                from: base
                pattern: 1
                length: 1M
              - id: b
                kind: write
                from: base
                pattern: 2
                length: 1M
              - id: c
                kind: write
                from: base
                pattern: 3
                length: 1M
            """;
        int MaxConcurrent(int jobs)
        {
            using var f = new RecipeFixture(yaml);
            var probe = new ConcurrencyProbe(jobs, total: 3, grace: TimeSpan.FromMilliseconds(300));
            var recipe = f.Load();
            var r = new RecipeRunner(recipe, new RunOptions
            {
                OutputDir = f.OutputDir, Jobs = jobs,
                ExecutorFor = kind => kind == "write" ? probe.Wrap(Steps.StepExecutors.For(kind)!) : Steps.StepExecutors.For(kind),
            }).Run();
            Assert.IsTrue(r.Succeeded);
            for (int i = 0; i < 3; i++)
                Assert.AreEqual((byte)(i + 1), File.ReadAllBytes(f.Out($"{(char)('a' + i)}.raw"))[0]);
            return probe.Max;
        }
        Assert.AreEqual(1, MaxConcurrent(1), "--jobs 1 runs one step at a time");
        Assert.AreEqual(3, MaxConcurrent(3), "the three writes over the same base are independent");
        Assert.AreEqual(2, MaxConcurrent(2), "--jobs 2 bounds them");
    }

    /// <summary>
    /// Holds each step until as many as the runner may run are running (however long the machine takes to start
    /// them: no clock decides that), then a grace period longer for one more to start, which only a runner breaking
    /// its bound would start; records how many ran together. A step started when no more can follow waits for none.
    /// </summary>
    private sealed class ConcurrencyProbe(int expected, int total, TimeSpan grace)
    {
        private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);
        private readonly object _gate = new();
        private int _running;
        private int _started;
        public int Max { get; private set; }

        public Steps.IStepExecutor Wrap(Steps.IStepExecutor inner) => new Wrapped(this, inner);

        private void Enter()
        {
            lock (_gate)
            {
                _running++;
                _started++;
                Max = Math.Max(Max, _running);
                Monitor.PulseAll(_gate);
                WaitWhile(() => _running < expected && _started < total, Safety);
                if (_running >= expected)
                    WaitWhile(() => _running < total && _started < total, grace);
            }
        }

        /// <summary>Waits (holding the gate) while the condition holds, at most <paramref name="limit"/>. The time
        /// left is taken once and never negative: Monitor.Wait reads -1 ms as "forever".</summary>
        private void WaitWhile(Func<bool> condition, TimeSpan limit)
        {
            var deadline = DateTime.UtcNow + limit;
            for (var left = limit; condition() && left > TimeSpan.Zero; left = deadline - DateTime.UtcNow)
                Monitor.Wait(_gate, left);
        }

        private sealed class Wrapped(ConcurrencyProbe probe, Steps.IStepExecutor inner) : Steps.IStepExecutor
        {
            public Steps.StepResult Execute(Steps.StepContext context)
            {
                probe.Enter();
                try { return inner.Execute(context); }
                finally
                {
                    lock (probe._gate)
                    {
                        probe._running--;
                        Monitor.PulseAll(probe._gate);
                    }
                }
            }
        }
    }

    [TestMethod]
    public void AnInterruptedStepLeavesNothingALaterRunTrusts()
    {
        using var f = IncrementalTests.NewPipeline();
        Assert.IsTrue(f.Run().Succeeded);
        var state = BuildState.Load(f.OutputDir);
        // What a kill leaves: a half-written temporary, and (if killed after the rename but before the state was
        // saved) an output whose record is missing or stale.
        File.WriteAllBytes(Path.Combine(f.OutputDir, ".two.raw.partial"), new byte[12345]);
        File.WriteAllBytes(Path.Combine(f.OutputDir, ".two~top.partial"), new byte[10]);
        state.SetStep("two", null);
        state.Save(f.OutputDir);
        using (var fs = new FileStream(f.Out("grown.raw"), FileMode.Open)) fs.SetLength(100);

        var again = f.Run();
        Assert.IsTrue(again.Succeeded);
        CollectionAssert.Contains(again.Ran(), "two");
        CollectionAssert.Contains(again.Ran(), "grown");
        StringAssert.Contains(again["two"].Reason, "no earlier run recorded");
        Assert.IsEmpty(Directory.GetFiles(f.OutputDir, "*.partial"));
        Assert.AreEqual(9L << 20, new FileInfo(f.Out("grown.raw")).Length);
    }

    [TestMethod]
    public void AFailedRerunKeepsNoOutputAndIsRetried()
    {
        using var f = IncrementalTests.NewPipeline();
        Assert.IsTrue(f.Run().Succeeded);
        // The gate now fails: the measure's record must not let a later run skip it.
        string tight = File.ReadAllText(f.RecipePath).Replace("max-required: 16M", "max-required: 1M", StringComparison.Ordinal);
        f.WriteRecipe(tight);
        var failed = f.Run();
        Assert.IsFalse(failed.Succeeded);
        Assert.AreEqual(StepStatus.Failed, failed["gate"].Status);
        StringAssert.Contains(failed["gate"].Reason, "exceeds max-required 1048576");
        Assert.AreEqual(9L << 20, failed["gate"].MeasuredRequired, "measured sizes are reported even when the gate fails");
        Assert.AreEqual(StepStatus.Blocked, failed["final"].Status);
        var again = f.Run();
        Assert.AreEqual(StepStatus.Failed, again["gate"].Status, "a failed gate is never skipped");
    }

    [TestMethod]
    public void RemovedStepsLoseTheirOutputsAndRecords()
    {
        using var f = IncrementalTests.NewPipeline();
        Assert.IsTrue(f.Run().Succeeded);
        Assert.IsTrue(File.Exists(f.Out("side.raw")));
        var events = new List<RecipeEvent>();
        f.WriteRecipe(File.ReadAllText(f.RecipePath).Replace("""
              - id: side
                kind: write
                from: base
                offset: 3M
                pattern: 0x42
                length: 64k

            """.Replace("\r", ""), "", StringComparison.Ordinal));
        Assert.AreEqual(6, f.Load().Steps.Count, "the side step was removed from the recipe");
        var again = f.Run(events: events);
        Assert.AreEqual(0, again.Ran().Length);
        Assert.IsFalse(File.Exists(f.Out("side.raw")));
        Assert.IsFalse(BuildState.Load(f.OutputDir).Steps.ContainsKey("side"));
        Assert.IsTrue(events.Any(e => e.Type == "prune" && e.Step == "side"));
        Assert.IsTrue(File.Exists(f.Out("final.raw")));
    }

    [TestMethod]
    public void OneRunPerOutputDirectoryAtATime()
    {
        using var f = IncrementalTests.NewPipeline();
        Directory.CreateDirectory(Path.Combine(f.OutputDir, ".imagebuild"));
        using (new FileStream(Path.Combine(f.OutputDir, ".imagebuild", "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var e = Assert.ThrowsExactly<OutputDirBusyException>(() => f.Run());
            StringAssert.Contains(e.Message, "is in use by another run");
        }
        Assert.IsTrue(f.Run().Succeeded);
    }

    [TestMethod]
    public void StepsNeverChangeTheirInputs()
    {
        using var f = IncrementalTests.NewPipeline();
        Assert.IsTrue(f.Run().Succeeded);
        byte[] baseBytes = File.ReadAllBytes(f.Out("base.raw"));
        Assert.IsFalse(baseBytes.Any(b => b != 0), "writes went to copies, not to base.raw");
        Assert.AreEqual(8L << 20, new FileInfo(f.Out("two.raw")).Length, "resize worked on its own copy");
    }

    [TestMethod]
    public void OutputsStaySparse()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 1G
              - id: w
                kind: write
                from: base
                offset: 512M
                pattern: 9
                length: 64k
            """);
        Assert.IsTrue(f.Run().Succeeded);
        using var file = Engine.Host.HostFile.Open(f.Out("w.raw"), writable: false);
        Assert.IsLessThan(16L << 20, file.AllocatedBytes, "a 1 GiB image with 64 KiB of data stays sparse");
    }
}

[TestClass]
public sealed class SpeedTests
{
    [TestMethod]
    public void NoOpRerunOfAPipelineOfLargeSparseImagesIsUnderASecond()
    {
        using var f = new RecipeFixture("""
            steps:
              - id: base
                kind: create
                size: 8G
              - id: a
                kind: write
                from: base
                offset: 3G
                pattern: 1
                length: 8M
              - id: b
                kind: write
                from: a
                offset: 7G
                pattern: 2
                length: 8M
              - id: grown
                kind: resize
                from: b
                size: +4G
              - id: gate
                kind: measure
                from: grown
              - id: disk
                kind: convert
                from: grown
                format: raw
                after: [gate]
            """);
        Assert.IsTrue(f.Run().Succeeded);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var again = f.Run();
        clock.Stop();
        Assert.AreEqual(6, again.Skipped().Length);
        Assert.IsLessThan(1.0, clock.Elapsed.TotalSeconds, $"no-op rerun over 5 images of 8-12 GiB took {clock.Elapsed.TotalSeconds:0.000} s");

        // Touched outputs are rehashed by their data only: 12 GiB virtual, 16 MiB of data.
        foreach (var file in Directory.GetFiles(f.OutputDir, "*.raw"))
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(1));
        clock.Restart();
        again = f.Run();
        clock.Stop();
        Assert.AreEqual(6, again.Skipped().Length);
        Assert.IsLessThan(2.0, clock.Elapsed.TotalSeconds, $"rehash of touched sparse outputs took {clock.Elapsed.TotalSeconds:0.000} s");
    }

    [TestMethod]
    public void CancellationStopsStepsThatHaveNotStarted()
    {
        using var f = IncrementalTests.NewPipeline();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var recipe = f.Load();
        var r = new RecipeRunner(recipe, new RunOptions { OutputDir = f.OutputDir, Cancellation = cts.Token }).Run();
        Assert.IsFalse(r.Succeeded);
        Assert.IsTrue(r.Steps.All(s => s.Status == StepStatus.Blocked));
        StringAssert.Contains(r["base"].Reason, "cancelled");
    }

    /// <summary>A raw output larger than the filesystem allows fails the step with qemu's words, not .NET's.</summary>
    [TestMethod]
    public void ConvertingToARawFileTooLargeForTheFilesystemFailsInQemusWords()
    {
        const string yaml = """
            steps:
              - id: big
                kind: create
                format: qcow2
                size: 2P
              - id: disk
                kind: convert
                from: big
                format: raw
            """;
        using var f = new RecipeFixture(yaml);
        var r = f.Run();
        Assert.IsFalse(r.Succeeded);
        Assert.AreEqual(StepStatus.Failed, r["disk"].Status);
        StringAssert.Contains(r["disk"].Reason, "error while converting raw: Could not resize file: File too large");
        Assert.IsFalse(r["disk"].Reason!.Contains("internal error", StringComparison.Ordinal), r["disk"].Reason);
        Assert.IsFalse(File.Exists(f.Out("disk.raw")), "no output left behind");
    }
}
