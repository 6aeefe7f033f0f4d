using System.Text.RegularExpressions;
using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Qcow2;

/// <summary>
/// Encrypted qcow2 and qcow through the CLI against qemu-img 7.2, with secrets given by --object: create (AES
/// images byte for byte; LUKS images with qemu's Formatting line, layout and info, random fields aside), the
/// refusals of bad encryption options, info of encrypted images without their key (human and JSON, the encrypt
/// block included) and measure with the LUKS header.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed partial class Qcow2EncryptionOracleTests
{
    /// <summary>The secret as a file in each twin: the passphrase never appears on a printed command line.</summary>
    private static readonly string[] Secret = ["--object", "secret,id=s0,file=s0.secret"];

    private static OracleDirs Dirs()
    {
        var d = new OracleDirs();
        foreach (var dir in new[] { d.Q, d.T })
            File.WriteAllText(Path.Combine(dir, "s0.secret"), "pass phrase");
        return d;
    }

    /// <summary>qemu-img with the LUKS benchmark's "Unable to get accurate CPU usage" failures retried.</summary>
    private static TimedResult QemuRetrying(string cwd, params string[] args)
    {
        TimedResult r = null!;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            r = ToolUnderTest.Qemu(cwd, args);
            if (!r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) break;
        }
        return r;
    }

    [TestMethod]
    [DataRow("qcow2", "encrypt.format=aes,encrypt.key-secret=s0")]
    [DataRow("qcow2", "encryption=on,encrypt.key-secret=s0")]
    [DataRow("qcow2", "encrypt.format=aes,encrypt.key-secret=s0,compat=0.10,cluster_size=4096")]
    [DataRow("qcow2", "encrypt.format=aes,encrypt.key-secret=s0,backing_file=base.qcow2,backing_fmt=qcow2")]
    [DataRow("qcow2", "encrypt.format=aes")]
    [DataRow("qcow2", "encryption=on")]
    [DataRow("qcow2", "encrypt.format=aes,encrypt.key-secret=nope")]
    [DataRow("qcow2", "encrypt.format=luks,encrypt.key-secret=nope")]
    [DataRow("qcow2", "encrypt.format=luks")]
    [DataRow("qcow2", "encrypt.format=aes,encrypt.cipher-alg=aes-128,encrypt.key-secret=s0")]
    [DataRow("qcow2", "encrypt.format=luks,encrypt.cipher-alg=foo,encrypt.key-secret=s0")]
    [DataRow("qcow2", "encrypt.format=luks,encrypt.hash-alg=sha7,encrypt.key-secret=s0")]
    [DataRow("qcow2", "encrypt.format=foo,encrypt.key-secret=s0")]
    [DataRow("qcow2", "encrypt.key-secret=s0")]
    [DataRow("qcow2", "encryption=on,encrypt.format=aes,encrypt.key-secret=s0")]
    [DataRow("qcow", "encrypt.format=aes,encrypt.key-secret=s0")]
    [DataRow("qcow", "encryption=on,encrypt.key-secret=s0")]
    [DataRow("qcow", "encrypt.format=aes,encrypt.key-secret=nope")]
    public void CreateMatchesQemuByteForByte(string format, string options)
    {
        using var d = Dirs();
        d.QemuOkInBoth("create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        string[] args = ["create", "-f", format, .. Secret, "-o", options, "img", "4M"];
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);
        string q = Path.Combine(d.Q, "img"), t = Path.Combine(d.T, "img");
        Assert.AreEqual(File.Exists(q), File.Exists(t), "img exists in one twin only");
        if (File.Exists(q))
            OracleFixtures.AssertFilesEqual(q, t, "img");
    }

    /// <summary>Random fields of a LUKS header in info output: the UUID and the benchmarked iteration counts.</summary>
    private static string MaskRandom(string text) =>
        IterationsRegex().Replace(UuidRegex().Replace(text, "UUID"), m => m.Groups[1].Value + "0");

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex UuidRegex();

    [GeneratedRegex(@"((?:iters|master key iters|""iters""|""master-key-iters""):\s*)\d+")]
    private static partial Regex IterationsRegex();

    [TestMethod]
    [DataRow("", "4M")]
    [DataRow(",encrypt.cipher-alg=aes-128,encrypt.cipher-mode=cbc,encrypt.ivgen-alg=essiv,encrypt.ivgen-hash-alg=sha256,encrypt.hash-alg=sha1", "4M")]
    [DataRow(",encrypt.cipher-alg=aes-192,cluster_size=4096,compat=0.10", "100M")]
    [DataRow(",preallocation=metadata", "4M")]       // L2 tables and data clusters first, the LUKS header after them
    [DataRow(",data_file=df.raw", "4M")]             // the data file extension before the crypto header pointer
    public void LuksCreateHasQemusLayoutAndInfo(string extra, string size)
    {
        using var d = Dirs();
        string[] args = ["create", "-f", "qcow2", .. Secret, "-o", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10" + extra, "img.qcow2", size];
        var expected = QemuRetrying(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);
        Assert.AreEqual(new FileInfo(Path.Combine(d.Q, "img.qcow2")).Length, new FileInfo(Path.Combine(d.T, "img.qcow2")).Length, "file length");
        // The header up to the LUKS area is the same (the crypto header extension included).
        CollectionAssert.AreEqual(ImageFilePatch.ReadBytes(Path.Combine(d.Q, "img.qcow2"), 0, 512),
            ImageFilePatch.ReadBytes(Path.Combine(d.T, "img.qcow2"), 0, 512), "qcow2 header");

        foreach (var output in new[] { "human", "json" })
        {
            string[] info = ["info", "--output=" + output, "img.qcow2"];
            var q = ToolUnderTest.Qemu(d.Q, info);
            var t = ToolUnderTest.Run(d.T, info);
            Assert.AreEqual(q.ExitCode, t.ExitCode);
            string qs = MaskRandom(q.NormalizedStdOut), ts = MaskRandom(t.NormalizedStdOut);
            if (output == "json")
                OracleAssert.JsonDataEqual(qs, ts, "info", "actual-size");
            else
                Assert.AreEqual(Regex.Replace(qs, "disk size: .*", ""), Regex.Replace(ts, "disk size: .*", ""), "info");
        }
    }

    /// <summary>Images qemu made (AES and LUKS, qcow and qcow2): info without the key is qemu's, byte for byte.</summary>
    [TestMethod]
    [DataRow("qcow2", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10")]
    [DataRow("qcow2", "encrypt.format=aes,encrypt.key-secret=s0")]
    [DataRow("qcow", "encrypt.format=aes,encrypt.key-secret=s0")]
    public void InfoOfQemusEncryptedImageWithoutKey(string format, string options)
    {
        using var d = Dirs();
        var made = QemuRetrying(d.Q, ["create", "-q", "-f", format, .. Secret, "-o", options, "img", "4M"]);
        Assert.AreEqual(0, made.ExitCode, made.StdErr);
        File.Copy(Path.Combine(d.Q, "img"), Path.Combine(d.T, "img"));
        foreach (var output in new[] { "human", "json" })
        {
            // Everything but the disk size (a copy does not keep the holes of qemu's file).
            string[] info = ["info", "--output=" + output, "img"];
            var q = ToolUnderTest.Qemu(d.Q, info);
            var t = ToolUnderTest.Run(d.T, info);
            OracleAssert.SameExitAndErrors(q, t);
            if (output == "json")
                OracleAssert.JsonDataEqual(q.NormalizedStdOut, t.NormalizedStdOut, "info", "actual-size");
            else
                Assert.AreEqual(Regex.Replace(q.NormalizedStdOut, "disk size: .*", ""), Regex.Replace(t.NormalizedStdOut, "disk size: .*", ""), "info");
        }
        // Reading needs the key: qemu's message without it.
        string[] convert = ["convert", "-O", "raw", "img", "out.raw"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, convert), ToolUnderTest.Run(d.T, convert));
    }

    [TestMethod]
    [DataRow("encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10")]
    [DataRow("encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10,encrypt.cipher-alg=aes-128")]
    [DataRow("encrypt.format=aes,encrypt.key-secret=s0")]
    [DataRow("encrypt.format=luks")]
    public void MeasureMatchesQemu(string options)
    {
        using var d = Dirs();
        string[] args = ["measure", .. Secret, "-O", "qcow2", "-o", options, "--size", "1G"];
        OracleAssert.SameOutcome(QemuRetrying(d.Q, args), ToolUnderTest.Run(d.T, args));
    }

    [TestMethod]
    public void ConvertRefusesCompressionWithEncryption()
    {
        using var d = Dirs();
        d.QemuOkInBoth("create", "-q", "-f", "raw", "src.raw", "1M");
        string[] args = ["convert", "-c", .. Secret, "-O", "qcow2", "-o", "encrypt.format=aes,encrypt.key-secret=s0", "src.raw", "out.qcow2"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        Assert.IsFalse(File.Exists(Path.Combine(d.T, "out.qcow2")));
    }

    /// <summary>convert from raw into an encrypted image (the target opened with its key): qemu-img reads ours back.</summary>
    [TestMethod]
    [DataRow("qcow2", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10")]
    [DataRow("qcow2", "encrypt.format=aes,encrypt.key-secret=s0")]
    [DataRow("qcow", "encrypt.format=aes,encrypt.key-secret=s0")]
    public void ConvertIntoEncryptedImageQemuReadsBack(string format, string options)
    {
        using var d = Dirs();
        var data = new byte[2 << 20];
        new Random(7).NextBytes(data.AsSpan(0, 200_000));
        Array.Fill(data, (byte)0x5c, 1 << 20, 65_536);
        File.WriteAllBytes(Path.Combine(d.T, "src.raw"), data);
        var r = ToolUnderTest.Run(d.T, ["convert", .. Secret, "-O", format, "-o", options, "src.raw", "out"]);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        string back = Path.Combine(d.T, "back.raw");
        QemuOracle.ImgOk("convert", "--object", $"secret,id=s0,file={Path.Combine(d.T, "s0.secret")}", "--image-opts",
            $"driver={format},file.filename={Path.Combine(d.T, "out")},encrypt.key-secret=s0", "-O", "raw", back);
        CollectionAssert.AreEqual(data, File.ReadAllBytes(back));
    }
}
