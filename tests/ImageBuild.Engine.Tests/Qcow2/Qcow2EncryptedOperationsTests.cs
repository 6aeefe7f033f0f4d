using System.Text;
using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;
using ImageBuild.Engine.Options;
using ImageBuild.Engine.Secrets;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Qcow2;

/// <summary>
/// Operations on encrypted qcow2 images against qemu-img 7.2: check (with the key, as qemu needs it), measure
/// (the LUKS header in whole clusters), amend of LUKS key slots and qemu's refusals, convert plain to encrypted and
/// back, and convert's refusal of compression with encryption.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class Qcow2EncryptedOperationsTests
{
    private const string Passphrase = "pass phrase";
    private const string Second = "second one";

    private static ImageContext Ctx()
    {
        var store = new SecretStore();
        store.Add("s0", Encoding.UTF8.GetBytes(Passphrase));
        store.Add("s1", Encoding.UTF8.GetBytes(Second));
        return ImageContext.CreateDefault().WithSecrets(store);
    }

    private static BlockDevice OpenOurs(string path, string secret = "s0", bool writable = false, bool forCheck = false) =>
        ImageOpener.Open(Ctx(), path, new OpenOptions
        {
            Format = "qcow2", Writable = writable, ForCheck = forCheck,
            DriverOptions = new Dictionary<string, string> { ["encrypt.key-secret"] = secret },
        });

    /// <summary>Both secrets for qemu, as files in the directory of <paramref name="nearPath"/> (never on the command line).</summary>
    private static string[] QemuObjects(string nearPath) =>
        ["--object", Qcow.QcowTestSupport.SecretObject("s0", Passphrase, nearPath), "--object", Qcow.QcowTestSupport.SecretObject("s1", Second, nearPath)];

    private static string[] QemuImageOpts(string path, string secret = "s0") =>
        [.. QemuObjects(path), "--image-opts", $"driver=qcow2,file.filename={path},encrypt.key-secret={secret}"];

    private sealed class Log : ICheckLog
    {
        public List<string> Lines { get; } = [];
        public void Message(string line) => Lines.Add(line);
    }

    [TestMethod]
    [DataRow("luks")]
    [DataRow("aes")]
    public void CheckCountsWhatQemuCounts(string format)
    {
        using var tmp = new TempDir();
        string img = tmp["c.qcow2"];
        if (format == "luks")
            Qcow2LuksImageTests.QemuCreate(img);
        else
            QemuOracle.ImgOk(["create", .. QemuObjects(img), "-q", "-f", "qcow2", "-o", "encrypt.format=aes,encrypt.key-secret=s0", img, "4M"]);
        QemuOracle.IoOk([.. QemuImageOpts(img), "-c", "write -P 1 0 200k", "-c", "write -P 2 3M 4k"]);
        var r = QemuOracle.Img(["check", "--output=json", .. QemuImageOpts(img)]);
        Assert.AreEqual(0, r.ExitCode, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        var log = new Log();
        CheckResult ours;
        using (var dev = OpenOurs(img, forCheck: true))
            ours = dev.Check(CheckRepair.None, log);
        Assert.AreEqual(0, ours.Corruptions + ours.Leaks + ours.CheckErrors, string.Join(" / ", log.Lines));
        Assert.AreEqual(doc.RootElement.GetProperty("image-end-offset").GetInt64(), ours.ImageEndOffset);
        Assert.AreEqual(doc.RootElement.GetProperty("allocated-clusters").GetInt64(), ours.AllocatedClusters);
        Assert.AreEqual(doc.RootElement.GetProperty("total-clusters").GetInt64(), ours.TotalClusters);
    }

    [TestMethod]
    [DataRow("encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10")]
    [DataRow("encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10,encrypt.cipher-alg=aes-128,encrypt.cipher-mode=cbc,encrypt.ivgen-alg=essiv,cluster_size=4096")]
    [DataRow("encrypt.format=aes,encrypt.key-secret=s0")]
    public void MeasureAddsTheLuksHeaderAsQemuDoes(string options)
    {
        // qemu's measure runs its PBKDF2 benchmark too, which sometimes fails with "Unable to get accurate CPU usage".
        using var tmp = new TempDir();
        ProcessResult r = null!;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            r = QemuOracle.Img(["measure", .. QemuObjects(tmp["none"]), "--output=json", "-O", "qcow2", "-o", options, "--size", "1G"]);
            if (r.ExitCode == 0 || !r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) break;
        }
        Assert.AreEqual(0, r.ExitCode, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        var format = Ctx().Formats.Find("qcow2")!;
        var ours = format.Measure(new OptionValues(Qcow.QcowTestSupport.OptionPairs(options)), null, 1L << 30);
        Assert.AreEqual(doc.RootElement.GetProperty("required").GetInt64(), ours.Required);
        Assert.AreEqual(doc.RootElement.GetProperty("fully-allocated").GetInt64(), ours.FullyAllocated);
    }

    [TestMethod]
    public void MeasureWithoutKeySecretIsRefusedAsQemuRefusesIt()
    {
        var r = QemuOracle.Img("measure", "-O", "qcow2", "-o", "encrypt.format=luks", "--size", "1G");
        StringAssert.Contains(r.StdErr, "Parameter 'encrypt.key-secret' is required for cipher");
        var format = Ctx().Formats.Find("qcow2")!;
        var e = Assert.ThrowsExactly<ImageException>(() => format.Measure(new OptionValues([new("encrypt.format", "luks")]), null, 1L << 30));
        Assert.AreEqual("Parameter 'encrypt.key-secret' is required for cipher", e.Message);
    }

    private static void Amend(string img, string options, string secret = "s0", bool force = false)
    {
        using var dev = OpenOurs(img, secret, writable: true);
        dev.Amend(new OptionValues(Qcow.QcowTestSupport.OptionPairs(options)), force, (_, _) => { });
    }

    [TestMethod]
    public void AmendAddsAndErasesKeySlotsAsQemuDoes()
    {
        using var tmp = new TempDir();
        string img = tmp["a.qcow2"];
        Qcow2LuksImageTests.QemuCreate(img, "1M");
        QemuOracle.IoOk([.. QemuImageOpts(img), "-c", "write -P 0x61 0 64k"]);

        Amend(img, "encrypt.state=active,encrypt.new-secret=s1,encrypt.iter-time=10");
        QemuOracle.IoOk([.. QemuImageOpts(img, "s1"), "-c", "read -P 0x61 0 64k"]); // qemu unlocks the new slot
        var check = QemuOracle.Img(["check", .. QemuImageOpts(img, "s1")]);
        Assert.AreEqual(0, check.ExitCode, check.StdOut + check.StdErr);

        Amend(img, "encrypt.state=inactive,encrypt.keyslot=0");
        var old = QemuOracle.Img(["check", .. QemuImageOpts(img, "s0")]);
        StringAssert.Contains(old.StdErr, "Invalid password, cannot unlock any keyslot");

        // The last slot is not erased without --force (qemu's message).
        var e = Assert.ThrowsExactly<ImageException>(() => Amend(img, "encrypt.state=inactive,encrypt.old-secret=s1", "s1"));
        StringAssert.StartsWith(e.Message, "All the active keyslots match the (old) password that was given and erasing them");
        using var dev = OpenOurs(img, "s1");
        var buf = new byte[512];
        dev.Read(0, buf);
        Assert.IsTrue(buf.All(b => b == 0x61));
    }

    [TestMethod]
    public void AmendRefusalsAreQemus()
    {
        using var tmp = new TempDir();
        string luks = tmp["l.qcow2"], aes = tmp["a.qcow2"], plain = tmp["p.qcow2"];
        Qcow2LuksImageTests.QemuCreate(luks, "1M");
        QemuOracle.ImgOk(["create", .. QemuObjects(aes), "-q", "-f", "qcow2", "-o", "encrypt.format=aes,encrypt.key-secret=s0", aes, "1M"]);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", plain, "1M");

        string Error(string img, string options) =>
            Assert.ThrowsExactly<ImageException>(() => Amend(img, options)).Message;
        Assert.AreEqual("Parameter 'state' is missing", Error(luks, "encrypt.new-secret=s1"));
        Assert.AreEqual("Only LUKS encryption options can be amended", Error(aes, "encrypt.state=inactive,encrypt.old-secret=s1"));
        var e = Assert.ThrowsExactly<ImageException>(() =>
        {
            using var dev = ImageOpener.Open(Ctx(), plain, new OpenOptions { Format = "qcow2", Writable = true });
            dev.Amend(new OptionValues([new("encrypt.state", "inactive")]), false, (_, _) => { });
        });
        Assert.AreEqual("Can't amend encryption options - encryption not present", e.Message);
        var qemu = QemuOracle.Img(["amend", .. QemuObjects(plain), "-f", "qcow2", "-o", "encrypt.state=inactive,encrypt.old-secret=s1", plain]);
        StringAssert.Contains(qemu.StdErr, "Can't amend encryption options - encryption not present");
    }

    [TestMethod]
    [DataRow("encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10")]
    [DataRow("encrypt.format=aes,encrypt.key-secret=s0")]
    public void ConvertPlainToEncryptedAndBack(string options)
    {
        using var tmp = new TempDir();
        string raw = tmp["src.raw"], enc = tmp["enc.qcow2"], back = tmp["back.raw"];
        var data = new byte[3 << 20];
        new Random(18).NextBytes(data.AsSpan(0, 300_000));
        Array.Fill(data, (byte)0x42, 2 << 20, 70_000);
        File.WriteAllBytes(raw, data);

        var ctx = Ctx();
        ImageConverter.Convert(ctx, new ConvertRequest
        {
            Sources = [raw], SourceFormat = "raw", OutputFilename = enc, OutputFormat = "qcow2",
            TargetOptions = Qcow.QcowTestSupport.OptionPairs(options),
        });
        string qemuRaw = tmp["qemu.raw"];
        QemuOracle.ImgOk(["convert", .. QemuImageOpts(enc), "-O", "raw", qemuRaw]);
        CollectionAssert.AreEqual(data, File.ReadAllBytes(qemuRaw), "qemu-img reads the encrypted image we converted");

        // Encrypted source to plain: the source is opened with its key (as --image-opts gives it).
        using (var src = OpenOurs(enc))
        {
            var buf = new byte[data.Length];
            src.Read(0, buf);
            File.WriteAllBytes(back, buf);
        }
        CollectionAssert.AreEqual(data, File.ReadAllBytes(back));
    }

    [TestMethod]
    public void CompressionAndEncryptionAreRefusedTogether()
    {
        using var tmp = new TempDir();
        string raw = tmp["s.raw"];
        File.WriteAllBytes(raw, new byte[1 << 20]);
        var r = QemuOracle.Img(["convert", .. QemuObjects(raw), "-c", "-O", "qcow2", "-o", "encrypt.format=aes,encrypt.key-secret=s0", raw, tmp["q.qcow2"]]);
        StringAssert.Contains(r.StdErr, "Compression and encryption not supported at the same time");
        var e = Assert.ThrowsExactly<ImageException>(() => ImageConverter.Convert(Ctx(), new ConvertRequest
        {
            Sources = [raw], SourceFormat = "raw", OutputFilename = tmp["o.qcow2"], OutputFormat = "qcow2", Compress = true,
            TargetOptions = Qcow.QcowTestSupport.OptionPairs("encrypt.format=luks,encrypt.key-secret=s0"),
        }));
        Assert.AreEqual("Compression and encryption not supported at the same time", e.Message);
        Assert.IsFalse(File.Exists(tmp["o.qcow2"]));
    }
}
