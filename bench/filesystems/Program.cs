// Times FatWriter and Ext4Writer in this process against mkfs.vfat + mcopy -s and mke2fs -d on the same tree, in
// turns, each after every dirty page is written back (no writer pays for the one before), in rotating order. One untimed round first
// compiles the writers (the whole-run figures of run.sh include that cost; these do not).
// Usage: FilesystemBench TREE WORK SIZE_MIB RUNS
using System.Diagnostics;
using ImageBuild.Filesystems.Ext4;
using ImageBuild.Filesystems.Fat;
using ImageBuild.Filesystems.Trees;

string treeDir = args[0], work = args[1];
long size = long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) << 20;
int runs = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
var tree = TreeScanner.Scan(treeDir, new TreeScanOptions());
string img = Path.Combine(work, "bench.img"), scratch = Path.Combine(work, "scratch");
Directory.CreateDirectory(scratch);

void Fresh()
{
    File.Delete(img);
    using var f = new FileStream(img, FileMode.CreateNew, FileAccess.Write);
    f.SetLength(size);
}

void Settle()
{
    File.Delete(img);
    Shell("sync");
}

void Shell(string command)
{
    using var p = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    string err = p.StandardError.ReadToEnd();
    p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{command}: {err}");
}

double Time(Action action)
{
    Settle();
    var sw = Stopwatch.StartNew();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    int gcs = GC.CollectionCount(2); // BENCH_TRACE=1: each timing with its CPU time and gen2 collections, on stderr
    action();
    if (Environment.GetEnvironmentVariable("BENCH_TRACE") is not null)
        Console.Error.WriteLine($"{sw.Elapsed.TotalSeconds:0.000} s, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.000}, gen2 {GC.CollectionCount(2) - gcs}");
    return sw.Elapsed.TotalSeconds;
}

var cases = new (string Name, Action Run)[]
{
    ("fat32 | FatWriter", () =>
    {
        Fresh();
        using var f = new FileStream(img, FileMode.Open, FileAccess.ReadWrite);
        FatWriter.Write(f, 0, size, tree, new FatOptions { Type = FatType.Fat32 });
    }),
    ("fat32 | mkfs.vfat + mcopy -s", () =>
        Shell($"truncate -s {size} '{img}' && mkfs.vfat -F 32 '{img}' >/dev/null && mcopy -s -Q -D o -i '{img}' '{treeDir}'/* ::/")),
    ("ext4 | Ext4Writer", () =>
    {
        Fresh();
        Ext4Writer.Write(img, 0, size, tree, new Ext4Options { Uuid = Guid.Parse("6c2a1b4e-0d55-4f3e-9a51-7d6f1e2b3c4d"), HashSeed = Guid.Parse("0f3d5a7c-9b1e-4c2d-8e6f-a1b2c3d4e5f6"), TimestampSeconds = 1 }, scratch);
    }),
    ("ext4 | mke2fs -d", () => Shell($"mke2fs -q -F -t ext4 -d '{treeDir}' '{img}' {size >> 20}M")),
};

// BENCH_ONLY=fat32 (or ext4, "FatWriter,mke2fs", ...) keeps the cases whose name contains one of them: for a profiler.
if (Environment.GetEnvironmentVariable("BENCH_ONLY") is { Length: > 0 } only)
    cases = cases.Where(c => only.Split(',').Any(o => c.Name.Contains(o, StringComparison.Ordinal))).ToArray();
foreach (var c in cases) c.Run(); // compile, fill caches
var times = cases.ToDictionary(c => c.Name, _ => new List<double>());
// Each round starts one case later, so that every case follows every other equally often (what ran before, a
// large write or a large delete, still costs the next one something however settled).
for (int i = 0; i < runs; i++)
    for (int k = 0; k < cases.Length; k++)
    {
        var c = cases[(i + k) % cases.Length];
        times[c.Name].Add(Time(c.Run));
    }
Settle();

Console.WriteLine($"tree: {tree.Entries.Count} entries, {tree.TotalFileBytes >> 20} MiB of files; {size >> 20} MiB filesystems; {runs} runs, {Environment.ProcessorCount} cores");
Console.WriteLine();
Console.WriteLine("| filesystem | writer | median s | min s | max s |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var (name, list) in times)
{
    list.Sort();
    double median = list.Count % 2 == 1 ? list[list.Count / 2] : (list[list.Count / 2 - 1] + list[list.Count / 2]) / 2;
    Console.WriteLine($"| {name} | {median:0.00} | {list[0]:0.00} | {list[^1]:0.00} |");
}
