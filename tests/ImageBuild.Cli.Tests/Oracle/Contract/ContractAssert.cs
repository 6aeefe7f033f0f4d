using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// The comparisons of the driver contract: the tool under test and qemu-img run with the same arguments, and the
/// images they leave compared byte for byte (outside a profile's random fields) and through qemu-img's own eyes.
/// </summary>
internal static partial class ContractAssert
{
    /// <summary>
    /// Runs qemu-img in the twin Q and the tool in T with <paramref name="args"/>: same exit code, stdout and stderr.
    /// Returns qemu-img's result.
    /// </summary>
    public static TimedResult InTwins(OracleDirs d, params string[] args) => InTwins(d, args, args);

    /// <summary><see cref="InTwins(OracleDirs, string[])"/> with the tool given <paramref name="toolArgs"/> (e.g. --qemu-compression added).</summary>
    public static TimedResult InTwins(OracleDirs d, string[] args, string[] toolArgs)
    {
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, toolArgs);
        CompareRuns(expected, actual, args);
        return expected;
    }

    /// <summary>
    /// <see cref="InTwins"/> for a command where we differ from qemu-img on purpose: qemu fails without a message after
    /// doing all the work (qcow `convert -c` in 7.2), we succeed. Both print the same (nothing); returns qemu-img's result.
    /// </summary>
    public static TimedResult InTwinsWhereQemuFailsSilently(OracleDirs d, params string[] args) => InTwinsWhereQemuFailsSilently(d, args, args);

    /// <summary><see cref="InTwinsWhereQemuFailsSilently(OracleDirs, string[])"/> with the tool given <paramref name="toolArgs"/>.</summary>
    public static TimedResult InTwinsWhereQemuFailsSilently(OracleDirs d, string[] args, string[] toolArgs)
    {
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, toolArgs);
        OracleAssert.NoCrash(actual);
        Assert.AreNotEqual(0, expected.ExitCode, $"qemu-img was expected to fail here (the profile says so)\n{expected}");
        Assert.AreEqual("", expected.StdErr + expected.StdOut, expected.ToString());
        Assert.AreEqual(0, actual.ExitCode, actual.ToString());
        Assert.AreEqual("", actual.StdErr + actual.StdOut, actual.ToString());
        return expected;
    }

    /// <summary>
    /// Runs both programs with <paramref name="args"/> in one directory on the same files (read-only commands):
    /// every byte of the output must agree, actual sizes included; JSON is compared as data first so that a failure
    /// says whether values or only the layout differ. Returns qemu-img's result.
    /// </summary>
    public static TimedResult InOneDir(string dir, params string[] args)
    {
        var expected = ToolUnderTest.Qemu(dir, args);
        var actual = ToolUnderTest.Run(dir, args);
        CompareRuns(expected, actual, args);
        return expected;
    }

    private static void CompareRuns(TimedResult expected, TimedResult actual, string[] args)
    {
        OracleAssert.NoCrash(actual);
        if (args.Contains("--output=json") && expected.ExitCode == 0 && expected.StdOut.Length > 0 && actual.ExitCode == 0)
            OracleAssert.JsonDataEqual(expected.StdOut, actual.StdOut, string.Join(' ', args));
        OracleAssert.SameOutcome(expected, actual);
    }

    /// <summary>Same length and bytes, except in the profile's random ranges.</summary>
    public static void SameBytes(FormatProfile profile, string expectedPath, string actualPath, string what)
    {
        var fe = new FileInfo(expectedPath);
        var fa = new FileInfo(actualPath);
        Assert.IsTrue(fa.Exists, $"{what}: {actualPath} was not written");
        Assert.AreEqual(fe.Length, fa.Length, $"{what}: file length");
        using var se = new FileStream(expectedPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        using var sa = new FileStream(actualPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        var be = new byte[1 << 20];
        var ba = new byte[1 << 20];
        for (long pos = 0; pos < fe.Length; pos += be.Length)
        {
            int n = (int)Math.Min(be.Length, fe.Length - pos);
            se.ReadExactly(be, 0, n);
            sa.ReadExactly(ba, 0, n);
            foreach (var r in profile.RandomBytes)
            {
                long start = r.Offset < 0 ? fe.Length + r.Offset : r.Offset; // negative: from the end of the file
                long s = Math.Max(start, pos), e = Math.Min(start + r.Length, pos + n);
                if (s >= e) continue;
                be.AsSpan((int)(s - pos), (int)(e - s)).Clear();
                ba.AsSpan((int)(s - pos), (int)(e - s)).Clear();
            }
            int same = be.AsSpan(0, n).CommonPrefixLength(ba.AsSpan(0, n));
            if (same < n)
                Assert.Fail($"{what}: first differing byte at offset {pos + same} (0x{pos + same:x}): qemu-img wrote 0x{be[same]:x2}, the tool 0x{ba[same]:x2}");
        }
    }

    /// <summary>
    /// What qemu-img sees in the twins' images <paramref name="name"/> is the same: `info` (human and JSON; disk
    /// size and the profile's random fields masked), `check` JSON where the format has check (and ours is clean
    /// when qemu's is), and the allocation map (offsets ignored, so that data placed elsewhere does not count).
    /// Where qemu-img cannot open its own image, it must refuse ours with the same message.
    /// </summary>
    public static void QemuSeesSame(FormatProfile profile, OracleDirs d, string name, string what)
    {
        string fmt = profile.Name;
        string ctx = $"{what} ({name})";
        string[] infoJson = ["info", "-U", "-f", fmt, "--output=json", "--backing-chain", name];
        var qi = ToolUnderTest.Qemu(d.Q, infoJson);
        var ti = ToolUnderTest.Qemu(d.T, infoJson);
        if (qi.ExitCode != 0)
        {
            // qemu wrote an image it cannot open itself (qed table_size=1): ours must be refused the same way
            Assert.AreEqual(qi.ExitCode, ti.ExitCode, $"{ctx}: qemu-img refuses its own image but not the tool's\n{qi}\n{ti}");
            Assert.AreEqual(qi.StdErr, ti.StdErr, $"{ctx}: qemu-img's refusal of the two images");
            return;
        }
        Assert.AreEqual(0, ti.ExitCode, $"{ctx}: qemu-img cannot open the tool's image\n{ti}");
        OracleAssert.JsonDataEqual(qi.StdOut, ti.StdOut, $"{ctx}: qemu-img info", ["actual-size", .. profile.RandomInfoKeys]);

        string[] infoHuman = ["info", "-U", "-f", fmt, "--backing-chain", name];
        Assert.AreEqual(MaskHumanInfo(profile, ToolUnderTest.QemuOk(d.Q, infoHuman)), MaskHumanInfo(profile, ToolUnderTest.QemuOk(d.T, infoHuman)),
            $"{ctx}: qemu-img info (human)");

        string[] check = ["check", "-U", "-f", fmt, "--output=json", name];
        var qc = ToolUnderTest.Qemu(d.Q, check);
        var tc = ToolUnderTest.Qemu(d.T, check);
        Assert.AreEqual(profile.Has(QemuOps.Check), qc.ExitCode != 63, $"profile row '{fmt}': check support\n{qc}");
        Assert.AreEqual(qc.ExitCode, tc.ExitCode, $"{ctx}: qemu-img check exit code\nqemu-img's image: {qc}\nthe tool's image: {tc}");
        if (qc.ExitCode != 63)
            OracleAssert.JsonDataEqual(qc.StdOut, tc.StdOut, $"{ctx}: qemu-img check");

        string[] map = ["map", "-U", "-f", fmt, "--output=json", name];
        CollectionAssert.AreEqual(Allocation(ToolUnderTest.QemuOk(d.Q, map)), Allocation(ToolUnderTest.QemuOk(d.T, map)),
            $"{ctx}: qemu-img map (offsets ignored)\nqemu-img's image:\n{ToolUnderTest.QemuOk(d.Q, map)}\nthe tool's image:\n{ToolUnderTest.QemuOk(d.T, map)}");
    }

    /// <summary>
    /// qemu-img compare says the two images have the same guest content (with <paramref name="sizesMayDiffer"/>, after
    /// its warning that their sizes differ: the longer one's extra part reads as zeros).
    /// </summary>
    public static void Identical(string dir, string formatA, string a, string formatB, string b, string what, bool sizesMayDiffer = false)
    {
        var cmp = ToolUnderTest.Qemu(dir, "compare", "-U", "-f", formatA, "-F", formatB, a, b);
        Assert.AreEqual(0, cmp.ExitCode, $"{what}: qemu-img compare {a} {b}\n{cmp}");
        string result = sizesMayDiffer && cmp.StdOut.StartsWith(SizeMismatch, StringComparison.Ordinal) ? cmp.StdOut[SizeMismatch.Length..] : cmp.StdOut;
        Assert.AreEqual("Images are identical.\n", result, what);
    }

    private const string SizeMismatch = "Warning: Image size mismatch!\n";

    /// <summary>Human info with the disk size line and the profile's random lines dropped.</summary>
    public static string MaskHumanInfo(FormatProfile profile, string info)
    {
        var patterns = profile.RandomInfoLines.Select(p => new Regex(p)).Append(DiskSizeLine()).ToList();
        return string.Join('\n', info.Split('\n').Where(line => !patterns.Any(p => p.IsMatch(line))));
    }

    /// <summary>
    /// A `map --output=json` as allocation only: the host offsets dropped and neighbouring extents that then look
    /// alike merged, so two images with the same content and allocation compare equal wherever their data lies.
    /// </summary>
    public static List<string> Allocation(string mapJson)
    {
        var merged = new List<(long Start, long Length, string Kind)>();
        foreach (var node in JsonNode.Parse(mapJson)!.AsArray())
        {
            var o = node!.AsObject();
            long start = o["start"]!.GetValue<long>(), length = o["length"]!.GetValue<long>();
            string kind = $"depth {o["depth"]!.GetValue<int>()} present {o["present"]?.GetValue<bool>() ?? true} "
                + $"zero {o["zero"]!.GetValue<bool>()} data {o["data"]!.GetValue<bool>()} mapped {o["offset"] is not null}";
            if (merged.Count > 0 && merged[^1].Kind == kind && merged[^1].Start + merged[^1].Length == start)
                merged[^1] = (merged[^1].Start, merged[^1].Length + length, kind);
            else
                merged.Add((start, length, kind));
        }
        return merged.Select(m => $"{m.Start}+{m.Length}: {m.Kind}").ToList();
    }

    [GeneratedRegex("^disk size: ")]
    private static partial Regex DiskSizeLine();
}
