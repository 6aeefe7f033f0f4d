namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// convert's performance and robustness options against qemu-img on the same fixtures: -C (copy offloading), -m and -W
/// (parallel workers, out-of-order writes), -r, -t/-T, --target-is-zero and --salvage. None may change what is
/// written: content identical to the source, the same data ranges as qemu-img's output for raw sources, qcow2 output
/// clean, and the same messages and exit code.
/// </summary>
public sealed partial class ConvertOracleTests
{
    [TestMethod]
    [DataRow("../src.raw", "-O raw -C")]
    [DataRow("../src.raw", "-O qcow2 -C")]
    [DataRow("../src.qcow2", "-O raw -C")] // its compressed cluster turns offloading off half-way, as in qemu
    [DataRow("../top.qcow2", "-O raw -C")]
    [DataRow("../top.qcow2", "-O qcow2 -C")]
    [DataRow("../src.raw", "-O raw -m 1")]
    [DataRow("../src.raw", "-O raw -m 16 -W")]
    [DataRow("../src.qcow2", "-O raw -m 2")]
    [DataRow("../src.qcow2", "-O qcow2 -m 4 -W")]
    [DataRow("../src.raw", "-O qcow2 -c -m 1")]
    [DataRow("../src.qcow2", "-O qcow2 -r 64M")]
    [DataRow("../src.raw", "-O raw -t none -T none")]
    [DataRow("../src.qcow2", "-O qcow2 -t writeback -T writethrough")]
    [DataRow("../src.raw", "-O raw -t directsync")]
    public void ConvertOptionMatchesQemu(string source, string options)
    {
        using var d = new OracleDirs();
        string outName = ConvertInBoth(d, source, options);
        if (source.EndsWith(".raw", StringComparison.Ordinal))
        {
            // Offloaded copies take data runs whole (zeros inside included) and parallel writers must not change
            // what is allocated: the outputs hold exactly the same data ranges.
            CollectionAssert.AreEqual(DataRanges(d.Q, outName, depth0Only: false), DataRanges(d.T, outName, depth0Only: false),
                "data ranges of the output");
        }
    }

    [TestMethod]
    [DataRow("raw")]
    [DataRow("qcow2")]
    public void TargetIsZeroSkipsZerosLikeQemu(string format)
    {
        using var d = new OracleDirs();
        MakeFixtures(d);
        string outName = "out." + format;
        foreach (string dir in new[] { d.Q, d.T })
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", format, outName, "16M");
        string[] args = ["convert", "-n", "--target-is-zero", "-O", format, "../src.qcow2", outName];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        Assert.AreEqual(0, expected.ExitCode, $"fixture: {expected}");
        OracleAssert.SameOutcome(expected, ToolUnderTest.Run(d.T, args));
        AssertIdenticalContent(d.T, "../src.qcow2", outName);
        if (format == "qcow2") AssertCheckClean(d.T, outName);
        AssertSparse(d, "../src.qcow2", outName, anyDepth: true);
    }

    /// <summary>
    /// A compressed cluster whose stream is damaged: plain convert fails on it; --salvage writes zeros for each
    /// unreadable sector, warns once per sector at the same offsets as qemu-img (our warnings also name the file and
    /// host offset) and produces the same bytes; -q silences the warnings.
    /// </summary>
    [TestMethod]
    public void SalvageWritesZerosForUnreadableSectorsLikeQemu()
    {
        using var d = new OracleDirs();
        ToolUnderTest.QemuOk(d.Root, "create", "-q", "-f", "qcow2", "bad.qcow2", "4M");
        File.WriteAllBytes(d["p.bin"], OracleFixtures.MixedContent(65536, 3));
        ToolUnderTest.QemuIo(d.Root, "qcow2", "bad.qcow2", "write -q -P 0x11 0 1M", "write -q -c -s p.bin 2M 64k");
        // The compressed cluster is the last thing written: damage the start of its deflate stream.
        long fileLength = new FileInfo(d["bad.qcow2"]).Length;
        var map = MapExtent.Parse(ToolUnderTest.QemuOk(d.Root, "map", "--output=json", "bad.qcow2"));
        Assert.IsTrue(map.Any(e => e.Start == 2 << 20 && e.Data), "fixture: compressed cluster at 2 MiB");
        long streamStart = FindCompressedStream(d["bad.qcow2"], fileLength);
        OracleFixtures.Patch(d["bad.qcow2"], streamStart, Enumerable.Repeat((byte)0xFF, 64).ToArray());

        string[] plain = ["convert", "-O", "raw", "../bad.qcow2", "out.raw"];
        var qPlain = ToolUnderTest.Qemu(d.Q, plain);
        Assert.AreEqual(1, qPlain.ExitCode, $"fixture: qemu-img fails on the damaged cluster\n{qPlain}");
        var tPlain = ToolUnderTest.Run(d.T, plain);
        OracleAssert.NoCrash(tPlain);
        Assert.AreEqual(1, tPlain.ExitCode, tPlain.ToString());
        StringAssert.StartsWith(tPlain.StdErr, "imagebuild: error while reading at byte 2097152: ");
        Assert.IsFalse(File.Exists(Path.Combine(d.T, "out.raw")), "a failed conversion leaves no output behind");

        string[] salvage = ["convert", "--salvage", "-O", "raw", "../bad.qcow2", "out.raw"];
        var q = ToolUnderTest.Qemu(d.Q, salvage);
        Assert.AreEqual(0, q.ExitCode, $"fixture: {q}");
        var t = ToolUnderTest.Run(d.T, salvage);
        OracleAssert.NoCrash(t);
        Assert.AreEqual(0, t.ExitCode, t.ToString());
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), "salvaged output");
        Assert.AreEqual(128, WarnedOffsets(q.StdErr).Count, $"fixture: one warning per sector of the cluster\n{q.StdErr}");
        CollectionAssert.AreEqual(WarnedOffsets(q.StdErr), WarnedOffsets(t.StdErr), "warned offsets");

        string[] quiet = ["convert", "--salvage", "-q", "-O", "raw", "../bad.qcow2", "quiet.raw"];
        var qq = ToolUnderTest.Qemu(d.Q, quiet);
        Assert.AreEqual((0, ""), (qq.ExitCode, qq.StdErr), $"fixture: {qq}");
        OracleAssert.SameOutcome(qq, ToolUnderTest.Run(d.T, quiet));
    }

    /// <summary>The host offset of the last compressed cluster's stream: the first non-zero sector from the end.</summary>
    private static long FindCompressedStream(string path, long fileLength)
    {
        // qemu-io appends the compressed cluster after everything else; its stream starts on a cluster boundary.
        var bytes = File.ReadAllBytes(path);
        for (long c = (fileLength - 1) & ~0xFFFFL; c > 0; c -= 0x10000)
            if (bytes.AsSpan((int)c, Math.Min(512, (int)(fileLength - c))).ContainsAnyExcept((byte)0))
                return c;
        throw new AssertFailedException("fixture: no compressed stream found");
    }

    private static List<long> WarnedOffsets(string stderr) =>
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^[\w-]+: warning: error while reading offset (\d+): "))
            .Select(m => m.Success ? long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1)
            .ToList();
}
