using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>
/// Every command that changes an image leaves qcow2 images that `qemu-img check` finds clean (no errors, no
/// leaks); every command that reads a corrupt image fails with a one-line error, never a stack trace.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class CommandsLeaveCleanImagesTests
{
    private static (int Rc, string Out, string Err) Ours(string cwd, string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        string old = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = cwd;
            int rc = Program.Run(args, o, e);
            return (rc, o.ToString(), e.ToString());
        }
        finally
        {
            Environment.CurrentDirectory = old;
        }
    }

    /// <summary>base (1M of data) &lt;- mid &lt;- top, an empty qcow2 target, and a raw image.</summary>
    private static TempDir Images()
    {
        var tmp = new TempDir();
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["base.qcow2"], "4M");
        QemuOracle.IoOk("-c", "write -P 1 0 1M", "-c", "write -c -P 4 3M 64k", tmp["base.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", tmp["mid.qcow2"]);
        QemuOracle.IoOk("-c", "write -P 2 512k 1M", "-c", "write -z 64k 64k", tmp["mid.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", tmp["top.qcow2"]);
        QemuOracle.IoOk("-c", "write -P 3 1536k 512k", "-c", "discard 512k 64k", tmp["top.qcow2"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", tmp["empty.qcow2"], "4M");
        QemuOracle.ImgOk("create", "-q", "-f", "raw", tmp["r.raw"], "4M");
        QemuOracle.IoOk("-f", "raw", "-c", "write -P 5 100k 300k", tmp["r.raw"]);
        return tmp;
    }

    [TestMethod]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-o", "cluster_size=16k,extended_l2=on", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-o", "preallocation=metadata", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-o", "preallocation=falloc,cluster_size=4k", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-o", "preallocation=full", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-o", "compat=0.10", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on,refcount_bits=1", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-o", "refcount_bits=64,cluster_size=512", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-o", "compression_type=zstd", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-o", "data_file=n.data", "n.qcow2", "4M")]
    [DataRow("n.qcow2", "create", "-q", "-f", "qcow2", "-b", "top.qcow2", "-F", "qcow2", "n.qcow2")]
    [DataRow("n.qcow2", "convert", "-O", "qcow2", "top.qcow2", "n.qcow2")]
    [DataRow("n.qcow2", "convert", "-c", "-O", "qcow2", "top.qcow2", "n.qcow2")]
    [DataRow("n.qcow2", "convert", "-c", "-O", "qcow2", "-o", "compression_type=zstd,cluster_size=4k", "top.qcow2", "n.qcow2")]
    [DataRow("n.qcow2", "convert", "-O", "qcow2", "-B", "base.qcow2", "-F", "qcow2", "top.qcow2", "n.qcow2")]
    [DataRow("empty.qcow2", "convert", "-n", "-O", "qcow2", "top.qcow2", "empty.qcow2")]
    [DataRow("empty.qcow2", "convert", "-n", "-c", "-O", "qcow2", "top.qcow2", "empty.qcow2")]
    [DataRow("n.qcow2", "convert", "-O", "qcow2", "-o", "preallocation=metadata,extended_l2=on", "r.raw", "n.qcow2")]
    [DataRow("top.qcow2", "resize", "top.qcow2", "+1M")]
    [DataRow("base.qcow2", "resize", "base.qcow2", "2G")]
    [DataRow("base.qcow2", "resize", "--shrink", "base.qcow2", "512k")]
    [DataRow("top.qcow2", "resize", "--preallocation=full", "top.qcow2", "+1M")]
    [DataRow("top.qcow2", "resize", "--preallocation=metadata", "top.qcow2", "+3M")]
    [DataRow("top.qcow2,mid.qcow2", "commit", "top.qcow2")]
    [DataRow("top.qcow2,mid.qcow2", "commit", "-d", "top.qcow2")]
    [DataRow("top.qcow2,mid.qcow2,base.qcow2", "commit", "-b", "base.qcow2", "top.qcow2")]
    [DataRow("top.qcow2", "rebase", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2")]
    [DataRow("top.qcow2", "rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2")]
    [DataRow("top.qcow2", "rebase", "-b", "", "top.qcow2")]
    [DataRow("n.qcow2", "dd", "-O", "qcow2", "bs=64k", "if=top.qcow2", "of=n.qcow2")]
    [DataRow("n.qcow2", "dd", "-f", "qcow2", "-O", "qcow2", "bs=4k", "count=100", "skip=3", "if=top.qcow2", "of=n.qcow2")]
    [DataRow("base.qcow2", "bench", "-w", "-c", "64", "-d", "4", "base.qcow2")]
    [DataRow("empty.qcow2", "bench", "-w", "-c", "64", "-S", "131072", "-s", "8k", "--pattern=7", "empty.qcow2")]
    [DataRow("top.qcow2", "bench", "-w", "-c", "32", "-o", "1000", "-s", "3000", "-d", "4", "--flush-interval=8", "top.qcow2")]
    public void LeavesImagesQemuFindsClean(string toCheck, params string[] args)
    {
        using var tmp = Images();
        var r = Ours(tmp.Path, args);
        Assert.AreEqual(0, r.Rc, $"{string.Join(' ', args)}: {r.Err}");
        foreach (var name in toCheck.Split(','))
        {
            // From the image's directory: qemu-img check opens a relative data_file from the working directory.
            var check = QemuOracle.Run(QemuOracle.QemuImg, ["check", name], tmp.Path);
            Assert.AreEqual(0, check.ExitCode, $"{string.Join(' ', args)}: qemu-img check {name}\n{check.StdOut}{check.StdErr}");
            StringAssert.StartsWith(check.StdOut, "No errors were found on the image.");
            Assert.AreEqual("", check.StdErr, $"{name}: qemu-img check stderr");
        }
    }

    /// <summary>Corruptions a reader trips over: the data itself cannot be located.</summary>
    private static void Corrupt(string kind, string path)
    {
        using var c = new Qcow2Corruptor(path);
        switch (kind)
        {
            case "l2-unaligned": c.SetL2Entry(0, 2, c.GetL2Entry(0, 2) + 0x200); break;
            case "l1-past-eof": c.SetL1Entry(0, (1UL << 63) | 0xF000_0000); break;
            case "l1-unaligned": c.SetL1Entry(0, (1UL << 63) | ((ulong)c.L2Offset(0) + 0x200)); break;
            case "compressed-past-eof":
                {
                    ulong e = c.GetL2Entry(0, 48);
                    Assert.AreNotEqual(0UL, e & (1UL << 62), "guest 3M is expected compressed");
                    c.SetL2Entry(0, 48, (e & ~((1UL << 54) - 1)) | 0x1000_0000);
                    break;
                }
            case "compressed-garbage":
                {
                    ulong e = c.GetL2Entry(0, 48);
                    // Point the compressed data at the L2 table itself: it does not inflate.
                    c.SetL2Entry(0, 48, (e & ~((1UL << 54) - 1)) | (ulong)c.L2Offset(0));
                    break;
                }
            default: throw new ArgumentException(kind);
        }
    }

    [TestMethod]
    [DataRow("l2-unaligned")]
    [DataRow("l1-past-eof")]
    [DataRow("l1-unaligned")]
    [DataRow("compressed-past-eof")]
    [DataRow("compressed-garbage")]
    public void ReadCommandsFailOnCorruptImagesWithOneLine(string kind)
    {
        using var tmp = Images();
        File.Copy(tmp["base.qcow2"], tmp["good.qcow2"]);
        Corrupt(kind, tmp["base.qcow2"]);
        // Commands that only walk the mapping (map, measure) trip over broken tables, not over broken compressed data.
        bool mappingBroken = kind.StartsWith("l", StringComparison.Ordinal);
        var commands = new List<string[]>
        {
            new[] { "convert", "-O", "raw", "base.qcow2", "o.raw" },
            new[] { "convert", "-O", "qcow2", "base.qcow2", "o.qcow2" },
            new[] { "convert", "-c", "-O", "qcow2", "top.qcow2", "o2.qcow2" },
            new[] { "compare", "base.qcow2", "good.qcow2" },
            new[] { "dd", "if=base.qcow2", "of=o.raw", "bs=1M" },
            new[] { "bench", "-c", "64", "-s", "64k", "base.qcow2" },
        };
        if (mappingBroken)
        {
            commands.Add(["map", "base.qcow2"]);
            commands.Add(["map", "--output=json", "base.qcow2"]);
            commands.Add(["measure", "-O", "qcow2", "base.qcow2"]);
        }
        foreach (var args in commands)
        {
            var r = Ours(tmp.Path, args);
            string what = $"{kind}: {string.Join(' ', args)} (exit {r.Rc})\n{r.Err}";
            Assert.AreNotEqual(0, r.Rc, what);
            Assert.IsFalse(r.Err.Contains("   at ", StringComparison.Ordinal) || r.Err.Contains("Exception", StringComparison.Ordinal), "stack trace: " + what);
            var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.AreEqual(1, lines.Length, "one line expected: " + what);
            StringAssert.StartsWith(lines[0], "imagebuild: ", what);
        }
        // Metadata-only readers still work, and check names the problem.
        Assert.AreEqual(0, Ours(tmp.Path, ["info", "base.qcow2"]).Rc);
        var check = Ours(tmp.Path, ["check", "base.qcow2"]);
        Assert.AreEqual(QemuOracle.Img("check", tmp["base.qcow2"]).ExitCode, check.Rc, check.Err);
    }
}
