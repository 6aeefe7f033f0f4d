namespace ImageBuild.Cli.FormatTests.Luks;

/// <summary>
/// Commands on a luks image qemu-img made, without a key-secret: info works from the header alone (human and JSON
/// output identical); everything that reads data is refused as qemu refuses it.
/// </summary>
[TestClass]
[ImageBuild.Tests.Shared.RequiresQemu]
public sealed class LuksInfoOracleTests
{
    /// <summary>qemu's luks fixtures, made once for the class and copied into each test (see <see cref="ImageTemplateCache"/>).</summary>
    private static ImageTemplateCache _templates = null!;

    [ClassInitialize]
    public static void CreateTemplates(TestContext _) => _templates = new ImageTemplateCache();

    [ClassCleanup]
    public static void RemoveTemplates() => _templates?.Dispose();

    [TestMethod]
    [DataRow("")]
    [DataRow("cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=essiv,hash-alg=sha1")]
    [DataRow("cipher-alg=aes-192,ivgen-alg=plain,ivgen-hash-alg=sha1,hash-alg=sha512")]
    public void InfoMatchesQemu(string options)
    {
        using var d = LuksOracle.Dirs();
        LuksOracle.QemuCreate(_templates, d.Q, "img.luks", options);
        LuksOracle.CopyToTool(d, "img.luks");
        foreach (var args in new[] { new[] { "info", "img.luks" }, ["info", "--output=json", "img.luks"], ["info", "-f", "luks", "img.luks"] })
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }

    [TestMethod]
    [DataRow("check", "img.luks")]
    [DataRow("map", "img.luks")]
    [DataRow("convert", "-O", "raw", "img.luks", "out.raw")]
    [DataRow("compare", "img.luks", "img.luks")]
    [DataRow("resize", "img.luks", "2M")]
    [DataRow("amend", "-o", "state=inactive,keyslot=0", "img.luks")]
    [DataRow("create", "-f", "qcow2", "-b", "img.luks", "-F", "luks", "top.qcow2")]
    public void DataCommandsWithoutAKeySecretAreRefusedAsQemuRefusesThem(params string[] args)
    {
        using var d = LuksOracle.Dirs();
        LuksOracle.QemuCreate(_templates, d.Q, "img.luks");
        LuksOracle.CopyToTool(d, "img.luks");
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(d.Q, "img.luks")), File.ReadAllBytes(Path.Combine(d.T, "img.luks")), "nothing written");
    }

    [TestMethod]
    [DataRow(0, "LUKS\xba\xbe\0\x02")]
    [DataRow(164, "\0\0\0\0")]
    [DataRow(208 + 44, "\0\0\0\x05")]
    [DataRow(40, "foo-plain64\0")]
    [DataRow(72, "sha3\0")]
    public void DamagedHeadersGiveQemusInfoErrors(int offset, string bytes)
    {
        using var d = LuksOracle.Dirs();
        LuksOracle.QemuCreate(_templates, d.Q, "img.luks");
        ImageBuild.Tests.Shared.ImageFilePatch.Patch(Path.Combine(d.Q, "img.luks"), offset, bytes.Select(c => (byte)c).ToArray());
        LuksOracle.CopyToTool(d, "img.luks");
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, "info", "-f", "luks", "img.luks"), ToolUnderTest.Run(d.T, "info", "-f", "luks", "img.luks"));
    }

    [TestMethod]
    [DataRow(1L << 20)] // the payload starts past the end of the file
    [DataRow(100L)] // the header itself is cut: the rest reads as zeros
    [DataRow(2068480L)] // exactly the header: an empty image
    public void TruncatedImagesGiveQemusAnswers(long length)
    {
        using var d = LuksOracle.Dirs();
        LuksOracle.QemuCreate(_templates, d.Q, "img.luks");
        using (var f = new FileStream(Path.Combine(d.Q, "img.luks"), FileMode.Open)) f.SetLength(length);
        LuksOracle.CopyToTool(d, "img.luks");
        string[][] commands =
        [
            ["info", "-f", "luks", "img.luks"],
            ["convert", .. LuksOracle.Secret, "--image-opts", "driver=luks,key-secret=s0,file.filename=img.luks", "-O", "raw", "out.raw"],
        ];
        foreach (var args in commands)
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
    }
}
