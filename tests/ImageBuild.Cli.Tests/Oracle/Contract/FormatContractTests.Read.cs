using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

public sealed partial class FormatContractTests
{
    /// <summary>
    /// Reading what qemu wrote: qemu-io fills a qemu-created image (or an overlay over a filled base) with patterns,
    /// zeroes, a discard, partial-cluster and unaligned writes (and a compressed cluster where the format has them);
    /// our `convert -O raw` is byte-identical to qemu-img's, our `compare` with that raw file agrees, and our info
    /// (probed too), map and check print exactly what qemu-img prints, in text and JSON, on the same file.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(ContractMatrix.ReadCases), typeof(ContractMatrix))]
    public void ContractRead(string format, string options, string chain)
    {
        var p = FormatProfiles.Get(format);
        EngineDrivers.Require(format);
        using var tmp = new TempDir();
        string dir = tmp.Path, img = "img." + p.Extension;
        if (chain == "overlay")
            ContractFixtures.MakeFilledOverlay(p, dir, img);
        else
            ContractFixtures.MakeFilledImage(p, dir, img, ContractMatrix.Options(options));

        ToolUnderTest.QemuOk(dir, "convert", "-f", format, "-O", "raw", img, "q.raw");
        var converted = ToolUnderTest.Run(dir, "convert", "-f", format, "-O", "raw", img, "t.raw");
        OracleAssert.NoCrash(converted);
        Assert.AreEqual(0, converted.ExitCode, converted.ToString());
        Assert.AreEqual("", converted.StdOut + converted.StdErr, "convert prints nothing");
        OracleFixtures.AssertFilesEqual(tmp["q.raw"], tmp["t.raw"], $"convert -O raw of a qemu-io filled {format} {chain}");

        ContractAssert.InOneDir(dir, "compare", "-f", format, "-F", "raw", img, "q.raw");
        ContractAssert.InOneDir(dir, "info", "-f", format, img);
        ContractAssert.InOneDir(dir, "info", "-f", format, "--output=json", img);
        ContractAssert.InOneDir(dir, "info", "--output=json", img); // probed
        if (chain == "overlay")
        {
            ContractAssert.InOneDir(dir, "info", "-f", format, "--backing-chain", img);
            ContractAssert.InOneDir(dir, "info", "-f", format, "--backing-chain", "--output=json", img);
        }
        ContractAssert.InOneDir(dir, "map", "-f", format, img);
        ContractAssert.InOneDir(dir, "map", "-f", format, "--output=json", img);
        var check = ContractAssert.InOneDir(dir, "check", "-f", format, img);
        Assert.AreEqual(p.Has(QemuOps.Check), check.ExitCode != 63, $"profile row '{format}': check support\n{check}");
        ContractAssert.InOneDir(dir, "check", "-f", format, "--output=json", img);
    }
}
