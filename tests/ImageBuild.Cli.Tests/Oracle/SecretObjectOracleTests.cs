using System.Security.Cryptography;
using System.Text;
using ImageBuild.Cli.CommandLine;
using ImageBuild.Engine;
using ImageBuild.Engine.Crypto;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// --object secret against qemu-img 7.2: the same refusals (keyval syntax, properties, base64, files, keyid/iv
/// decryption, duplicates) with the same message and exit code, and the value loaded into the engine's secret store
/// byte for byte what qemu loads: a LUKS volume qemu-img made with a secret given one way unlocks with the value our
/// store holds for the same --object definition.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class SecretObjectOracleTests
{
    /// <summary>A 32-byte AES key given as a raw secret, and an IV: the parts of the keyid cases.</summary>
    private const string Key = "0123456789abcdef0123456789abcdef";
    private const string Iv = "AAECAwQFBgcICQoLDA0ODw==";
    private const string KeyObject = "secret,id=k,data=" + Key;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("secret,id=s0,data=abc,format=base64")]
    [DataRow("secret,id=s0,data=ab$c,format=base64")]
    [DataRow("secret,id=s0,file=nul.b64,format=base64")]
    [DataRow("secret,id=s0,data=abc,loaded=on")]
    [DataRow("secret,id=s0,data=abc,loaded=off")]
    [DataRow("secret,id=s0,data=abc,loaded=x")]
    [DataRow("secret,id=s0,data=abc,file=pw.txt")]
    [DataRow("secret,id=s0,file=sub")]
    [DataRow("secret,id=s0,file=nonexistent")]
    [DataRow("secret,id=s0,file=pw.txt")]
    [DataRow("secret,id=s0,data=abc,keyid=k")]
    [DataRow("secret,id=s0,data=abc,keyid=")]
    [DataRow("secret,id=s0,data=abc,iv=x")]
    [DataRow("secret,id=s0,data=abc,noloaded")]
    [DataRow("secret,id=s0,data")]
    [DataRow("secret,id=s0,data=x,=y")]
    [DataRow("secret,id=s0,data=x,a b=1")]
    [DataRow("secret,id=s0,data=x,,y=1")]
    [DataRow("secret,id=s0,data=x,")]
    [DataRow("secret,id=s0,data=x,data.x=1")]
    [DataRow("secret,id=s0,data.x=1")]
    [DataRow("secret,id=s0,data=x,foo=1,format=bad")]
    [DataRow("secret,id=s0,data=x,format=bad,loaded=bad")]
    [DataRow("secret,id=s0,data=x,format=bad,format=raw")]
    [DataRow("secret,id=s0,data=x,format=raw,format=bad")]
    [DataRow("secret,id=s0,data=x,id=s1")]
    [DataRow("secret,id=s0,,data=x")]
    [DataRow("id=s0,data=x")]
    // several unexpected members: qemu names the first its hash table gives
    [DataRow("secret,id=s0,data=x,foo=1,bar=2")]
    [DataRow("secret,id=s0,data=x,aa=1,bb=2,cc=3")]
    [DataRow("secret,id=s0,data=x,zz=1,yy=2")]
    [DataRow("secret,id=s0,data=x,format=raw,x1=1,x2=2,x3=3")]
    [DataRow("secret,id=s0,data.x=1,bar=2")]
    [DataRow("secret,id=s0,data=x,a1=1,a2=2,a3=3,a4=4,a5=5,a6=6")]
    [DataRow("secret,id=s0,data=x,q=1,keyid=k,iv=2,w=3")]
    // the JSON form (qemu's user_creatable_parse_str for a definition starting with '{')
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"x\"}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":1}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":null}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"file\":{\"a\":1}}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"x\",\"loaded\":true}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"x\",\"loaded\":\"on\"}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":1,\"data\":\"x\"}")]
    [DataRow("{\"qom-type\":1,\"id\":\"s0\",\"data\":\"x\"}")]
    [DataRow("{\"id\":\"s0\",\"data\":\"x\"}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"x\",\"format\":\"hex\"}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"x\",\"format\":1}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"x\",\"foo\":1}")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"x\"")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"x\"} 1")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"ab$c\",\"format\":\"base64\"}")]
    [DataRow("[1]")]
    public void OneDefinitionIsJudgedLikeQemu(string definition) =>
        Same("info", "--object", definition, "a.raw");

    [TestMethod]
    [DataRow("secret,id=k,data=abc", "secret,id=s0,data=abc,keyid=k")] // key of 3 bytes
    [DataRow(KeyObject, "secret,id=s0,data=abc,keyid=k")] // no iv
    [DataRow(KeyObject, "secret,id=s0,data=abc,keyid=k,iv=abc")] // iv decodes to 0 bytes
    [DataRow(KeyObject, "secret,id=s0,data=abc,keyid=k,iv=a$")]
    [DataRow(KeyObject, "secret,id=s0,data=abc,keyid=k,iv=" + Iv)] // 3 bytes of ciphertext
    [DataRow(KeyObject, "secret,id=s0,data=abcdabcdabcdabcd,keyid=k,iv=" + Iv)] // bad padding
    [DataRow(KeyObject, "secret,id=s0,data=AAAAAAAAAAAAAAAAAAAAAA,keyid=k,iv=" + Iv + ",format=base64")] // 15 bytes
    [DataRow(KeyObject, "secret,id=s0,data=AA==AAAAAAAAAAAAAAAAAAAAAAA,keyid=k,iv=" + Iv + ",format=base64")]
    [DataRow(KeyObject, "secret,id=s0,file=nul.b64,keyid=k,iv=" + Iv + ",format=base64")]
    [DataRow(KeyObject, "secret,id=s0,data=,keyid=k,iv=" + Iv)]
    [DataRow("throttle-group,id=k", "secret,id=s0,data=abc,keyid=k,iv=" + Iv)]
    [DataRow("secret,id=s0,data=abc", "secret,id=s0")]
    [DataRow("secret,id=s0", "secret,id=s0")]
    [DataRow("secret,id=s0,data=x", "secret,id=s0,file=nonexistent")]
    [DataRow("secret,id=s0,data=x", "secret,id=s0,format=bad")]
    [DataRow("secret,id=s0,data=x", "secret,id=s1,data=x")]
    [DataRow("{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"YWJj\",\"format\":\"base64\"}", "{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"x\"}")]
    [DataRow(KeyObject, "{\"qom-type\":\"secret\",\"id\":\"s0\",\"data\":\"abc\",\"keyid\":\"k\"}")]
    public void TwoDefinitionsAreJudgedLikeQemu(string first, string second)
    {
        Same("info", "--object", first, "--object", second, "a.raw");
        Same("info", "--object", first, "a.raw", "--object", second); // objects after the operand, as getopt permutes
    }

    [TestMethod]
    public void EveryCommandTakingObjectLoadsAndRefusesLikeQemu()
    {
        string bad = "secret,id=s0,data=ab$c,format=base64";
        Same("check", "--object", bad, "a.raw");
        Same("compare", "--object", bad, "a.raw", "a.raw");
        Same("convert", "--object", bad, "a.raw", "out.raw");
        Same("map", "--object", bad, "a.raw");
        Same("measure", "--object", bad, "a.raw");
        Same("resize", "--object", bad, "a.raw", "1M");
        Same("snapshot", "--object", bad, "-l", "a.raw");
        Same("amend", "--object", bad, "-o", "size=1M", "a.raw");
        Same("commit", "--object", bad, "a.raw");
        Same("rebase", "--object", bad, "-u", "-b", "", "a.raw");
        Same("bitmap", "--object", bad, "--add", "a.raw", "b0");
        Same("dd", "--object", bad, "if=a.raw", "of=out.raw");
        Same("create", "--object", bad, "-f", "raw", "out.raw", "1M");
        Same("bench", "--object", "secret,id=s0,data=x", "a.raw");
    }

    public static IEnumerable<object[]> Passphrases()
    {
        // the value a LUKS volume is made with, and how it is given: data, base64, a file, encrypted with a key
        string pass = "p\u00e4ss, w\u00f6rd=1";
        string b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(pass));
        string encrypted = Encrypt(Encoding.UTF8.GetBytes(pass));
        yield return ["data", pass, new[] { $"secret,id=s0,data={pass.Replace(",", ",,")}" }];
        yield return ["base64", pass, new[] { $"secret,id=s0,data={b64},format=base64" }];
        yield return ["base64 with newlines", pass, new[] { $"secret,id=s0,file=pw.b64,format=base64" }];
        yield return ["file", pass + "\n", new[] { "secret,id=s0,file=pw.txt" }];
        yield return ["keyid base64", pass, new[] { KeyObject, $"secret,id=s0,data={encrypted},format=base64,keyid=k,iv={Iv}" }];
        yield return ["keyid raw file", pass, new[] { KeyObject, $"secret,id=s0,file=pw.enc,keyid=k,iv={Iv}" }];
    }

    [TestMethod]
    [DynamicData(nameof(Passphrases))]
    public void TheStoredValueUnlocksTheVolumeQemuMadeWithTheSameObject(string how, string passphrase, string[] objects)
    {
        using var tmp = Fixture();
        File.WriteAllText(tmp["pw.txt"], passphrase);
        string b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(passphrase));
        File.WriteAllText(tmp["pw.b64"], b64[..4] + "\n" + b64[4..] + "\n");
        File.WriteAllBytes(tmp["pw.enc"], Convert.FromBase64String(Encrypt(Encoding.UTF8.GetBytes(passphrase))));

        string path = tmp["x.luks"];
        var args = new List<string> { "create", "-q", "-f", "luks" };
        foreach (string o in objects) args.AddRange(["--object", o]);
        args.AddRange(["-o", "key-secret=s0,iter-time=10", path, "1M"]);
        for (int attempt = 0; ; attempt++)
        {
            var r = ToolUnderTest.Qemu(tmp.Path, [.. args]);
            if (r.ExitCode == 0) break;
            if (attempt >= 8 || !r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal))
                Assert.Fail($"{how}: qemu-img create exited {r.ExitCode}: {r.StdErr}");
        }

        var option = new ObjectOption();
        string cwd = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = tmp.Path; // the files are named relative, as on the command line
            foreach (string o in objects)
                Assert.IsNull(option.Check(o), how);
        }
        finally
        {
            Environment.CurrentDirectory = cwd;
        }
        byte[] value = option.Secrets.Get("s0");
        CollectionAssert.AreEqual(Encoding.UTF8.GetBytes(passphrase), value, how);

        var header = LuksHeader.Parse(ImageFilePatch.ReadBytes(path, 0, LuksHeader.Size));
        using var volume = File.OpenRead(path);
        var unlocked = LuksKeySlotUnlock.Unlock(header, value, LuksKeySlotUnlock.StreamReader(volume));
        Assert.AreEqual(0, unlocked.Slot, how);
    }

    [TestMethod]
    public void SecretValuesNeverAppearInOutput()
    {
        using var tmp = Fixture();
        const string value = "Sup3rS3cretValue";
        string[][] runs =
        [
            ["info", "--object", $"secret,id=s0,data={value}$,format=base64", "a.raw"],
            ["info", "--object", $"secret,id=s0,data={value}", "--object", $"secret,id=s0,data={value}", "a.raw"],
            ["info", "--object", $"secret,id=s0,data={value}", "--object", $"secret,id=s1,data={value},keyid=s0", "a.raw"],
            ["info", "--object", $"secret,id=s0,data={value}", "--output=json", "a.raw"],
            ["create", "--object", $"secret,id=s0,data={value}", "-f", "qcow2", "-o", "encrypt.format=luks,encrypt.key-secret=s9", "o.qcow2", "1M"],
        ];
        foreach (var run in runs)
        {
            var r = ToolUnderTest.Run(tmp.Path, run);
            Assert.IsFalse((r.StdOut + r.StdErr).Contains(value, StringComparison.Ordinal), r.ToString());
            OracleAssert.NoCrash(r);
        }
    }

    [TestMethod]
    public void SecretsReachTheEngineContextOfTheCommand()
    {
        var option = new ObjectOption();
        var engine = ImageBuild.Engine.Block.ImageContext.CreateDefault();
        Assert.AreSame(engine, option.Apply(engine), "no objects: the context is unchanged");
        Assert.IsNull(option.Check("secret,id=s0,data=pw"));
        Assert.IsNull(option.Check("secret,id=s1,data=cHc=,format=base64"));
        var withSecrets = option.Apply(engine);
        Assert.AreEqual("pw", withSecrets.Secrets.GetUtf8("s0"));
        CollectionAssert.AreEqual("pw"u8.ToArray(), withSecrets.Secrets.Get("s1"));
        Assert.AreEqual("No secret with id 's2'", Assert.ThrowsExactly<ImageException>(() => withSecrets.Secrets.Get("s2")).Message);
    }

    /// <summary>AES-256-CBC of <paramref name="plain"/> with PKCS#7 padding under <see cref="Key"/> and <see cref="Iv"/>, base64.</summary>
    private static string Encrypt(byte[] plain)
    {
        using var aes = Aes.Create();
        aes.Key = Encoding.ASCII.GetBytes(Key);
        return Convert.ToBase64String(aes.EncryptCbc(plain, Convert.FromBase64String(Iv), PaddingMode.PKCS7));
    }

    private static TempDir Fixture()
    {
        var tmp = new TempDir();
        File.WriteAllBytes(tmp["a.raw"], new byte[1 << 20]);
        File.WriteAllBytes(tmp["nul.b64"], "AAAA\0BB"u8.ToArray());
        File.WriteAllText(tmp["pw.txt"], "pw");
        Directory.CreateDirectory(tmp["sub"]);
        return tmp;
    }

    /// <summary>Runs both programs in fresh copies of the fixture and compares exit code, stdout and stderr.</summary>
    private static void Same(params string[] args)
    {
        using var q = Fixture();
        using var t = Fixture();
        var expected = ToolUnderTest.Qemu(q.Path, args);
        var actual = ToolUnderTest.Run(t.Path, args);
        OracleAssert.SameOutcome(expected, actual);
    }
}
