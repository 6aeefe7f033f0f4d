using ImageBuild.Cli.FormatTests.Luks;
using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Qcow2;

/// <summary>
/// Encrypted images opened with their key through --image-opts (encrypt.key-secret), against qemu-img 7.2 on
/// copies of the same image qemu made and qemu-io wrote: convert to raw, compare, map and check give qemu's output
/// and exit code; a wrong passphrase, a missing secret and a damaged key slot give qemu's message; amend of LUKS key
/// slots runs the same steps with the same results and refusals.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class Qcow2EncryptedImageOptsOracleTests
{
    private const string Passphrase = "pass phrase";

    /// <summary>
    /// The secrets as files in both twins (s0, s1, and "wrong" for s0 with a wrong passphrase): passphrases never
    /// appear on a command line that a failing assertion prints.
    /// </summary>
    private static OracleDirs Dirs()
    {
        var d = new OracleDirs();
        foreach (var dir in new[] { d.Q, d.T })
        {
            File.WriteAllText(Path.Combine(dir, "s0.secret"), Passphrase);
            File.WriteAllText(Path.Combine(dir, "s1.secret"), "second one");
            File.WriteAllText(Path.Combine(dir, "wrong.secret"), "wrong");
        }
        return d;
    }

    /// <summary>--object options naming the secret files (relative to the twin, or under <paramref name="dir"/>).</summary>
    private static string[] Objects(string s0 = "s0", string dir = "") =>
        ["--object", $"secret,id=s0,file={dir}{s0}.secret", "--object", $"secret,id=s1,file={dir}s1.secret"];

    private static string[] Opts(string format, string image, string secret = "s0") =>
        ["--image-opts", $"driver={format},file.filename={image},encrypt.key-secret={secret}"];

    /// <summary>qemu's written images, made once for the class and copied into each test (see <see cref="ImageTemplateCache"/>).</summary>
    private static ImageTemplateCache _templates = null!;

    [ClassInitialize]
    public static void CreateTemplates(TestContext _) => _templates = new ImageTemplateCache();

    [ClassCleanup]
    public static void RemoveTemplates() => _templates?.Dispose();

    /// <summary>Q gets a copy of the image qemu made and wrote with these options (made once per class); T gets a copy of Q's.</summary>
    private static void MakeInBoth(OracleDirs d, string format, string options)
    {
        string q = Path.Combine(d.Q, "img");
        _templates.Place($"{format} -o {options}", (dir, file) => MakeWritten(dir, file, format, options), q);
        File.Copy(q, Path.Combine(d.T, "img"));
    }

    /// <summary>qemu makes <paramref name="file"/> in <paramref name="dir"/> (LUKS with its benchmark retried) and writes it.</summary>
    private static void MakeWritten(string dir, string file, string format, string options)
    {
        File.WriteAllText(Path.Combine(dir, "s0.secret"), Passphrase);
        File.WriteAllText(Path.Combine(dir, "s1.secret"), "second one");
        TimedResult r = null!;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            r = ToolUnderTest.Qemu(dir, ["create", "-q", "-f", format, .. Objects(), "-o", options, file, "4M"]);
            if (!r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) break;
        }
        Assert.AreEqual(0, r.ExitCode, r.StdErr);
        string cluster = format == "qcow" ? "4k" : "64k";
        QemuOracle.IoOk([.. Objects(dir: dir + "/"), .. Opts(format, Path.Combine(dir, file)), "-c", "write -P 0x11 0 100k", "-c", "write -P 0x22 1000k 3k",
            "-c", $"write -c -P 0x33 2M {cluster}", "-c", "write -P 0x44 4095k 1k"]);
    }

    private static void Same(OracleDirs d, params string[] args) =>
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));

    [TestMethod]
    [DataRow("qcow2", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10")]
    [DataRow("qcow2", "encrypt.format=aes,encrypt.key-secret=s0")]
    [DataRow("qcow", "encrypt.format=aes,encrypt.key-secret=s0")]
    public void ReadMapCheckAndErrorsMatchQemu(string format, string options)
    {
        using var d = Dirs();
        MakeInBoth(d, format, options);
        Same(d, ["convert", .. Objects(), .. Opts(format, "img"), "-O", "raw", "out.raw"]);
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "out.raw"), Path.Combine(d.T, "out.raw"), "out.raw");
        d.QemuOkInBoth("create", "-q", "-f", "raw", "other.raw", "4M");
        Same(d, ["compare", .. Objects(), "--image-opts", $"driver={format},file.filename=img,encrypt.key-secret=s0", "driver=raw,file.filename=out.raw"]);
        Same(d, ["map", "--output=json", .. Objects(), .. Opts(format, "img")]);
        if (format == "qcow2")
        {
            Same(d, ["check", .. Objects(), .. Opts(format, "img")]);
            Same(d, ["check", "--output=json", .. Objects(), .. Opts(format, "img")]);
        }
        Same(d, ["convert", .. Objects(), .. Opts(format, "img", "s9"), "-O", "raw", "x.raw"]);  // no such secret
        Same(d, ["convert", "--image-opts", $"driver={format},file.filename=img", "-O", "raw", "x.raw"]); // no key
        Same(d, ["convert", .. Objects(), "--image-opts", $"driver={format},file.filename=img,encrypt.key-secret=s0,encrypt.format=luks", "-O", "raw", "x.raw"]);
        if (options.Contains("luks", StringComparison.Ordinal))
            Same(d, ["convert", .. Objects("wrong"), .. Opts(format, "img"), "-O", "raw", "x.raw"]);
    }

    [TestMethod]
    public void DamagedKeySlotIsQemusError()
    {
        using var d = Dirs();
        MakeInBoth(d, "qcow2", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10");
        foreach (var dir in new[] { d.Q, d.T })
            ImageFilePatch.Patch(Path.Combine(dir, "img"), 0x40000 + 4096 + 512, new byte[32]); // slot 0's key material
        Same(d, ["check", .. Objects(), .. Opts("qcow2", "img")]);
        string[] info = ["info", .. Objects(), .. Opts("qcow2", "img")]; // info does not unlock: still fine
        var expected = ToolUnderTest.Qemu(d.Q, info);
        Assert.AreEqual(0, expected.ExitCode);
        OracleAssert.SameExitAndErrors(expected, ToolUnderTest.Run(d.T, info)); // (the copy's disk size differs)
    }

    /// <summary>A damaged crypto header extension (qemu's image: extension at 112, offset at 120, length at 128).</summary>
    [TestMethod]
    [DataRow(116, "00000008")]                  // extension data size
    [DataRow(120, "0000000000040200")]          // offset not a multiple of the cluster size
    [DataRow(120, "0000000000000000")]          // offset 0: the qcow2 header is no LUKS header
    [DataRow(124, "00240000")]                  // offset past the end of the file
    [DataRow(128, "0000000000041000")]          // length shorter than the header: its clusters leak
    [DataRow(132, "00000010")]                  // length shorter than the LUKS header itself
    [DataRow(128, "0000001000000000")]          // length far past the end of the file
    public void DamagedCryptoHeaderExtensionIsQemusError(int offset, string hex)
    {
        using var d = Dirs();
        MakeInBoth(d, "qcow2", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10");
        foreach (var dir in new[] { d.Q, d.T })
            ImageFilePatch.Patch(Path.Combine(dir, "img"), offset, Convert.FromHexString(hex));
        string[] info = ["info", "--output=json", "img"];
        var expected = ToolUnderTest.Qemu(d.Q, info);
        OracleAssert.SameExitAndErrors(expected, ToolUnderTest.Run(d.T, info));
        Same(d, ["check", .. Objects(), .. Opts("qcow2", "img")]);
    }

    [TestMethod]
    public void AmendKeySlotsStepByStepAsQemu()
    {
        using var d = Dirs();
        MakeInBoth(d, "qcow2", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10");
        string[] s0 = Opts("qcow2", "img"), s1 = Opts("qcow2", "img", "s1");
        Same(d, ["amend", .. Objects(), .. s0, "-o", "encrypt.new-secret=s1"]);
        Same(d, ["amend", .. Objects(), .. s0, "-o", "encrypt.state=active,encrypt.new-secret=s1,encrypt.iter-time=10"]);
        Same(d, ["amend", .. Objects(), .. s0, "-o", "encrypt.format=aes"]);
        Same(d, ["amend", .. Objects(), .. s0, "-o", "encrypt.state=inactive,encrypt.keyslot=0"]);
        Same(d, ["convert", .. Objects(), .. s0, "-O", "raw", "x.raw"]); // slot 0 is gone
        Same(d, ["amend", .. Objects(), .. s1, "-o", "encrypt.state=inactive,encrypt.old-secret=s1"]);
        Same(d, ["amend", .. Objects(), .. s1, "-o", "encrypt.state=active,encrypt.keyslot=1,encrypt.new-secret=s0,encrypt.iter-time=10"]);
        Same(d, ["convert", .. Objects(), .. s1, "-O", "raw", "y.raw"]);
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "y.raw"), Path.Combine(d.T, "y.raw"), "y.raw");
        Same(d, ["check", .. Objects(), .. s1]);
        // Cross-check: each tool reads the other's amended image.
        QemuOracle.ImgOk(["convert", .. Objects(dir: d.T + "/"), .. Opts("qcow2", Path.Combine(d.T, "img"), "s1"), "-O", "raw", Path.Combine(d.T, "z.raw")]);
        OracleFixtures.AssertFilesEqual(Path.Combine(d.Q, "y.raw"), Path.Combine(d.T, "z.raw"), "qemu reads our amended image");
    }
}
