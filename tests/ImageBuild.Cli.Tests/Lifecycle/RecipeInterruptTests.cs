using System.Diagnostics;
using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// Ctrl-C (SIGINT) during `imagebuild run`: the running step stops, its partial output is deleted before the process
/// ends, one line on stderr says what was interrupted, and the exit code is 130 as for any program ended by Ctrl-C.
/// </summary>
[TestClass]
public sealed class RecipeInterruptTests
{
    private const string Recipe = """
        steps:
          - id: base
            kind: create
            size: 160M
          - id: data
            kind: write
            from: base
            pattern: 7
            length: 128M
          - id: disk
            kind: convert
            from: data
            format: qcow2
            options:
              cluster_size: 4k
          - id: after
            kind: convert
            from: disk
            format: raw
        """;

    [TestMethod]
    public void SigintStopsTheStepDeletesItsPartialOutputAndSaysSoInOneLine()
    {
        if (ToolUnderTest.IsQemu || !OperatingSystem.IsLinux()) Assert.Inconclusive("imagebuild's own verb, on Linux");
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], Recipe);
        string outDir = dir["out"];
        string[] command = ToolUnderTest.Description.Split(' ');
        var psi = new ProcessStartInfo(command[0]) { WorkingDirectory = dir.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1).Concat(["run", "r.yaml", "--output-dir", outDir, "--events", "-"])) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        bool sent = false;
        for (string? line; !sent && (line = p.StandardOutput.ReadLine()) is not null;)
        {
            if (line.Contains("\"event\":\"progress\"", StringComparison.Ordinal) && line.Contains("\"step\":\"disk\"", StringComparison.Ordinal)
                && !line.Contains("\"percent\":0", StringComparison.Ordinal))
            {
                using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                    kill.WaitForExit();
                sent = true;
            }
        }
        Assert.IsTrue(sent, "the convert reported progress before it finished");
        _ = p.StandardOutput.ReadToEndAsync();
        Assert.IsTrue(p.WaitForExit(30_000), "imagebuild did not stop after SIGINT");

        Assert.AreEqual(130, p.ExitCode, err.Result);
        string[] lines = err.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, err.Result);
        StringAssert.StartsWith(lines[0], "imagebuild: interrupted: stopped step 'disk' (convert) and deleted its partial output; 1 step not run");
        Assert.IsEmpty(Directory.GetFiles(outDir, "*.partial"), "the partial output is removed at once, not by the next run");
        Assert.IsFalse(File.Exists(Path.Combine(outDir, "disk.qcow2")));
        Assert.IsFalse(File.Exists(Path.Combine(outDir, "after.raw")));
    }
}
