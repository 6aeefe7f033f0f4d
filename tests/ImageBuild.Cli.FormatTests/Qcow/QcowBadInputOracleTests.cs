using System.Buffers.Binary;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Qcow;

/// <summary>
/// Hostile qcow headers and tables. Where qemu-img refuses, the same exit code and words; where it fails a read with
/// a bare EIO, the same failure naming the file and offset; where it reads a table or name past the end of the file
/// as zeros, a refusal with one line naming the file (as for qcow2). Never a crash, never slow.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class QcowBadInputOracleTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(15);

    private static bool IsQemu => ToolUnderTest.IsQemu;

    [TestMethod]
    [DataRow("cluster-bits-8")]
    [DataRow("cluster-bits-17")]
    [DataRow("l2-bits-5")]
    [DataRow("l2-bits-14")]
    [DataRow("size-1")]
    [DataRow("size-2")] // a virtual size of 0
    [DataRow("size-1025")] // rounded down to whole sectors
    [DataRow("size-max")]
    [DataRow("size-2^49")]
    [DataRow("crypt-2")]
    [DataRow("version-2")]
    [DataRow("backing-name-1024")]
    [DataRow("backing-name-empty")]
    [DataRow("backing-name-empty-far")] // an empty name is not read
    [DataRow("backing-name-empty-huge")] // past qemu's largest offset: EIO
    [DataRow("data-past-eof")] // qemu reads zeros: a data cluster is not a table
    [DataRow("data-unaligned")]
    [DataRow("compressed-garbage")]
    [DataRow("compressed-past-eof")]
    public void HostileImageIsHandledLikeQemu(string kind)
    {
        using var d = new OracleDirs();
        string name = kind + ".qcow";
        File.WriteAllBytes(d[name], Build(d.Root, kind));
        foreach (var args in Commands(name))
        {
            var expected = ToolUnderTest.Qemu(d.Q, args);
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, $"too slow on hostile input\n{actual}");
            if (expected.StdErr.EndsWith(": Input/output error\n", StringComparison.Ordinal) && !IsQemu)
                SameFailureMoreSpecific(expected, actual, name);
            else
                OracleAssert.SameOutcome(expected, actual);
            if (args[0] == "convert" && expected.ExitCode == 0)
                OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), $"convert of {kind}");
        }
    }

    /// <summary>qemu-img reads these as zeros (exit 0); imagebuild refuses them with one line naming the file.</summary>
    [TestMethod]
    [DataRow("l1-past-eof")]
    [DataRow("l1-offset-huge")]
    [DataRow("l2-past-eof")]
    [DataRow("backing-name-past-eof")]
    [DataRow("short-header")]
    public void TablePastTheEndIsRefused(string kind)
    {
        using var d = new OracleDirs();
        string name = kind + ".qcow";
        File.WriteAllBytes(d[name], Build(d.Root, kind));
        var qemu = ToolUnderTest.Qemu(d.Q, ["convert", "-f", "qcow", "-O", "raw", "../" + name, "out.raw"]);
        Assert.AreEqual(0, qemu.ExitCode, $"fixture: qemu-img reads {kind} leniently\n{qemu}");
        if (IsQemu) return;
        foreach (var args in new[] { new[] { "convert", "-f", "qcow", "-O", "raw", "../" + name, "out.raw" }, ["compare", "-f", "qcow", "-F", "qcow", "../" + name, "../" + name] })
        {
            var actual = ToolUnderTest.Run(d.T, args);
            Assert.IsTrue(actual.Elapsed < Quick, actual.ToString());
            OracleAssert.NoCrash(actual);
            Assert.AreNotEqual(0, actual.ExitCode, actual.ToString());
            var lines = actual.NormalizedStdErr.TrimEnd('\n').Split('\n');
            Assert.HasCount(1, lines, actual.ToString());
            StringAssert.Contains(lines[0], name, actual.ToString());
            Assert.IsFalse(File.Exists(Path.Combine(d.T, "out.raw")), "no output left behind by a failed convert");
        }
    }

    private static IEnumerable<string[]> Commands(string name) =>
    [
        ["info", "-f", "qcow", "../" + name],
        ["info", "-f", "qcow", "--output=json", "../" + name],
        ["convert", "-f", "qcow", "-O", "raw", "../" + name, "out.raw"],
        ["check", "-f", "qcow", "../" + name],
        ["map", "-f", "qcow", "--output=json", "../" + name],
    ];

    /// <summary>
    /// qemu-img fails with a bare "Input/output error"; imagebuild fails the same way (exit code, stdout, the text
    /// before qemu's errno) in one line that also names the file and offset.
    /// </summary>
    private static void SameFailureMoreSpecific(TimedResult expected, TimedResult actual, string name)
    {
        string qemuLine = expected.NormalizedStdErr, ours = actual.NormalizedStdErr;
        string context = $"\nexpected (qemu-img): {expected}\nactual: {actual}";
        OracleAssert.NoCrash(actual);
        Assert.IsTrue(expected.ExitCode == actual.ExitCode && expected.NormalizedStdOut == actual.NormalizedStdOut, context);
        Assert.IsTrue(ours.StartsWith(qemuLine[..qemuLine.LastIndexOf("Input/output error", StringComparison.Ordinal)], StringComparison.Ordinal)
            && ours.EndsWith(": Input/output error\n", StringComparison.Ordinal) && ours.Contains(name, StringComparison.Ordinal)
            && ours.Count(c => c == '\n') == 1, context);
    }

    /// <summary>
    /// qemu-img's 1 MiB qcow (header, L1 at 48) after qemu-io wrote guest cluster 0: its L2 table at 4096, the cluster
    /// at 8192. Each kind patches one field of it.
    /// </summary>
    private static byte[] Build(string dir, string kind)
    {
        string path = Path.Combine(dir, "fixture.qcow");
        ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "qcow", "fixture.qcow", "1M");
        ToolUnderTest.QemuIo(dir, "qcow", "fixture.qcow", "write -q -P 0x55 0 4k");
        var img = File.ReadAllBytes(path);
        File.Delete(path);
        const ulong compressed = 1UL << 63;
        Span<byte> b = img;
        switch (kind)
        {
            case "cluster-bits-8": b[32] = 8; break;
            case "cluster-bits-17": b[32] = 17; break;
            case "l2-bits-5": b[33] = 5; break;
            case "l2-bits-14": b[33] = 14; break;
            case "size-1": Be64(b[24..], 1); break;
            case "size-2": Be64(b[24..], 2); break; // a virtual size of 0
            case "size-1025": Be64(b[24..], 1025); break;
            case "size-max": Be64(b[24..], ulong.MaxValue); break;
            case "size-2^49": Be64(b[24..], 1UL << 49); break; // 2^28 L1 entries: one more than qemu's INT_MAX / 8
            case "crypt-2": BinaryPrimitives.WriteUInt32BigEndian(b[36..], 2); break;
            case "version-2": BinaryPrimitives.WriteUInt32BigEndian(b[4..], 2); break;
            case "backing-name-1024": Be64(b[8..], 48); BinaryPrimitives.WriteUInt32BigEndian(b[16..], 1024); break;
            case "backing-name-empty": Be64(b[8..], 48); BinaryPrimitives.WriteUInt32BigEndian(b[16..], 0); break;
            case "backing-name-empty-far": Be64(b[8..], 1UL << 40); break;
            case "backing-name-empty-huge": Be64(b[8..], 1UL << 63); break;
            case "backing-name-past-eof": Be64(b[8..], 1 << 20); BinaryPrimitives.WriteUInt32BigEndian(b[16..], 10); break;
            case "data-past-eof": Be64(b[4096..], 1UL << 40); break;
            case "data-unaligned": Be64(b[4096..], 8192 + 3); break;
            case "compressed-garbage": Be64(b[4096..], compressed | (100UL << 51) | 8192); break;
            case "compressed-past-eof": Be64(b[4096..], compressed | (100UL << 51) | (1UL << 40)); break;
            case "l1-past-eof": Be64(b[40..], 1 << 20); break;
            case "l1-offset-huge": Be64(b[40..], 1UL << 62); break;
            case "l2-past-eof": Be64(b[48..], 1UL << 40); break;
            case "short-header": return img[..40];
            default: throw new ArgumentException(kind);
        }
        return img;
    }

    private static void Be64(Span<byte> at, ulong value) => BinaryPrimitives.WriteUInt64BigEndian(at, value);

    [TestMethod]
    [RequiresSharedImages]
    [DataRow("sleuthkit/image.qcow", "a528fc1bec79f4fef062f2bf1008c045")]
    [DataRow("freebsd-mkimg/img-1x1-512-gpt.qcow", "2fec896a950e428aca51850071a5cf66")]
    public void RealImagesMatchQemu(string image, string md5)
    {
        string source = Path.Combine(QemuOracle.SharedImages!, image);
        using var d = new OracleDirs();
        foreach (string[] args in new[] { new[] { "info", source }, ["info", "--output=json", source], ["map", source], ["map", "--output=json", source] })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        var r = ToolUnderTest.Run(d.T, "convert", "-f", "qcow", "-O", "raw", source, "out.raw");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        Assert.AreEqual(md5, QemuOracle.Md5OfFile(Path.Combine(d.T, "out.raw")));
        r = ToolUnderTest.Run(d.T, "convert", "-O", "qcow", source, "copy.qcow");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        ToolUnderTest.QemuOk(d.Q, "convert", "-O", "qcow", source, "copy.qcow");
        QcowCreateOracleTests.AssertSameFile(d, "copy.qcow");
    }
}
