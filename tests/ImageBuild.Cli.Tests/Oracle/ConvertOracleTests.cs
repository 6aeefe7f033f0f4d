using System.Text.RegularExpressions;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// `convert` against qemu-img: same exit code and messages; the output is `qemu-img compare`-identical to the source,
/// qcow2 output checks clean, info of the output equals info of qemu-img's output, and the output holds no data
/// where neither the source nor qemu-img's own output has any (sparseness).
/// Fixtures live in the scratch root; qemu-img runs in q/, the tool in t/, both naming sources as ../NAME.
/// </summary>
[TestClass]
[ImageBuild.Tests.Shared.RequiresQemu]
public sealed partial class ConvertOracleTests
{
    /// <summary>src.qcow2: 16 MiB, data, zero clusters, a zero run inside data, a compressed cluster, untouched tail;
    /// base.qcow2 ← top.qcow2 chain; src.raw: sparse raw file with zero runs of several lengths inside data.</summary>
    private static void MakeFixtures(OracleDirs d)
    {
        string r = d.Root;
        ToolUnderTest.QemuOk(r, "create", "-q", "-f", "qcow2", "src.qcow2", "16M");
        File.WriteAllBytes(d["p.bin"], OracleFixtures.MixedContent(65536, 5));
        ToolUnderTest.QemuIo(r, "qcow2", "src.qcow2",
            "write -q -P 0x11 0 1M", "write -q -z 256k 4k", "write -q -z 512k 2k", "write -q -z 4M 1M",
            "write -q -c -s p.bin 6M 64k", "write -q -P 0x22 8M 64k", "write -q -P 0x33 12M 3k");

        ToolUnderTest.QemuOk(r, "create", "-q", "-f", "qcow2", "base.qcow2", "16M");
        ToolUnderTest.QemuIo(r, "qcow2", "base.qcow2", "write -q -P 0x44 0 4M", "write -q -P 0x45 10M 1M");
        ToolUnderTest.QemuOk(r, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        ToolUnderTest.QemuIo(r, "qcow2", "top.qcow2", "write -q -P 0x55 1M 64k", "write -q -z 2M 1M", "write -q -P 0x56 14M 8k");

        using (var fs = new FileStream(d["src.raw"], FileMode.Create))
        {
            fs.SetLength(8L << 20);
            var data = OracleFixtures.MixedContent(1 << 20, 9);
            data.AsSpan(8192, 4096).Clear();      // a 4 KiB aligned zero run: a hole with -S 4k
            data.AsSpan(20000, 2048).Clear();     // shorter than -S 4k: stays data
            data.AsSpan(65536, 65536).Clear();    // 64 KiB: a hole with -S 64k
            data.AsSpan(300_000, 8192).Clear();   // unaligned 8 KiB run
            fs.Position = 1 << 20;
            fs.Write(data);
            fs.Position = 5L << 20;
            fs.Write(data.AsSpan(0, 100_000));
        }
    }

    [TestMethod]
    [DataRow("../src.qcow2", "-O raw")]
    [DataRow("../src.qcow2", "-O qcow2")]
    [DataRow("../src.qcow2", "-f qcow2 -O raw")]
    [DataRow("../src.qcow2", "-O raw -S 0")]
    [DataRow("../src.qcow2", "-O qcow2 -S 0")]
    [DataRow("../src.qcow2", "-O raw -S 64k")]
    [DataRow("../src.qcow2", "-O qcow2 -o cluster_size=4k")]
    [DataRow("../src.qcow2", "-O qcow2 -o compat=0.10")]
    [DataRow("../src.qcow2", "-O qcow2 -o extended_l2=on")]
    [DataRow("../src.qcow2", "-O qcow2 -o refcount_bits=1,cluster_size=512")]
    [DataRow("../src.qcow2", "-O qcow2 -o preallocation=metadata")]
    [DataRow("../src.qcow2", "-O qcow2 -c")]
    [DataRow("../src.qcow2", "-O qcow2 -c -o compression_type=zstd")]
    [DataRow("../src.qcow2", "-q -O qcow2")]
    [DataRow("../top.qcow2", "-O raw")]
    [DataRow("../top.qcow2", "-O qcow2")]
    [DataRow("../src.raw", "-f raw -O raw")]
    [DataRow("../src.raw", "-O raw -S 4k")]
    [DataRow("../src.raw", "-O raw -S 64k")]
    [DataRow("../src.raw", "-O raw -S 0")]
    [DataRow("../src.raw", "-O qcow2")]
    [DataRow("../src.raw", "-O qcow2 -S 64k")]
    public void ConvertMatchesQemu(string source, string options)
    {
        using var d = new OracleDirs();
        string outName = ConvertInBoth(d, source, options);
        // For a qcow2 source qemu-img 7.2 may split a data cluster by the host file's holes (its metadata-
        // preallocation heuristic reads st_blocks, which moves with delayed allocation), so the exact data ranges
        // are only compared for raw sources; content and sparseness are asserted above for every source.
        if (options.Contains("-S", StringComparison.Ordinal) && outName.EndsWith(".raw", StringComparison.Ordinal)
            && source.EndsWith(".raw", StringComparison.Ordinal))
        {
            // -S decides exactly which zero runs become holes: the raw outputs must have the same data ranges
            CollectionAssert.AreEqual(DataRanges(d.Q, outName, depth0Only: false), DataRanges(d.T, outName, depth0Only: false),
                "data ranges of the -S output");
        }
    }

    [TestMethod]
    [DataRow("-O qcow2 -B ../base.qcow2 -F qcow2")]
    [DataRow("-O qcow2 -B ../base.qcow2 -F qcow2 -o cluster_size=16k")]
    [DataRow("-O qcow2 -o backing_file=../base.qcow2,backing_fmt=qcow2")]
    public void ConvertOntoBackingFileMatchesQemu(string options)
    {
        using var d = new OracleDirs();
        MakeFixtures(d);
        string[] args = ["convert", .. options.Split(' '), "../top.qcow2", "out.qcow2"];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        Assert.AreEqual(0, expected.ExitCode, $"fixture: {expected}");
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);

        AssertIdenticalContent(d.T, "../top.qcow2", "out.qcow2");
        AssertSameInfo(d, "out.qcow2");
        AssertCheckClean(d.T, "out.qcow2");
        // only the top layer's data (or what qemu-img itself copied) may be allocated in the new overlay
        var ours = DataRanges(d.T, "out.qcow2", depth0Only: true);
        var allowed = DataRanges(d.Root, "top.qcow2", depth0Only: true).Concat(DataRanges(d.Q, "out.qcow2", depth0Only: true));
        var extra = MapExtent.Uncovered(ours, allowed);
        Assert.AreEqual(0, extra.Count, "data allocated in the overlay outside the source's top layer: " + string.Join(", ", extra));
    }

    [TestMethod]
    [DataRow("-O raw")]
    [DataRow("-O qcow2")]
    public void MultipleSourcesAreConcatenatedLikeQemu(string options)
    {
        using var d = new OracleDirs();
        MakeFixtures(d);
        string outName = options.Contains("qcow2", StringComparison.Ordinal) ? "out.qcow2" : "out.raw";
        string[] args = ["convert", .. options.Split(' '), "../src.qcow2", "../src.raw", "../top.qcow2", outName];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        Assert.AreEqual(0, expected.ExitCode, $"fixture: {expected}");
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);
        var cmp = ToolUnderTest.Qemu(d.Root, "compare", "q/" + outName, "t/" + outName);
        Assert.AreEqual(0, cmp.ExitCode, $"our concatenation differs from qemu-img's\n{cmp}");
        AssertSameInfo(d, outName);
        if (outName.EndsWith(".qcow2", StringComparison.Ordinal)) AssertCheckClean(d.T, outName);
    }

    [TestMethod]
    [DataRow("qcow2", "16M", "-n -O qcow2")]
    [DataRow("raw", "16M", "-n -O raw")]
    [DataRow("qcow2", "32M", "-n -O qcow2")]
    [DataRow("qcow2", "8M", "-n -O qcow2")] // target smaller than the source
    [DataRow("qcow2", "16M", "-n -O qcow2 -o cluster_size=4k")] // -o with -n
    public void NoCreateWritesIntoTheExistingTarget(string targetFormat, string targetSize, string options)
    {
        using var d = new OracleDirs();
        MakeFixtures(d);
        string outName = "out." + targetFormat;
        d.QemuOkInBoth("create", "-q", "-f", targetFormat, outName, targetSize);
        ToolUnderTest.QemuIo(d.Q, targetFormat, outName, "write -q -P 0x77 0 8M");
        ToolUnderTest.QemuIo(d.T, targetFormat, outName, "write -q -P 0x77 0 8M");
        string[] args = ["convert", .. options.Split(' '), "../src.qcow2", outName];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);
        if (expected.ExitCode != 0) return;
        var cmp = ToolUnderTest.Qemu(d.Root, "compare", "q/" + outName, "t/" + outName);
        Assert.AreEqual(0, cmp.ExitCode, $"target after convert -n differs from qemu-img's\n{cmp}");
        if (targetFormat == "qcow2") AssertCheckClean(d.T, outName);
    }

    [TestMethod]
    [DataRow("-O qcow2")]
    [DataRow("-O raw")]
    public void ProgressHasQemusShape(string options)
    {
        using var d = new OracleDirs();
        MakeFixtures(d);
        string outName = options.Contains("qcow2", StringComparison.Ordinal) ? "out.qcow2" : "out.raw";
        string[] args = ["convert", "-p", .. options.Split(' '), "../src.qcow2", outName];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameExitAndErrors(expected, actual);
        foreach (var r in new[] { expected, actual })
        {
            Assert.IsTrue(ProgressShape().IsMatch(r.StdOut), $"progress shape: {r.StdOut.Replace("\r", "\\r").Replace("\n", "\\n")}");
            Assert.IsTrue(r.StdOut.StartsWith("    (0.00/100%)\r", StringComparison.Ordinal), "progress starts at 0.00");
            Assert.IsTrue(r.StdOut.EndsWith("    (100.00/100%)\r\n", StringComparison.Ordinal), "progress ends at 100.00 then newline");
        }
        AssertIdenticalContent(d.T, "../src.qcow2", outName);
    }

    [TestMethod]
    [DataRow("-O qcow2 -B ../base.qcow2")] // backing format required
    [DataRow("-O raw -B ../base.qcow2 -F qcow2")] // raw has no backing
    [DataRow("-O qcow2 -S 1000")]
    [DataRow("-O qcow2 -S 32M")]
    [DataRow("-O qcow2 -o foo=bar")]
    [DataRow("-O nosuch")]
    [DataRow("-f nosuch -O raw")]
    [DataRow("-O raw -c")]
    [DataRow("-O qcow2 -c -o preallocation=full")]
    [DataRow("-O qcow2 -m 17")]
    [DataRow("-O qcow2 -o cluster_size=3k")]
    [DataRow("-O qcow2 -C -c")]
    [DataRow("-O raw -C -S 4k")]
    [DataRow("-O raw -C --salvage")]
    public void InvalidConvertFailsLikeQemu(string options)
    {
        using var d = new OracleDirs();
        MakeFixtures(d);
        string[] args = ["convert", .. options.Split(' '), "../src.qcow2", "out.img"];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        Assert.AreNotEqual(0, expected.ExitCode, "fixture: qemu-img refuses this");
        OracleAssert.SameOutcome(expected, ToolUnderTest.Run(d.T, args));
        Assert.AreEqual(File.Exists(Path.Combine(d.Q, "out.img")), File.Exists(Path.Combine(d.T, "out.img")), "target created or not, as qemu-img");
    }

    [TestMethod]
    public void MissingSourceFailsLikeQemu()
    {
        using var d = new OracleDirs();
        string[] args = ["convert", "-O", "raw", "nope.qcow2", "out.raw"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }

    // ---- helpers ----

    /// <summary>
    /// Makes the fixtures, converts <paramref name="source"/> with both tools and asserts what every conversion must
    /// reach: qemu-img's messages and exit code, content identical to the source, qemu-img's info, a clean check for
    /// qcow2, and no data where neither the source nor qemu-img's output has any. Returns the output's name.
    /// </summary>
    private static string ConvertInBoth(OracleDirs d, string source, string options)
    {
        MakeFixtures(d);
        string outName = options.Contains("-O qcow2", StringComparison.Ordinal) ? "out.qcow2" : "out.raw";
        string[] args = ["convert", .. options.Split(' '), source, outName];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        Assert.AreEqual(0, expected.ExitCode, $"fixture: {expected}");
        OracleAssert.SameOutcome(expected, ToolUnderTest.Run(d.T, args));

        AssertIdenticalContent(d.T, source, outName);
        AssertSameInfo(d, outName);
        if (outName.EndsWith(".qcow2", StringComparison.Ordinal)) AssertCheckClean(d.T, outName);
        AssertSparse(d, source, outName, anyDepth: true);
        return outName;
    }

    private static void AssertIdenticalContent(string dir, string source, string output)
    {
        var cmp = ToolUnderTest.Qemu(dir, "compare", source, output);
        Assert.AreEqual(0, cmp.ExitCode, $"qemu-img compare source vs our output\n{cmp}");
        Assert.AreEqual("Images are identical.\n", cmp.StdOut);
    }

    private static void AssertSameInfo(OracleDirs d, string output)
    {
        string[] info = ["info", "--output=json", output];
        var q = ToolUnderTest.QemuOk(d.Q, info);
        var t = ToolUnderTest.Qemu(d.T, info);
        Assert.AreEqual(0, t.ExitCode, t.ToString());
        OracleAssert.JsonDataEqual(q, t.StdOut, "qemu-img info of the converted image", "actual-size");
    }

    private static void AssertCheckClean(string dir, string output)
    {
        var c = ToolUnderTest.Qemu(dir, "check", output);
        Assert.AreEqual(0, c.ExitCode, $"qemu-img check of our output\n{c}");
        StringAssert.StartsWith(c.StdOut, "No errors were found on the image.");
    }

    /// <summary>Our output may hold data only where the source or qemu-img's output does.</summary>
    private static void AssertSparse(OracleDirs d, string source, string output, bool anyDepth)
    {
        var ours = DataRanges(d.T, output, depth0Only: !anyDepth);
        var allowed = DataRanges(d.T, source, depth0Only: !anyDepth).Concat(DataRanges(d.Q, output, depth0Only: !anyDepth));
        var extra = MapExtent.Uncovered(ours, allowed);
        Assert.AreEqual(0, extra.Count, "data in our output where the source had none: " + string.Join(", ", extra));
    }

    private static List<(long Start, long End)> DataRanges(string dir, string image, bool depth0Only)
    {
        var map = MapExtent.Parse(ToolUnderTest.QemuOk(dir, "map", "--output=json", image));
        return MapExtent.DataRanges(depth0Only ? map.Where(e => e.Depth == 0) : map);
    }

    [GeneratedRegex(@"^(    \(\d{1,3}\.\d\d/100%\)\r)+\n$")]
    private static partial Regex ProgressShape();
}
