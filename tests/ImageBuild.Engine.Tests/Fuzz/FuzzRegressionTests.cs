using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;
using ImageBuild.Fuzz;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Fuzz;

/// <summary>
/// Replays the fuzzing findings kept in Fuzz/Regressions (see tests/ImageBuild.Fuzz/README.md): each file is a
/// qemu-made seed plus byte patches. Files in Regressions/ are replayed always; files in Regressions/Open/ are
/// findings in code being fixed elsewhere (tests/ImageBuild.Fuzz/FINDINGS.md) and are replayed once their name is
/// listed in Regressions/Open/FIXED. A replayed file must (1) fail only with ImageException under the fuzz
/// exercise and (2) make info, check and convert end as qemu-img 7.2 does (the exit codes in the file, which
/// qemu-img itself is checked against), or as the file says we deliberately do instead (README.md); where the file
/// gives qemu's virtual size, ours must be the same.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class FuzzRegressionTests
{
    private static string Root => Path.Combine(AppContext.BaseDirectory, "Fuzz", "Regressions");

    private static IEnumerable<string> AllFiles() =>
        Directory.EnumerateFiles(Root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>The files replayed now: the closed ones and the open ones listed as fixed.</summary>
    private static List<string> Replayed()
    {
        string fixedList = Path.Combine(Root, "Open", "FIXED");
        var fixedNames = File.Exists(fixedList)
            ? File.ReadAllLines(fixedList).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet(StringComparer.Ordinal)
            : [];
        var replayed = AllFiles().Where(f => Path.GetDirectoryName(f) == Root || fixedNames.Contains(Path.GetFileNameWithoutExtension(f))).ToList();
        Assert.IsNotEmpty(replayed, "no regression file to replay");
        return replayed;
    }

    [TestMethod]
    public void EveryRegressionFileRebuildsFromItsSeed()
    {
        var files = AllFiles().ToList();
        Assert.IsNotEmpty(files);
        using var scratch = new Scratch();
        foreach (string f in files)
        {
            var r = RegressionFile.Load(f);
            Assert.AreEqual(Path.GetFileNameWithoutExtension(f), r.Name, f);
            byte[] seed = SeedCatalog.Make(SeedCatalog.Find(r.Seed), scratch.Directory);
            byte[] patched = r.Apply(seed);
            Assert.IsFalse(patched.AsSpan().SequenceEqual(seed), $"{r.Name}: the patches change nothing");
            Assert.IsFalse(string.IsNullOrWhiteSpace(r.Finding), $"{r.Name}: say what was found");
        }
    }

    [TestMethod]
    public void ReplayedFindingsFailOnlyWithImageException()
    {
        var context = ImageContext.CreateDefault();
        using var scratch = new Scratch();
        var problems = new List<string>();
        foreach (string f in Replayed())
        {
            string path = Materialize(RegressionFile.Load(f), scratch);
            try { ImageExercise.Run(context.WithWorkingDirectory(scratch.Directory), path, "qcow2", scratch.PathOf("copy.qcow2")); }
            catch (ImageException) { }
            catch (Exception e) { problems.Add($"{Path.GetFileName(f)}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    [TestMethod]
    public void ReplayedFindingsEndAsInQemu()
    {
        using var scratch = new Scratch();
        var problems = new List<string>();
        foreach (string f in Replayed())
        {
            var r = RegressionFile.Load(f);
            string path = Materialize(r, scratch);
            var qemu = new QemuExpectation(
                QemuExit(scratch, "info", "-f", "qcow2", path),
                QemuExit(scratch, "check", "-f", "qcow2", path),
                QemuExit(scratch, "convert", "-f", "qcow2", "-O", "raw", path, scratch.PathOf("q.raw")));
            Assert.AreEqual(r.Qemu, qemu, $"{r.Name}: qemu-img no longer does what the file says");
            if (r.QemuVirtualSize is long size)
            {
                var info = QemuOracle.Run(QemuOracle.QemuImg, ["info", "--output=json", "-f", "qcow2", path], scratch.Directory);
                Assert.AreEqual(size, System.Text.Json.JsonDocument.Parse(info.StdOut).RootElement.GetProperty("virtual-size").GetInt64(), $"{r.Name}: qemu's virtual size");
                long ourSize = OurVirtualSize(path);
                if (ourSize != size)
                    problems.Add($"{r.Name} ({r.Finding}): virtual size qemu {size}, ours {ourSize}");
            }
            // qemu-img ran in the scratch folder, where a relative data file name is found: so does the engine
            var context = Context.WithWorkingDirectory(scratch.Directory);
            var ours = new QemuExpectation(OurInfo(context, path), OurCheck(context, path), OurConvert(context, path));
            var expected = r.Ours ?? r.Qemu;
            if (ours != expected)
                problems.Add($"{r.Name} ({r.Finding}): expected {expected}{(r.Ours is null ? " as qemu" : " (a deliberate difference)")}, ours {ours}");
        }
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    private static string Materialize(RegressionFile r, Scratch scratch)
    {
        byte[] seed = SeedCatalog.Make(SeedCatalog.Find(r.Seed), scratch.Directory);
        return scratch.WriteInput(r.Apply(seed), "finding.qcow2");
    }

    private static int QemuExit(Scratch scratch, params string[] args)
    {
        int exit = QemuOracle.Run(QemuOracle.QemuImg, args, scratch.Directory).ExitCode;
        File.Delete(scratch.PathOf("q.raw"));
        return exit;
    }

    private static readonly ImageContext Context = ImageContext.CreateDefault();

    /// <summary>info's exit code: the image opens without its backing chain and its information is collected.</summary>
    private static int OurInfo(ImageContext context, string path)
    {
        try
        {
            using var dev = ImageOpener.Open(context, path, new OpenOptions { Format = "qcow2", NoBacking = true, NoIo = true });
            ImageInfoCollector.Collect(dev);
            return 0;
        }
        catch (ImageException) { return 1; }
    }

    private static long OurVirtualSize(string path)
    {
        using var dev = ImageOpener.Open(Context, path, new OpenOptions { Format = "qcow2", NoBacking = true, NoIo = true });
        return dev.VirtualSize;
    }

    /// <summary>check's exit code, as CheckCommand maps the result.</summary>
    private static int OurCheck(ImageContext context, string path)
    {
        try
        {
            using var dev = ImageOpener.Open(context, path, new OpenOptions { Format = "qcow2", ForCheck = true });
            CheckResult r = ImageChecker.Check(dev, CheckRepair.None, new NullLog()).Result;
            return r.CheckErrors != 0 ? 1 : r.Corruptions != 0 ? 2 : r.Leaks != 0 ? 3 : 0;
        }
        catch (ImageException) { return 1; }
    }

    /// <summary>convert -O raw's exit code: the image and its chain open and every allocated guest byte reads.</summary>
    private static int OurConvert(ImageContext context, string path)
    {
        try
        {
            using var dev = ImageOpener.Open(context, path, new OpenOptions { Format = "qcow2" });
            var buf = new byte[1 << 16];
            foreach (var e in ImageMapper.Map(dev, 0, null, humanCoalescing: false).Where(e => e.Data))
                for (long o = e.Start; o < e.End; o += buf.Length)
                    dev.Read(o, buf.AsSpan(0, (int)Math.Min(buf.Length, e.End - o)));
            return 0;
        }
        catch (ImageException) { return 1; }
    }

    private sealed class NullLog : ICheckLog
    {
        public void Message(string line) { }
    }
}
