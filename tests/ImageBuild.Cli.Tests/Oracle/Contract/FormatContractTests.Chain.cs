namespace ImageBuild.Cli.Tests.Oracle.Contract;

public sealed partial class FormatContractTests
{
    // commit and rebase run with -t unsafe (no flushes): qemu's qcow driver syncs every table update, which makes a
    // safe rebase take seconds, and the cache mode changes nothing in the resulting files.

    /// <summary>
    /// commit of a filled overlay into its filled base (where the format has backing files; elsewhere of a lone
    /// image, which qemu refuses), in twin copies: same messages and exit code, then the same images afterwards.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(ContractMatrix.FormatCases), typeof(ContractMatrix))]
    public void ContractCommit(string format)
    {
        var p = FormatProfiles.Get(format);
        EngineDrivers.Require(format);
        using var d = new OracleDirs();
        string top = "top." + p.Extension;
        string[] images = MakeTopInBoth(p, d, top);

        var expected = ContractAssert.InTwins(d, "commit", "-t", "unsafe", "-f", format, top);
        Assert.AreEqual(p.Has(QemuOps.Backing), expected.ExitCode == 0, $"profile row '{format}': commit into a backing file\n{expected}");
        if (p.CommitInvalidatesOverlay)
        {
            OracleAssert.SameExitAndErrors(ToolUnderTest.Qemu(d.Q, "info", top), ToolUnderTest.Run(d.T, "info", top)); // its cid is random
            images = [.. images.Where(n => n != top)];
        }
        AssertSameImages(p, d, images, ContractOps.Commit, $"commit -f {format}");
    }

    /// <summary>
    /// rebase (safe: the overlay keeps its content over a new backing file; unsafe: only the name changes) in twin
    /// copies: same messages and exit code, then the same images afterwards, also where qemu copies data and then
    /// cannot change the backing file name.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(ContractMatrix.RebaseCases), typeof(ContractMatrix))]
    public void ContractRebase(string format, string mode)
    {
        var p = FormatProfiles.Get(format);
        EngineDrivers.Require(format);
        using var d = new OracleDirs();
        string top = "top." + p.Extension, newBase = "new." + p.Extension;
        string[] images = MakeTopInBoth(p, d, top);
        foreach (string dir in new[] { d.Q, d.T })
        {
            ToolUnderTest.QemuOk(dir, "create", "-q", "-f", format, newBase, ContractFixtures.FilledSize);
            ContractFixtures.Io(dir, format, newBase, "write -q -P 0x61 0 2M", "write -q -P 0x52 6M 2M");
        }

        string[] unsafeFlag = mode == "unsafe" ? ["-u"] : [];
        var expected = ContractAssert.InTwins(d, ["rebase", "-t", "unsafe", "-f", format, .. unsafeFlag, "-b", newBase, "-F", format, top]);
        Assert.AreEqual(p.Has(QemuOps.ChangeBacking), expected.ExitCode == 0, $"profile row '{format}': rebase\n{expected}");
        AssertSameImages(p, d, [.. images, newBase], ContractOps.Rebase, $"rebase {mode} -f {format}");
    }

    /// <summary>resize of a filled image (grow, shrink, shrink without --shrink) in twin copies.</summary>
    [TestMethod]
    [DynamicData(nameof(ContractMatrix.ResizeCases), typeof(ContractMatrix))]
    public void ContractResize(string format, string resizeArgs)
    {
        var p = FormatProfiles.Get(format);
        EngineDrivers.Require(format);
        using var d = new OracleDirs();
        string img = "img." + p.Extension;
        foreach (string dir in new[] { d.Q, d.T })
            ContractFixtures.MakeFilledImage(p, dir, img, "");

        string[] words = resizeArgs.Split(' ');
        var expected = ContractAssert.InTwins(d, ["resize", "-f", format, .. words[..^1], img, words[^1]]);
        if (resizeArgs.StartsWith('+'))
            Assert.AreEqual(p.Has(QemuOps.Grow), expected.ExitCode == 0, $"profile row '{format}': grow\n{expected}");
        else if (resizeArgs.StartsWith("--shrink", StringComparison.Ordinal))
            Assert.AreEqual(p.Has(QemuOps.Shrink), expected.ExitCode == 0, $"profile row '{format}': shrink\n{expected}");
        AssertSameImages(p, d, [img], ContractOps.Resize, $"resize -f {format} {resizeArgs}");
    }

    /// <summary>
    /// The same qemu-made images in both twins: base.EXT and <paramref name="top"/> over it where the format has
    /// backing files, else <paramref name="top"/> alone. Returns their names.
    /// </summary>
    private static string[] MakeTopInBoth(FormatProfile p, OracleDirs d, string top)
    {
        foreach (string dir in new[] { d.Q, d.T })
        {
            if (p.Has(QemuOps.Backing)) ContractFixtures.MakeFilledOverlay(p, dir, top);
            else ContractFixtures.MakeFilledImage(p, dir, top, "");
        }
        return p.Has(QemuOps.Backing) ? ["base." + p.Extension, top] : [top];
    }

    /// <summary>After an operation in both twins, every image has the same content, qemu-img view and (where qemu's layout is deterministic) bytes.</summary>
    private static void AssertSameImages(FormatProfile p, OracleDirs d, IEnumerable<string> images, ContractOps op, string what)
    {
        foreach (string name in images)
        {
            ContractAssert.Identical(d.Root, p.Name, "q/" + name, p.Name, "t/" + name, $"{what}: {name}");
            if (p.ByteExact.HasFlag(op))
                ContractAssert.SameBytes(p, Path.Combine(d.Q, name), Path.Combine(d.T, name), $"{what}: {name}");
            ContractAssert.QemuSeesSame(p, d, name, what);
        }
    }
}
