namespace ImageBuild.Cli.Tests.Oracle.Contract;

public sealed partial class FormatContractTests
{
    /// <summary>
    /// Writing the format: `convert -O FMT` (with `-c` in the compressed mode) from a realistic sparse raw disk.
    /// Same messages and exit code as qemu-img (a refusal where qemu refuses); qemu-img compare finds our output
    /// identical to the source, qemu-img check finds it clean, qemu-img's info/check/map of ours and of qemu-img's
    /// output agree and, where qemu's layout is deterministic, the bytes are equal outside the random fields;
    /// our own compare reads our output back as the source.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(ContractMatrix.ConvertCases), typeof(ContractMatrix))]
    public void ContractConvertInto(string format, string options, string mode)
    {
        var p = FormatProfiles.Get(format);
        EngineDrivers.Require(format);
        using var d = new OracleDirs();
        ContractFixtures.WriteRealisticSource(d["src.raw"]);
        string o = ContractMatrix.Options(options), name = "out." + p.Extension;
        bool compressed = mode == "compressed";
        string[] args = ["convert", "-f", "raw", "-O", format, .. compressed ? new[] { "-c" } : [], .. ContractFixtures.OptionArgs(o), "../src.raw", name];

        // qemu's bytes from a compressed convert need --qemu-compression (the default deflates with zlib-ng;
        // ZlibNgInteropTests cover that output against qemu-img)
        string[] ours = compressed ? ToolUnderTest.WithQemuCompression(args) : args;
        var expected = compressed && o.Length == 0 && p.QemuFailsAfterCompressedConvert && !ToolUnderTest.IsQemu
            ? ContractAssert.InTwinsWhereQemuFailsSilently(d, args, ours)
            : ContractAssert.InTwins(d, args, ours);
        if (!compressed)
            Assert.AreEqual(0, expected.ExitCode, $"fixture: qemu-img converts into {format} {o}\n{expected}");
        else if (o.Length == 0 && !p.Has(QemuOps.CompressedWrites))
            Assert.AreNotEqual(0, expected.ExitCode, $"profile row '{format}': no compressed writes\n{expected}");
        Assert.AreEqual(File.Exists(Path.Combine(d.Q, name)), File.Exists(Path.Combine(d.T, name)), $"{name} left behind as qemu-img leaves it");
        // qemu may fail at the very end of convert -c after writing everything (qcow in qemu 7.2): such an output is
        // compared all the same
        if (expected.ExitCode != 0 && !(compressed && WroteEverything(d, format, name))) return;

        string what = $"convert -O {format} {(compressed ? "-c " : "")}{o}";
        ContractAssert.Identical(d.T, "raw", "../src.raw", format, name, what, p.RoundsSizeUp);
        if (p.Has(QemuOps.Check) && expected.ExitCode == 0)
        {
            var check = ToolUnderTest.Qemu(d.T, "check", "-f", format, name);
            Assert.AreEqual(0, check.ExitCode, $"{what}: qemu-img check of our output\n{check}");
        }
        if (p.ByteExact.HasFlag(ContractOps.Convert))
            ContractAssert.SameBytes(p, Path.Combine(d.Q, name), Path.Combine(d.T, name), what);
        ContractAssert.QemuSeesSame(p, d, name, what);

        var readBack = ToolUnderTest.Run(d.T, "compare", "-f", "raw", "-F", format, "../src.raw", name);
        OracleAssert.NoCrash(readBack);
        Assert.AreEqual(0, readBack.ExitCode, $"{what}: our compare of our output with the source\n{readBack}");
    }

    /// <summary>Whether qemu-img's output exists and holds the whole source.</summary>
    private static bool WroteEverything(OracleDirs d, string format, string name) =>
        File.Exists(Path.Combine(d.Q, name))
        && ToolUnderTest.Qemu(d.Q, "compare", "-U", "-f", "raw", "-F", format, "../src.raw", name).ExitCode == 0;
}
