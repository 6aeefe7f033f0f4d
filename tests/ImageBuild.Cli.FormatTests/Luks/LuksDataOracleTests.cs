using System.Diagnostics;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Luks;

/// <summary>
/// Data through both tools with --object secret and --image-opts: images we make are read by qemu-img (and compare
/// equal to their source), images qemu-img makes are read by us to the bytes qemu-img convert gives, and the
/// commands that need the key (map, check, compare, resize, amend, wrong passphrases) answer as qemu-img does.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class LuksDataOracleTests
{
    /// <summary>qemu's luks fixtures, made once for the class and copied into each test (see <see cref="ImageTemplateCache"/>).</summary>
    private static ImageTemplateCache _templates = null!;

    [ClassInitialize]
    public static void CreateTemplates(TestContext _) => _templates = new ImageTemplateCache();

    [ClassCleanup]
    public static void RemoveTemplates() => _templates?.Dispose();

    private static string[] Opts(string name, string secret = "s0") =>
        ["--image-opts", $"driver=luks,key-secret={secret},file.filename={name}"];

    private static void MakeSource(string dir)
    {
        var data = new byte[3 << 20];
        for (int i = 0; i < 200_000; i++) data[i] = (byte)(i * 13 + 1);
        for (int i = 0; i < 4096; i++) data[(2 << 20) + 77 + i] = 0xEE;
        File.WriteAllBytes(Path.Combine(dir, "src.raw"), data);
    }

    [TestMethod]
    [DataRow("key-secret=s0,iter-time=10")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=essiv,hash-alg=sha1")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=aes-192,ivgen-alg=plain,hash-alg=sha512")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=twofish-256,hash-alg=sha224")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=serpent-128,cipher-mode=cbc,ivgen-alg=essiv,ivgen-hash-alg=md5,hash-alg=ripemd160")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=cast5-128,cipher-mode=ctr,ivgen-alg=plain,hash-alg=sha1")]
    [DataRow("key-secret=s0,iter-time=10,cipher-alg=aes-128,cipher-mode=ecb,hash-alg=md5")]
    public void QemuReadsWhatWeConverted(string options)
    {
        using var d = LuksOracle.Dirs();
        MakeSource(d.T);
        var ours = LuksOracle.Run(d.T, ["convert", .. LuksOracle.Secret, "-O", "luks", "-o", options, "src.raw", "img.luks"]);
        Assert.AreEqual(0, ours.ExitCode, ours.ToString());
        var cmp = ToolUnderTest.Qemu(d.T, ["compare", .. LuksOracle.Secret, "--image-opts", "driver=luks,key-secret=s0,file.filename=img.luks", "driver=raw,file.filename=src.raw"]);
        Assert.AreEqual(0, cmp.ExitCode, cmp.ToString());
        Assert.AreEqual("Images are identical.\n", cmp.StdOut);
        // and a copy qemu-img makes of the same source has the same length and the same allocation in the file
        var q = LuksOracle.Qemu(d.Q, ["convert", .. LuksOracle.Secret, "-O", "luks", "-o", options, Path.Combine(d.T, "src.raw"), "img.luks"]);
        Assert.AreEqual(0, q.ExitCode, q.ToString());
        Assert.AreEqual(new FileInfo(Path.Combine(d.Q, "img.luks")).Length, new FileInfo(Path.Combine(d.T, "img.luks")).Length);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=plain64,hash-alg=sha256")]
    [DataRow("cipher-alg=aes-256,ivgen-alg=essiv,ivgen-hash-alg=sha256,hash-alg=sha1")]
    [DataRow("cipher-alg=serpent-256,ivgen-alg=plain64,hash-alg=sha224")]
    [DataRow("cipher-alg=twofish-128,cipher-mode=cbc,ivgen-alg=essiv,ivgen-hash-alg=md5,hash-alg=ripemd160")]
    [DataRow("cipher-alg=cast5-128,cipher-mode=cbc,ivgen-alg=essiv,ivgen-hash-alg=md5,hash-alg=sha512")]
    [DataRow("cipher-alg=twofish-192,cipher-mode=xts,ivgen-alg=essiv,hash-alg=md5")]
    [DataRow("cipher-alg=serpent-128,cipher-mode=ctr,ivgen-alg=plain64,hash-alg=sha256")]
    [DataRow("cipher-alg=cast5-128,cipher-mode=ecb,hash-alg=sha224")]
    public void WeReadWhatQemuWroteAsQemuReadsIt(string options)
    {
        using var d = LuksOracle.Dirs();
        LuksOracle.QemuCreate(d.Q, "img.luks", options, "2M");
        var io = QemuOracle.Run(QemuOracle.QemuIo, [.. LuksOracle.Secret, .. Opts("img.luks"), "-c", "write -P 0x61 0 300k", "-c", "write -P 0x62 1900k 100k"], d.Q);
        Assert.AreEqual(0, io.ExitCode, io.StdErr);
        LuksOracle.CopyToTool(d, "img.luks");
        string[] args = ["convert", .. LuksOracle.Secret, .. Opts("img.luks"), "-O", "raw", "out.raw"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(d.Q, "out.raw")), File.ReadAllBytes(Path.Combine(d.T, "out.raw")));
        string[][] commands =
        [
            ["info", .. LuksOracle.Secret, .. Opts("img.luks")],
            ["info", "--output=json", .. LuksOracle.Secret, .. Opts("img.luks")],
            ["map", .. LuksOracle.Secret, .. Opts("img.luks")],
            ["map", "--output=json", .. LuksOracle.Secret, .. Opts("img.luks")],
            ["check", .. LuksOracle.Secret, .. Opts("img.luks")],
            ["compare", .. LuksOracle.Secret, "--image-opts", "driver=luks,key-secret=s0,file.filename=img.luks", "driver=raw,file.filename=out.raw"],
        ];
        foreach (var a in commands)
            OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, a), ToolUnderTest.Run(d.T, a));
    }

    [TestMethod]
    [DataRow("convert", "-O", "raw", "IMG", "out.raw")]
    [DataRow("map", "IMG")]
    [DataRow("info", "IMG")]
    [DataRow("resize", "IMG", "2M")]
    [DataRow("amend", "-o", "state=inactive,keyslot=0", "IMG")]
    public void AWrongPassphraseIsRefusedAsQemuRefusesIt(params string[] command)
    {
        using var d = LuksOracle.Dirs();
        LuksOracle.QemuCreate(_templates, d.Q, "img.luks", "cipher-alg=aes-128,hash-alg=sha1");
        LuksOracle.CopyToTool(d, "img.luks");
        var args = new List<string>(command.TakeWhile(a => a != "IMG" && !a.StartsWith('-')).Take(1));
        args.AddRange(["--object", "secret,id=s0,file=bad.key"]);
        foreach (var a in command.Skip(1))
            if (a == "IMG") args.AddRange(Opts("img.luks")); else args.Add(a);
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, [.. args]), ToolUnderTest.Run(d.T, [.. args]));
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(d.Q, "img.luks")), File.ReadAllBytes(Path.Combine(d.T, "img.luks")));
    }

    [TestMethod]
    [DataRow("--shrink", "512K")]
    [DataRow("", "3M")]
    [DataRow("", "+1001")]
    [DataRow("--preallocation=full", "2M")]
    [DataRow("--preallocation=falloc", "2M")]
    [DataRow("--preallocation=metadata", "2M")]
    [DataRow("", "512K")]
    public void ResizeMatchesQemu(string flag, string size)
    {
        using var d = LuksOracle.Dirs();
        LuksOracle.QemuCreate(_templates, d.Q, "img.luks");
        LuksOracle.CopyToTool(d, "img.luks");
        var args = new List<string> { "resize" };
        args.AddRange(LuksOracle.Secret);
        args.AddRange(Opts("img.luks"));
        if (flag.Length > 0) args.Add(flag);
        args.Add(size);
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, [.. args]), ToolUnderTest.Run(d.T, [.. args]));
        Assert.AreEqual(new FileInfo(Path.Combine(d.Q, "img.luks")).Length, new FileInfo(Path.Combine(d.T, "img.luks")).Length);
        string[] info = ["info", "--output=json", "img.luks"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, info), ToolUnderTest.Run(d.T, info));
    }

    [TestMethod]
    [DataRow("state=active,new-secret=s1,iter-time=10")]
    [DataRow("state=active,new-secret=s1,keyslot=3,iter-time=10")]
    [DataRow("state=active,new-secret=s1,keyslot=0")]
    [DataRow("state=active,new-secret=s1,keyslot=0,iter-time=10", "--force")]
    [DataRow("state=active,new-secret=s9")]
    [DataRow("state=active")]
    [DataRow("state=active,new-secret=s1,old-secret=s0,iter-time=10")]
    [DataRow("state=active,new-secret=s1,keyslot=8")]
    [DataRow("state=inactive,keyslot=0")]
    [DataRow("state=inactive,keyslot=0", "--force")]
    [DataRow("state=inactive,keyslot=2")]
    [DataRow("state=inactive,old-secret=s0")]
    [DataRow("state=inactive,old-secret=s1")]
    [DataRow("state=inactive,keyslot=0,old-secret=s1")]
    [DataRow("state=inactive")]
    [DataRow("state=inactive,keyslot=0,iter-time=10")]
    [DataRow("state=inactive,keyslot=0,new-secret=s1")]
    [DataRow("state=foo")]
    [DataRow("keyslot=1")]
    [DataRow("keyslot=x,state=active")]
    [DataRow("cipher-alg=aes-128")]
    public void AmendMatchesQemu(string options, string flag = "")
    {
        using var d = LuksOracle.Dirs();
        LuksOracle.QemuCreate(_templates, d.Q, "img.luks", "cipher-alg=aes-128,hash-alg=sha1");
        LuksOracle.CopyToTool(d, "img.luks");
        var args = new List<string> { "amend" };
        args.AddRange(LuksOracle.Secret);
        args.AddRange(["--object", "secret,id=s1,file=s1.key"]);
        if (flag.Length > 0) args.Add(flag);
        args.AddRange(["-o", options]);
        args.AddRange(Opts("img.luks"));
        var expected = LuksOracle.Qemu(d.Q, [.. args]);
        var actual = LuksOracle.Run(d.T, [.. args]);
        OracleAssert.SameOutcome(expected, actual);
        // the key slots are in the same states afterwards, and each passphrase opens in both or in neither
        string[] info = ["info", "img.luks"];
        string Slots(TimedResult r) => string.Join('\n', r.StdOut.Split('\n').Where(l => l.Contains("active:", StringComparison.Ordinal)));
        Assert.AreEqual(Slots(ToolUnderTest.Qemu(d.Q, info)), Slots(ToolUnderTest.Qemu(d.T, info)));
        foreach (string id in new[] { "s0", "s1" })
        {
            string[] read = ["convert", "--object", $"secret,id={id},file={id}.key", .. Opts("img.luks", id), "-O", "raw", "out.raw"];
            Assert.AreEqual(ToolUnderTest.Qemu(d.Q, read).ExitCode, ToolUnderTest.Qemu(d.T, read).ExitCode, $"{id} opens qemu's image as ours");
        }
    }

    [TestMethod]
    [RequiresTool("cryptsetup")]
    public void WeReadACryptsetupVolumeAsQemuDoes()
    {
        using var d = LuksOracle.Dirs();
        using (var f = File.Create(Path.Combine(d.Q, "c.img"))) f.SetLength(3 << 20);
        File.WriteAllText(d["key"], LuksOracle.Passphrase);
        var r = QemuOracle.Run(ExternalTools.Find("cryptsetup"), ["luksFormat", "--type", "luks1", "--batch-mode", "--pbkdf-force-iterations", "1000", "-q",
            "--cipher", "aes-cbc-essiv:sha256", "--key-size", "256", "--key-file", d["key"], Path.Combine(d.Q, "c.img")], d.Root);
        Assert.AreEqual(0, r.ExitCode, r.StdErr);
        var io = QemuOracle.Run(QemuOracle.QemuIo, [.. LuksOracle.Secret, .. Opts("c.img"), "-c", "write -P 0x44 4k 64k"], d.Q);
        Assert.AreEqual(0, io.ExitCode, io.StdErr);
        LuksOracle.CopyToTool(d, "c.img");
        string[] args = ["convert", .. LuksOracle.Secret, .. Opts("c.img"), "-O", "raw", "out.raw"];
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(d.Q, args), ToolUnderTest.Run(d.T, args));
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(d.Q, "out.raw")), File.ReadAllBytes(Path.Combine(d.T, "out.raw")));
        // (the copy's holes differ from the original's allocation: disk size is set aside)
        string[] info = ["info", "--output=json", "c.img"];
        OracleAssert.JsonDataEqual(ToolUnderTest.QemuOk(d.Q, info), ToolUnderTest.Run(d.T, info).StdOut, "info", "actual-size");
    }

    /// <summary>
    /// An image we create with iter-time=300 makes a wrong passphrase cost about 300 ms (PBKDF2 of the one active
    /// slot): a lower bound only, halved for a benchmark that ran on a busier machine.
    /// </summary>
    [TestMethod]
    public void AWrongPassphraseCostsTheIterTimeWeWereGiven()
    {
        using var d = LuksOracle.Dirs();
        var c = LuksOracle.Run(d.T, ["create", "-q", "-f", "luks", .. LuksOracle.Secret, "-o", "key-secret=s0,iter-time=300,cipher-alg=aes-128", "img.luks", "64K"]);
        Assert.AreEqual(0, c.ExitCode, c.ToString());
        string[] info = ["map", "--object", "secret,id=s0,file=bad.key", .. Opts("img.luks")];
        var quick = ToolUnderTest.Run(d.T, ["map", "--object", "secret,id=s0,file=bad.key", "--image-opts", "driver=luks,file.filename=img.luks"]);
        var watch = Stopwatch.StartNew();
        var wrong = ToolUnderTest.Run(d.T, info);
        long ms = watch.ElapsedMilliseconds;
        Assert.AreEqual(1, wrong.ExitCode);
        StringAssert.Contains(wrong.StdErr, "Invalid password, cannot unlock any keyslot");
        Assert.IsTrue(ms >= 150, $"a wrong passphrase cost {ms} ms");
        Assert.AreEqual(1, quick.ExitCode, "without key-secret: refused before any PBKDF2");
        var q = ToolUnderTest.Qemu(d.T, info);
        Assert.AreEqual(wrong.NormalizedStdErr, q.NormalizedStdErr, "qemu gives the same refusal on our image");
    }
}
