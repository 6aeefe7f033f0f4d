using System.Diagnostics;
using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;
using static ImageBuild.Cli.Tests.Distribution.RegistryCli;

namespace ImageBuild.Cli.Tests.Distribution;

/// <summary>
/// Ctrl-C during a pull whose download hangs mid-blob (a relay stops passing the registry's bytes): imagebuild
/// stops at once with one line, exit 1, and the half-written file is gone.
/// </summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class InterruptedPullTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void CtrlCMidBlobLeavesNothing(bool containerDisk)
    {
        using var registry = TestRegistry.Start(new TestRegistryOptions());
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["disk.raw"], System.Security.Cryptography.RandomNumberGenerator.GetBytes(4 << 20));
        string pushed = registry.Reference("stall/disk:v1");
        Push(tmp.Path, pushed, ["--plain-http", "-f", "raw", .. containerDisk ? new[] { "--containerdisk" } : [], "disk.raw", pushed]);
        Directory.CreateDirectory(tmp["dest"]);

        using var proxy = new StallingProxy(int.Parse(registry.Host.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture), 512 << 10);
        string reference = $"oci://{proxy.Host}/stall/disk:v1";
        string[] command = ToolUnderTest.Description.Split(' ');
        var start = new ProcessStartInfo(command[0], [.. command[1..], "pull", "--plain-http", reference, "dest"])
        {
            WorkingDirectory = tmp.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var pull = Process.Start(start)!;
        var stderr = pull.StandardError.ReadToEndAsync();
        var stdout = pull.StandardOutput.ReadToEndAsync();
        // wait until the download has begun writing its temporary
        var deadline = Stopwatch.StartNew();
        while (Directory.GetFiles(tmp["dest"]).Length == 0 && !pull.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60))
            Thread.Sleep(50);
        if (pull.HasExited)
            Assert.Fail("the pull should hang on the stalled blob, it ended: " + stderr.Result);
        if (Directory.GetFiles(tmp["dest"]).Length == 0)
        {
            pull.Kill();
            Assert.Fail("the pull wrote no temporary within 60 s");
        }
        Assert.IsTrue(Directory.GetFiles(tmp["dest"]).All(f => Path.GetFileName(f).StartsWith('.')), "only hidden temporaries while it runs");
        QemuOracle.Run("kill", ["-INT", pull.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.IsTrue(pull.WaitForExit(30_000), "Ctrl-C stops the pull");
        Assert.AreEqual(1, pull.ExitCode, stderr.Result);
        Assert.AreEqual("", stdout.Result);
        Assert.AreEqual($"imagebuild: {reference}: interrupted\n", stderr.Result);
        Assert.IsEmpty(Directory.GetFileSystemEntries(tmp["dest"]), "the half-written file is gone");
    }
}
