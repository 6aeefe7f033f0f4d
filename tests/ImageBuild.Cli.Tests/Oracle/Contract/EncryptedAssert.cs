using System.Text.Json.Nodes;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// The comparisons of the encrypted rows. Two images made with the same options differ in every key, salt and
/// UUID, so they are compared by content (qemu-img compare through both keys), by info with the random fields
/// masked, by check and by allocation, never byte for byte; and no output may hold a passphrase.
/// </summary>
internal static class EncryptedAssert
{
    /// <summary>
    /// qemu-img in the twin Q and the tool in T with <paramref name="args"/>, each retried over qemu's benchmark
    /// failure: same exit code, stdout and stderr (JSON compared as data first). Returns qemu-img's result.
    /// </summary>
    public static TimedResult InTwins(OracleDirs d, params string[] args)
    {
        var expected = EncryptedFixtures.RetryingBenchmark(() => ToolUnderTest.Qemu(d.Q, args));
        var actual = EncryptedFixtures.RetryingBenchmark(() => ToolUnderTest.Run(d.T, args));
        CompareRuns(expected, actual, args);
        return expected;
    }

    /// <summary>Both programs with <paramref name="args"/> in one directory on the same files (commands that do not write).</summary>
    public static TimedResult InOneDir(string dir, params string[] args)
    {
        var expected = EncryptedFixtures.RetryingBenchmark(() => ToolUnderTest.Qemu(dir, args)); // measure of qcow2 luks benchmarks
        var actual = EncryptedFixtures.RetryingBenchmark(() => ToolUnderTest.Run(dir, args));
        CompareRuns(expected, actual, args);
        return expected;
    }

    /// <summary>Same outcome, and no passphrase in either program's output.</summary>
    public static void CompareRuns(TimedResult expected, TimedResult actual, string[] args)
    {
        OracleAssert.NoCrash(actual);
        foreach (var s in new[] { EncryptedProfiles.Passphrase, EncryptedProfiles.WrongPassphrase, EncryptedProfiles.SecondPassphrase })
        {
            s.AssertNotIn(expected.StdOut + expected.StdErr, "qemu-img " + args[0]);
            s.AssertNotIn(actual.StdOut + actual.StdErr, "the tool's " + args[0]);
        }
        if (args.Contains("--output=json") && expected.ExitCode == 0 && expected.StdOut.Length > 0 && actual.ExitCode == 0)
            OracleAssert.JsonDataEqual(expected.StdOut, actual.StdOut, string.Join(' ', args));
        OracleAssert.SameOutcome(expected, actual);
    }

    /// <summary>
    /// qemu-img compare, opening both encrypted images with <paramref name="secret"/>, finds the same guest content.
    /// For a row that does not start as zeros, <paramref name="definedBytes"/> says how much of the content was
    /// written (the rest is noise of each image's own key): both images are then converted to raw by qemu-img and
    /// only that much is compared.
    /// </summary>
    public static void Identical(EncryptedProfile p, string dir, string a, string b, string what, ContractSecret? secret = null, long? definedBytes = null)
    {
        if (!p.ZeroInitialised && definedBytes is long defined)
        {
            SamePrefix(p, dir, a, b, defined, what, secret ?? p.Secret);
            return;
        }
        string id = (secret ?? p.Secret).Id;
        string[] args = ["compare", "-U", .. (secret ?? p.Secret).ObjectArgs, .. p.NamingFlag, p.Spec(a, id), p.Spec(b, id)];
        var cmp = ToolUnderTest.Qemu(dir, args);
        Assert.AreEqual(0, cmp.ExitCode, $"{what}: qemu-img compare {a} {b}\n{cmp}");
        Assert.AreEqual("Images are identical.\n", cmp.StdOut, what);
    }

    private static void SamePrefix(EncryptedProfile p, string dir, string a, string b, long defined, string what, ContractSecret secret)
    {
        string ra = Path.Combine(dir, "prefix-a.raw"), rb = Path.Combine(dir, "prefix-b.raw");
        try
        {
            ToolUnderTest.QemuOk(dir, ["convert", "-U", "-O", "raw", .. p.Open(a, secret), ra]);
            ToolUnderTest.QemuOk(dir, ["convert", "-U", "-O", "raw", .. p.Open(b, secret), rb]);
            Assert.AreEqual(new FileInfo(ra).Length, new FileInfo(rb).Length, $"{what}: virtual sizes of {a} and {b}");
            using var sa = File.OpenRead(ra);
            using var sb = File.OpenRead(rb);
            var ba = new byte[1 << 20];
            var bb = new byte[1 << 20];
            for (long pos = 0; pos < defined; pos += ba.Length)
            {
                int n = (int)Math.Min(ba.Length, defined - pos);
                sa.ReadExactly(ba, 0, n);
                sb.ReadExactly(bb, 0, n);
                int same = ba.AsSpan(0, n).CommonPrefixLength(bb.AsSpan(0, n));
                if (same < n)
                    Assert.Fail($"{what}: the written content of {a} and {b} differs first at offset {pos + same}");
            }
        }
        finally
        {
            File.Delete(ra);
            File.Delete(rb);
        }
    }

    /// <summary>qemu-img compare finds the encrypted image <paramref name="image"/> to hold the raw file <paramref name="raw"/>.</summary>
    public static void HoldsRaw(EncryptedProfile p, string dir, string image, string raw, string what)
    {
        var cmp = ToolUnderTest.Qemu(dir, ["compare", "-U", .. p.Secret.ObjectArgs, .. p.NamingFlag, p.RawSpec(raw), p.Spec(image)]);
        Assert.AreEqual(0, cmp.ExitCode, $"{what}: qemu-img compare {raw} {image}\n{cmp}");
    }

    /// <summary>
    /// What qemu-img sees in the twins' images <paramref name="name"/>, opened with the row's secret, is the same:
    /// guest content (where it was written: <see cref="Identical"/>), `info` (human and JSON; disk size and the row's random fields masked), `check` where the format
    /// has it, and the allocation map (offsets ignored).
    /// </summary>
    public static void QemuSeesSame(EncryptedProfile p, OracleDirs d, string name, string what, long? definedBytes = null)
    {
        string ctx = $"{what} ({name})";
        Identical(p, d.Root, "q/" + name, "t/" + name, ctx, definedBytes: definedBytes);

        string[] infoJson = ["info", "-U", .. p.Open(name), "--output=json"];
        var qi = ToolUnderTest.QemuOk(d.Q, infoJson);
        var ti = ToolUnderTest.Qemu(d.T, infoJson);
        Assert.AreEqual(0, ti.ExitCode, $"{ctx}: qemu-img info of the tool's image\n{ti}");
        OracleAssert.JsonDataEqual(qi, ti.StdOut, $"{ctx}: qemu-img info", ["actual-size", .. p.RandomInfoKeys]);

        string[] infoHuman = ["info", "-U", .. p.Open(name)];
        Assert.AreEqual(MaskHumanInfo(p, ToolUnderTest.QemuOk(d.Q, infoHuman)), MaskHumanInfo(p, ToolUnderTest.QemuOk(d.T, infoHuman)),
            $"{ctx}: qemu-img info (human)");

        string[] check = ["check", "-U", .. p.Open(name), "--output=json"];
        var qc = ToolUnderTest.Qemu(d.Q, check);
        var tc = ToolUnderTest.Qemu(d.T, check);
        Assert.AreEqual(p.Has(QemuOps.Check), qc.ExitCode != 63, $"profile row '{p.Row}': check support\n{qc}");
        Assert.AreEqual(qc.ExitCode, tc.ExitCode, $"{ctx}: qemu-img check exit code\nqemu-img's image: {qc}\nthe tool's image: {tc}");
        if (qc.ExitCode != 63)
            OracleAssert.JsonDataEqual(qc.StdOut, tc.StdOut, $"{ctx}: qemu-img check");

        string[] map = ["map", "-U", .. p.Open(name), "--output=json"];
        string qm = ToolUnderTest.QemuOk(d.Q, map), tm = ToolUnderTest.QemuOk(d.T, map);
        CollectionAssert.AreEqual(ContractAssert.Allocation(qm), ContractAssert.Allocation(tm),
            $"{ctx}: qemu-img map (offsets ignored)\nqemu-img's image:\n{qm}\nthe tool's image:\n{tm}");
    }

    /// <summary>Human info with the disk size line and the row's random lines dropped.</summary>
    public static string MaskHumanInfo(EncryptedProfile p, string info) =>
        ContractAssert.MaskHumanInfo(new FormatProfile(p.Format) { RandomInfoLines = p.RandomInfoLines }, info);

    /// <summary>The number of active key slots qemu-img info reports (LUKS rows).</summary>
    public static int ActiveKeySlots(EncryptedProfile p, string dir, string name)
    {
        var info = JsonNode.Parse(ToolUnderTest.QemuOk(dir, ["info", "-U", .. p.Open(name), "--output=json"]))!;
        var encrypt = p.Format == "luks" ? info["format-specific"]!["data"]! : info["format-specific"]!["data"]!["encrypt"]!;
        return encrypt["slots"]!.AsArray().Count(s => s!["active"]!.GetValue<bool>());
    }
}
