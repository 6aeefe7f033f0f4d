using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.FaultInjection.CrashPointVerifier;

namespace ImageBuild.Engine.Tests.FaultInjection;

/// <summary>
/// Every write path (<see cref="CrashCases"/>) under fault injection, at every change it makes to a host file:
/// a crash before change N (changes 0..N-1 on disk, nothing after) must leave images qemu-img check calls clean
/// or leaky, with the data that was there before still reading back, and an image whose last flush of the
/// operation had completed reading as the finished operation left it; an EIO or ENOSPC at change N must end the
/// operation with a one-line ImageException and leave the same guarantees.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class FaultInjectionTests
{
    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Cases => CrashCases.All.Select(c => new object[] { c.Name });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void EveryCrashPointLeavesAConsistentImage(string name)
    {
        var c = CrashCases.All.Single(x => x.Name == name);
        using var tmp = new TempDir();
        var (orig, before, after, changes, createChanges) = Prepare(c, tmp);
        var problems = new List<string>();
        int afterAFlush = 0;
        for (int n = 0; n <= changes.Count; n++)
        {
            string work = tmp[$"work{n}"], crash = tmp[$"crash{n}"];
            CopyDirectory(orig, work);
            var plan = n < changes.Count ? HostFaultPlan.CrashBefore(n, () => CopyDirectory(work, crash)) : HostFaultPlan.Counting();
            try { c.Run(Context(plan), work); }
            catch (Exception) when (plan.Triggered) { }
            if (n == changes.Count)
                CopyDirectory(work, crash);
            Assert.AreEqual(n < changes.Count, plan.Triggered, $"{name}: the run is not deterministic (crash point {n} not reached)");
            string where = n < changes.Count ? $"crash before change #{n} ({changes[n].Change} {changes[n].File})" : "after the last change";
            var flushed = c.Images.Select(i => i.Name)
                .Where(img => changes.FindLastIndex(ch => ch.Change == Host.HostFileChange.Flush && ch.File == img) is int last && last >= 0 && last < n)
                .ToHashSet(StringComparer.Ordinal);
            if (flushed.Count > 0 && n < changes.Count) afterAFlush++;
            problems.AddRange(Problems(c, crash, before, after, n < createChanges, flushed).Select(p => $"{name}, {where}: {p}"));
            Directory.Delete(work, true);
            Directory.Delete(crash, true);
        }
        TestContext.WriteLine($"{name}: {changes.Count + 1} crash points tried, {afterAFlush} of them after a completed last flush of an image");
        foreach (string file in changes.Select(ch => ch.File).Distinct())
            if (changes.Last(ch => ch.File == file).Change != Host.HostFileChange.Flush)
                problems.Add($"{name}: the last change to {file} is not a flush: the operation ends with data that may not be on disk");
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void EveryFailedWriteIsOneImageExceptionAndNoCorruption(string name)
    {
        var c = CrashCases.All.Single(x => x.Name == name);
        using var tmp = new TempDir();
        var (orig, before, after, changes, createChanges) = Prepare(c, tmp);
        var problems = new List<string>();
        for (int n = 0; n < changes.Count; n++)
        {
            string work = tmp[$"work{n}"];
            CopyDirectory(orig, work);
            int errno = n % 2 == 0 ? HostFaultPlan.EIO : HostFaultPlan.ENOSPC;
            var plan = HostFaultPlan.FailAt(n, errno);
            Exception? error = null;
            try { c.Run(Context(plan), work); }
            catch (Exception e) { error = e; }
            string where = $"{name}, errno {errno} at change #{n} ({changes[n].Change} {changes[n].File})";
            if (error is null)
                problems.Add($"{where}: the operation succeeded");
            else if (error is not ImageException)
                problems.Add($"{where}: {error.GetType().Name}: {error.Message}");
            else if (error.Message.Contains('\n') && error is not Engine.Operations.ErrorReportsException)
                problems.Add($"{where}: message of several lines: {error.Message}");
            problems.AddRange(Problems(c, work, before, after, n < createChanges).Select(p => $"{where}: {p}"));
            Directory.Delete(work, true);
        }
        TestContext.WriteLine($"{name}: {changes.Count} failing changes tried");
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    /// <summary>Sets the case up once, runs it fully (counting its changes) and records the views before and after.</summary>
    private static (string Orig, Dictionary<string, byte[]?> Before, Dictionary<string, byte[]?> After, List<(Host.HostFileChange Change, string File)> Changes, int CreateChanges)
        Prepare(CrashCase c, TempDir tmp)
    {
        string orig = tmp["orig"];
        Directory.CreateDirectory(orig);
        c.Setup(orig);
        var before = Views(c, orig);
        string full = tmp["full"];
        CopyDirectory(orig, full);
        var counter = HostFaultPlan.Counting();
        c.Run(Context(counter), full);
        var after = Views(c, full);
        Assert.IsNotEmpty(counter.Changes, $"{c.Name} made no change to any file");
        int createChanges = 0;
        if (c.CreateStep is not null)
        {
            string create = tmp["create"];
            CopyDirectory(orig, create);
            var createCounter = HostFaultPlan.Counting();
            c.CreateStep(Context(createCounter), create);
            createChanges = createCounter.Changes.Count;
        }
        return (orig, before, after, counter.Changes, createChanges);
    }
}
