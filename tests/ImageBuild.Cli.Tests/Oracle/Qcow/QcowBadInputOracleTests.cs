using System.Buffers.Binary;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Qcow;

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
    [DataRow("data-past-eof")] // qemu reads zeros: a data cluster is not a table
    [DataRow("data-unaligned")]
    [DataRow("compressed-garbage")]
    [DataRow("compressed-past-eof")]
    public void HostileImageIsHandledLikeQemu(string kind)
    {
        using var d = new OracleDirs();
        string name = kind + ".qcow";
        File.WriteAllBytes(d[name], Build(kind));
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
        File.WriteAllBytes(d[name], Build(kind));
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

    /// <summary>qemu-img fails with a bare "Input/output error"; imagebuild fails the same way but names the file and offset.</summary>
    private static void SameFailureMoreSpecific(TimedResult expected, TimedResult actual, string name)
    {
        OracleAssert.NoCrash(actual);
        Assert.AreEqual(expected.ExitCode, actual.ExitCode, $"exit code\nexpected (qemu-img): {expected}\nactual: {actual}");
        Assert.AreEqual(expected.NormalizedStdOut, actual.NormalizedStdOut, "stdout");
        string want = expected.NormalizedStdErr;
        string prefix = want[..want.LastIndexOf("Input/output error", StringComparison.Ordinal)];
        string got = actual.NormalizedStdErr;
        Assert.HasCount(1, got.TrimEnd('\n').Split('\n'), actual.ToString());
        StringAssert.StartsWith(got, prefix, actual.ToString());
        StringAssert.EndsWith(got, ": Input/output error\n", actual.ToString());
        StringAssert.Contains(got, name, actual.ToString());
    }

    private static byte[] Header(ulong size = 1 << 20, byte clusterBits = 12, byte l2Bits = 9, uint crypt = 0, ulong l1Offset = 48,
        ulong backingOffset = 0, uint backingSize = 0, uint version = 1)
    {
        var h = new byte[48];
        BinaryPrimitives.WriteUInt32BigEndian(h, 0x514649FB);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), version);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(8), backingOffset);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(16), backingSize);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(24), size);
        h[32] = clusterBits;
        h[33] = l2Bits;
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(36), crypt);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(40), l1Offset);
        return h;
    }

    /// <summary>A 1 MiB image: L1 at 48 naming an L2 table at 4096 with one entry, data from 8192.</summary>
    private static byte[] WithEntry(ulong entry, ulong l2Offset = 4096)
    {
        var img = new byte[3 * 4096];
        Header().CopyTo(img, 0);
        BinaryPrimitives.WriteUInt64BigEndian(img.AsSpan(48), l2Offset);
        BinaryPrimitives.WriteUInt64BigEndian(img.AsSpan(4096), entry);
        img.AsSpan(8192).Fill(0x55);
        return img;
    }

    private static readonly byte[] L1 = new byte[512];
    private const ulong Compressed = 1UL << 63;

    private static byte[] Build(string kind) => kind switch
    {
        "cluster-bits-8" => [.. Header(clusterBits: 8), .. L1],
        "cluster-bits-17" => [.. Header(clusterBits: 17), .. L1],
        "l2-bits-5" => [.. Header(l2Bits: 5), .. L1],
        "l2-bits-14" => [.. Header(l2Bits: 14), .. L1],
        "size-1" => [.. Header(size: 1), .. L1],
        "size-2" => [.. Header(size: 2), .. L1],
        "size-1025" => [.. Header(size: 1025), .. L1],
        "size-max" => [.. Header(size: ulong.MaxValue), .. L1],
        "size-2^49" => [.. Header(size: 1UL << 49), .. L1],
        "crypt-2" => [.. Header(crypt: 2), .. L1],
        "version-2" => [.. Header(version: 2), .. L1],
        "backing-name-1024" => [.. Header(backingOffset: 48, backingSize: 1024, l1Offset: 1072), .. new byte[1024], .. L1],
        "backing-name-empty" => [.. Header(backingOffset: 48, backingSize: 0), .. L1],
        "data-past-eof" => WithEntry(1UL << 40),
        "data-unaligned" => WithEntry(8192 + 3),
        "compressed-garbage" => WithEntry(Compressed | (100UL << 51) | 8192),
        "compressed-past-eof" => WithEntry(Compressed | (100UL << 51) | (1UL << 40)),
        "l1-past-eof" => [.. Header(l1Offset: 1 << 20), .. L1],
        "l1-offset-huge" => [.. Header(l1Offset: 1UL << 62), .. L1],
        "l2-past-eof" => WithEntry(0, l2Offset: 1UL << 40),
        "backing-name-past-eof" => [.. Header(backingOffset: 4096, backingSize: 10), .. L1],
        "short-header" => Header()[..40],
        _ => throw new ArgumentException(kind),
    };

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
