using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Tests.FaultInjection;
using ImageBuild.Recipes.Execution;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests.FaultInjection;

/// <summary>
/// Recipe steps under fault injection (the engine context of the run carries the fault plan; see
/// tests/ImageBuild.Engine.Tests/FaultInjection): at every change the steps' engine operations make to a host
/// file, a crash (the output directory as it is on disk at that moment) must leave no half-written image under
/// a final output name, and running the recipe again must rebuild exactly what an undisturbed run builds; an
/// EIO or ENOSPC there must fail the run with a one-line reason, after which a clean run succeeds.
/// The runner's own state files are written with ordinary file I/O and are not counted.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class RecipeFaultInjectionTests
{
    public TestContext TestContext { get; set; } = null!;

    private const string Yaml = """
        name: faults
        steps:
          - id: base
            kind: create
            format: qcow2
            size: 64k
            options:
              cluster_size: 1k
          - id: data
            kind: write
            from: base
            offset: 4k
            pattern: 0x5A
            length: 12k
          - id: snap
            kind: snapshot
            from: data
            name: s1
          - id: disk
            kind: compress
            from: snap
            type: zlib
            output: disk.qcow2
        """;

    [TestMethod]
    public void EveryCrashPointOfARecipeRunRebuildsToTheSameOutput()
    {
        using var f = new RecipeFixture(Yaml);
        var (reference, changes) = ReferenceRun(f);
        var problems = new List<string>();
        for (int n = 0; n < changes; n++)
        {
            string run = f[$"run{n}"], crash = f[$"crash{n}"];
            var plan = HostFaultPlan.CrashBefore(n, () => CopyTree(run, crash));
            Run(f, run, plan);
            Assert.IsTrue(plan.Triggered, $"crash point {n} not reached: the run is not deterministic");
            string where = $"crash before change #{n} ({plan.Changes[n].Change} {plan.Changes[n].File})";
            string final = Path.Combine(crash, "disk.qcow2");
            if (File.Exists(final))
            {
                var check = QemuOracle.Run(QemuOracle.QemuImg, ["check", "-f", "qcow2", final]);
                if (check.ExitCode != 0)
                    problems.Add($"{where}: disk.qcow2 is there after the crash and qemu-img check exits {check.ExitCode}");
            }
            var again = Run(f, crash, null);
            if (!again.Succeeded)
                problems.Add($"{where}: the run after the crash failed: {string.Join("; ", again.Steps.Select(s => s.Reason))}");
            else if (View(final) != reference)
                problems.Add($"{where}: the run after the crash built different content");
            Directory.Delete(run, true);
            Directory.Delete(crash, true);
        }
        TestContext.WriteLine($"{changes} crash points tried");
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    public void EveryFailedWriteOfARecipeRunFailsItWithOneLineAndACleanRunRecovers()
    {
        using var f = new RecipeFixture(Yaml);
        var (reference, changes) = ReferenceRun(f);
        var problems = new List<string>();
        for (int n = 0; n < changes; n++)
        {
            string run = f[$"run{n}"];
            int errno = n % 2 == 0 ? HostFaultPlan.EIO : HostFaultPlan.ENOSPC;
            var plan = HostFaultPlan.FailAt(n, errno);
            var result = Run(f, run, plan);
            string where = $"errno {errno} at change #{n} ({plan.Changes[n].Change} {plan.Changes[n].File})";
            var failed = result.Steps.Where(s => s.Status == StepStatus.Failed).ToList();
            if (result.Succeeded || failed.Count == 0)
                problems.Add($"{where}: the run succeeded");
            else if (failed.Any(s => s.Reason.Contains('\n') || s.Reason.Contains("internal error", StringComparison.Ordinal)))
                problems.Add($"{where}: {string.Join(" / ", failed.Select(s => s.Reason))}");
            var again = Run(f, run, null);
            if (!again.Succeeded || View(Path.Combine(run, "disk.qcow2")) != reference)
                problems.Add($"{where}: the clean run afterwards did not rebuild the same output");
            Directory.Delete(run, true);
        }
        TestContext.WriteLine($"{changes} failing changes tried");
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    private static (string Reference, int Changes) ReferenceRun(RecipeFixture f)
    {
        var counter = HostFaultPlan.Counting();
        var result = Run(f, f["reference"], counter);
        Assert.IsTrue(result.Succeeded, string.Join("; ", result.Steps.Select(s => s.Reason)));
        Assert.IsNotEmpty(counter.Changes);
        return (View(Path.Combine(f["reference"], "disk.qcow2")), counter.Changes.Count);
    }

    private static RunResult Run(RecipeFixture f, string outputDir, HostFaultPlan? plan)
    {
        var engine = new ImageContext(FormatRegistry.CreateDefault()) { HostFaults = plan };
        return new RecipeRunner(f.Load(), new RunOptions { OutputDir = outputDir, Jobs = 1, Engine = engine }).Run();
    }

    /// <summary>The guest content as qemu reads it (md5 of convert -O raw).</summary>
    private static string View(string image)
    {
        string raw = image + ".view";
        var r = QemuOracle.Run(QemuOracle.QemuImg, ["convert", "-f", "qcow2", "-O", "raw", image, raw]);
        if (r.ExitCode != 0) return "unreadable: " + r.StdErr;
        string md5 = QemuOracle.Md5OfFile(raw);
        File.Delete(raw);
        return md5;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal), overwrite: true);
    }
}
