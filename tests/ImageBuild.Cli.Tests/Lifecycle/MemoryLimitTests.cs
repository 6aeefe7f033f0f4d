using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// Small CI containers limit address space: the built CLI runs its commands, compressed conversions in both
/// directions included, under prlimit --as=1 GiB (qemu-img needs about half of that).
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class MemoryLimitTests
{
    private static readonly string[] OneGiB = ["prlimit", "--as=1073741824"];

    [TestMethod]
    public void CommandsRunUnderAOneGiBAddressSpaceLimit()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp["src.raw"], OracleFixtures.MixedContent(48 << 20, seed: 7));

        // 2 PiB: a 32 MiB L1 table, the largest single allocation a qcow2 create makes
        Ok(tmp.Path, "create", "-q", "-f", "qcow2", "blank.qcow2", "2P");
        var info = Ok(tmp.Path, "info", "--output=json", "blank.qcow2");
        StringAssert.Contains(info.StdOut, "\"virtual-size\": 2251799813685248", info.ToString());
        ToolUnderTest.QemuOk(tmp.Path, "check", "blank.qcow2");

        Ok(tmp.Path, "convert", "-c", "-O", "qcow2", "src.raw", "packed.qcow2");
        // the content compresses to about half: only compressed clusters make the image that much smaller
        Assert.IsLessThan(36L << 20, new FileInfo(tmp["packed.qcow2"]).Length, "the conversion wrote compressed clusters");
        Ok(tmp.Path, "convert", "-O", "raw", "packed.qcow2", "unpacked.raw");

        ToolUnderTest.QemuOk(tmp.Path, "compare", "-f", "raw", "-F", "qcow2", "src.raw", "packed.qcow2");
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["src.raw"]), File.ReadAllBytes(tmp["unpacked.raw"]), "unpacked.raw");
        ToolUnderTest.QemuOk(tmp.Path, "check", "packed.qcow2");
    }

    private static TimedResult Ok(string cwd, params string[] args)
    {
        var r = ToolUnderTest.RunWrapped(OneGiB, cwd, args);
        OracleAssert.NoCrash(r);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        Assert.AreEqual("", r.StdErr, r.ToString());
        return r;
    }
}
