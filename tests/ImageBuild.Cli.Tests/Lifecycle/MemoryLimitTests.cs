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
        WriteMixedData(tmp["src.raw"], 48 << 20);

        // 2 PiB: a 32 MiB L1 table, the largest single allocation a qcow2 create makes
        Ok(tmp.Path, "create", "-q", "-f", "qcow2", "blank.qcow2", "2P");
        var info = Ok(tmp.Path, "info", "--output=json", "blank.qcow2");
        StringAssert.Contains(info.StdOut, "\"virtual-size\": 2251799813685248", info.ToString());
        ToolUnderTest.QemuOk(tmp.Path, "check", "blank.qcow2");

        Ok(tmp.Path, "convert", "-c", "-O", "qcow2", "src.raw", "packed.qcow2");
        // a third is text, a third zeros: only compressed clusters make the image smaller than half the data
        Assert.IsLessThan(24L << 20, new FileInfo(tmp["packed.qcow2"]).Length, "the conversion wrote compressed clusters");
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

    /// <summary>Compressible text, incompressible noise and zeros in 64 KiB runs, from a fixed seed.</summary>
    private static void WriteMixedData(string path, int length)
    {
        var rng = new Random(20261201);
        var data = new byte[length];
        var block = new byte[65536];
        for (int off = 0; off < length; off += block.Length)
        {
            switch ((off / block.Length) % 3)
            {
                case 0:
                    for (int i = 0; i < block.Length; i++) block[i] = (byte)"imagebuild under a memory limit\n"[(i + off / 7) % 32];
                    break;
                case 1:
                    rng.NextBytes(block);
                    break;
                default:
                    Array.Clear(block);
                    break;
            }
            block.CopyTo(data, off);
        }
        File.WriteAllBytes(path, data);
    }
}
