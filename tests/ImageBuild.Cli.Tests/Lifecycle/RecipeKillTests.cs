using System.Diagnostics;
using System.Runtime.InteropServices;
using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// `imagebuild run` killed (SIGKILL) in the middle of writing a step's output: nothing it leaves is trusted, the
/// previous output of that step survives untouched, and the next run redoes exactly what was interrupted.
/// Interrupted (Ctrl-C, SIGINT): the step stops, its partial output is deleted before the process ends, one line on
/// stderr says what was interrupted, and the exit code is 130 as for any program ended by Ctrl-C.
/// </summary>
[TestClass]
public sealed class RecipeKillTests
{
    private const string Recipe = """
        variables:
          fill: 1
        steps:
          - id: base
            kind: create
            size: 128M
          - id: data
            kind: write
            from: base
            pattern: ${fill}
            length: 96M
          - id: disk
            kind: convert
            from: data
            format: qcow2
            options:
              cluster_size: 4k
        """;

    [TestMethod]
    [RequiresQemu]
    public void KilledMidConvertLeavesNothingTrustedAndTheRerunRedoesIt()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], Recipe);
        string outDir = dir["out"];
        Assert.AreEqual(0, RunToEnd(dir.Path, "run", "r.yaml", "--output-dir", outDir), "first run");
        string firstDisk = QemuOracle.Md5OfFile(Path.Combine(outDir, "disk.qcow2"));

        // Change the input and kill the run while the convert writes its new output.
        KillDuringProgress(dir.Path, "disk", "run", "r.yaml", "--output-dir", outDir, "--set", "fill=2", "--events", "-");
        Assert.AreEqual(firstDisk, QemuOracle.Md5OfFile(Path.Combine(outDir, "disk.qcow2")),
            "the interrupted step wrote only its temporary file, never the output of the earlier run");
        Assert.IsTrue(File.Exists(Path.Combine(outDir, ".imagebuild", "partial", "state", "disk", "disk.qcow2")),
            "which is its final name in its private partial folder");

        // The write before it finished and is up to date; the convert's record is still the old run's, so it must run.
        var plan = Run(dir.Path, "plan", "r.yaml", "--output-dir", outDir, "--set", "fill=2");
        StringAssert.Contains(plan.Out, "skip  data (write): up to date");
        StringAssert.Contains(plan.Out, "run   disk (convert): input 'from' changed");
        // The new parameters: the interrupted step runs again, and its output is right.
        var redo = Run(dir.Path, "run", "r.yaml", "--output-dir", outDir, "--set", "fill=2", "--explain");
        Assert.AreEqual(0, redo.Rc, redo.Err);
        StringAssert.Contains(redo.Out, "run   disk (convert)");
        Assert.IsEmpty(Directory.GetFiles(outDir, "*.partial"), "leftovers of the killed run are removed");
        Assert.IsFalse(Directory.Exists(Path.Combine(outDir, ".imagebuild", "partial", "state")), "and the steps' private partial folders");
        QemuOracle.ImgOk("check", Path.Combine(outDir, "disk.qcow2"));
        StringAssert.Contains(QemuOracle.ImgOk("compare", Path.Combine(outDir, "data.raw"), Path.Combine(outDir, "disk.qcow2")), "Images are identical.");
        QemuOracle.IoOk("-f", "qcow2", "-c", "read -P 2 0 96M", Path.Combine(outDir, "disk.qcow2"));
    }

    [TestMethod]
    public void SigintStopsTheStepDeletesItsPartialOutputAndSaysSoInOneLine()
    {
        if (ToolUnderTest.IsQemu || !OperatingSystem.IsLinux()) Assert.Inconclusive("imagebuild's own verb, on Linux");
        using var dir = new TempDir();
        // a longer convert (so that it is still running when the signal lands, however loaded the machine), and a
        // step after it, which must not start
        File.WriteAllText(dir["r.yaml"], Recipe.Replace("size: 128M", "size: 320M", StringComparison.Ordinal).Replace("length: 96M", "length: 288M", StringComparison.Ordinal)
            + "\n  - id: after\n    kind: convert\n    from: disk\n    format: raw\n");
        string outDir = dir["out"];
        var (rc, err) = InterruptDuringProgress(dir.Path, "disk", p => Assert.AreEqual(0, Kill(p.Id, Sigint)),
            "run", "r.yaml", "--output-dir", outDir, "--events", "-");

        Assert.AreEqual(130, rc, err);
        string[] lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, err);
        Assert.AreEqual("imagebuild: interrupted: stopped step 'disk' (convert) and deleted its partial output; 1 step not run", lines[0]);
        Assert.IsEmpty(Directory.GetFiles(outDir, "*.partial"), "the partial output is removed at once, not by the next run");
        Assert.IsFalse(Directory.Exists(Path.Combine(outDir, ".imagebuild", "partial", "state")), "its private partial folder too");
        Assert.IsFalse(File.Exists(Path.Combine(outDir, "disk.qcow2")));
        Assert.IsFalse(File.Exists(Path.Combine(outDir, "after.raw")));
    }

    [TestMethod]
    public void ASecondRunOnABusyOutputDirectoryIsOneLineAndExit2()
    {
        if (ToolUnderTest.IsQemu || !OperatingSystem.IsLinux()) Assert.Inconclusive("imagebuild's own verb, on Linux");
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], Recipe);
        string outDir = dir["out"];
        Directory.CreateDirectory(Path.Combine(outDir, ".imagebuild"));
        // what a running run holds: an exclusive flock on the directory's lock file (FileShare.None takes one)
        using (new FileStream(Path.Combine(outDir, ".imagebuild", "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var second = Run(dir.Path, "run", "r.yaml", "--output-dir", outDir);
            Assert.AreEqual(2, second.Rc, second.Err);
            Assert.AreEqual("", second.Out);
            Assert.AreEqual($"imagebuild: output directory '{outDir}' is in use by another run; wait for it to finish or use another output directory\n", second.Err);
        }
    }

    private const int Sigint = 2;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static ProcessStartInfo Start(string cwd, string[] args)
    {
        string[] command = ToolUnderTest.Description.Split(' ');
        var psi = new ProcessStartInfo(command[0]) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1).Concat(args)) psi.ArgumentList.Add(a);
        return psi;
    }

    private static (int Rc, string Out, string Err) Run(string cwd, params string[] args)
    {
        using var p = Process.Start(Start(cwd, args))!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.IsTrue(p.WaitForExit(120_000), "imagebuild hung");
        return (p.ExitCode, output, err.Result);
    }

    private static int RunToEnd(string cwd, params string[] args)
    {
        var r = Run(cwd, args);
        Assert.AreEqual(0, r.Rc, r.Err);
        return r.Rc;
    }

    /// <summary>Starts the run with JSON events on stdout and SIGKILLs it at the step's first progress event past 0 %.</summary>
    private static void KillDuringProgress(string cwd, string step, params string[] args) =>
        InterruptDuringProgress(cwd, step, p => p.Kill(entireProcessTree: true), args);

    /// <summary>
    /// Starts the run with JSON events on stdout and calls <paramref name="interrupt"/> at the step's first progress
    /// event past 0 %; returns the exit code and stderr.
    /// </summary>
    private static (int Rc, string Err) InterruptDuringProgress(string cwd, string step, Action<Process> interrupt, params string[] args)
    {
        using var p = Process.Start(Start(cwd, args))!;
        var err = p.StandardError.ReadToEndAsync();
        bool interrupted = false;
        for (string? line; (line = p.StandardOutput.ReadLine()) is not null;)
        {
            if (!interrupted && line.Contains("\"event\":\"progress\"", StringComparison.Ordinal) && line.Contains($"\"step\":\"{step}\"", StringComparison.Ordinal)
                && !line.Contains("\"percent\":0", StringComparison.Ordinal))
            {
                interrupt(p);
                interrupted = true;
            }
        }
        Assert.IsTrue(p.WaitForExit(120_000), "imagebuild did not stop");
        Assert.IsTrue(interrupted, "the step reported progress before it finished");
        return (p.ExitCode, err.Result);
    }
}
