using System.Diagnostics;
using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// `imagebuild run` killed (SIGKILL) in the middle of writing a step's output: nothing it leaves is trusted, the
/// previous output of that step survives untouched, and the next run redoes exactly what was interrupted.
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

        // The write before it finished and is up to date; the convert's record is still the old run's, so it must run.
        var plan = Run(dir.Path, "plan", "r.yaml", "--output-dir", outDir, "--set", "fill=2");
        StringAssert.Contains(plan.Out, "skip  data (write): up to date");
        StringAssert.Contains(plan.Out, "run   disk (convert): input 'from' changed");
        // The new parameters: the interrupted step runs again, and its output is right.
        var redo = Run(dir.Path, "run", "r.yaml", "--output-dir", outDir, "--set", "fill=2", "--explain");
        Assert.AreEqual(0, redo.Rc, redo.Err);
        StringAssert.Contains(redo.Out, "run   disk (convert)");
        Assert.IsEmpty(Directory.GetFiles(outDir, "*.partial"), "leftovers of the killed run are removed");
        QemuOracle.ImgOk("check", Path.Combine(outDir, "disk.qcow2"));
        StringAssert.Contains(QemuOracle.ImgOk("compare", Path.Combine(outDir, "data.raw"), Path.Combine(outDir, "disk.qcow2")), "Images are identical.");
        QemuOracle.IoOk("-f", "qcow2", "-c", "read -P 2 0 96M", Path.Combine(outDir, "disk.qcow2"));
    }

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
    private static void KillDuringProgress(string cwd, string step, params string[] args)
    {
        using var p = Process.Start(Start(cwd, args))!;
        _ = p.StandardError.ReadToEndAsync();
        bool killed = false;
        for (string? line; !killed && (line = p.StandardOutput.ReadLine()) is not null;)
        {
            if (line.Contains("\"event\":\"progress\"", StringComparison.Ordinal) && line.Contains($"\"step\":\"{step}\"", StringComparison.Ordinal)
                && !line.Contains("\"percent\":0", StringComparison.Ordinal))
            {
                p.Kill(entireProcessTree: true);
                killed = true;
            }
        }
        Assert.IsTrue(p.WaitForExit(120_000));
        Assert.IsTrue(killed, "the step reported progress before it finished");
    }
}
