using System.Text.RegularExpressions;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>Without -p, SIGUSR1 makes convert print its progress once on stderr, as qemu-img does (util/qemu-progress.c).</summary>
[TestClass]
public sealed partial class ProgressSignalOracleTests
{
    [GeneratedRegex(@"^    \((\d+\.\d\d)/100%\)\n$")]
    private static partial Regex ProgressLine();

    [TestMethod]
    [RequiresQemu]
    public void Sigusr1PrintsOneProgressLineOnStderrAndTheConvertGoesOn()
    {
        using var dir = new TempDir();
        ToolUnderTest.QemuOk(dir.Path, "create", "-q", "-f", "raw", "src.raw", "32M");
        ToolUnderTest.QemuIo(dir.Path, "raw", "src.raw", "write -P 0x5a 0 32M");

        foreach (var (name, command) in new[] { ("qemu-img", QemuOracle.QemuImg), ("imagebuild", ToolUnderTest.Description) })
        {
            string output = $"{name}.qcow2";
            // Rate-limited to about 4 s, so the signal arrives mid-copy; sh starts the tool and signals it.
            var r = QemuOracle.Run("/bin/sh",
                ["-c", $"{command} convert -r 8M -O qcow2 src.raw {output} & pid=$!; sleep 2; kill -USR1 $pid; wait $pid"],
                dir.Path, 60_000);
            Assert.AreEqual(0, r.ExitCode, $"{name}: {r.StdErr}");
            Assert.AreEqual("", r.StdOut, name);
            var m = ProgressLine().Match(r.StdErr);
            Assert.IsTrue(m.Success, $"{name} stderr: [{r.StdErr}]");
            double percent = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.IsTrue(percent is > 0 and <= 100, $"{name}: {percent}");
            StringAssert.Contains(QemuOracle.ImgOk("compare", dir["src.raw"], dir[output]), "Images are identical.");
        }
    }
}
