using System.Diagnostics;
using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Luks.LuksTestImages;

namespace ImageBuild.Engine.Tests.Luks;

/// <summary>The luks driver against qemu-img: both directions of data, info, measure, resize, refusals.</summary>
[TestClass]
[RequiresQemu]
public sealed class LuksDriverTests
{
    [TestMethod]
    [DataRow(new string[0])]
    [DataRow(new[] { "cipher-alg=aes-128", "cipher-mode=cbc", "ivgen-alg=essiv", "hash-alg=sha1" })]
    [DataRow(new[] { "cipher-alg=aes-192", "cipher-mode=xts", "ivgen-alg=plain", "hash-alg=sha512", "preallocation=falloc" })]
    [DataRow(new[] { "cipher-alg=aes-256", "cipher-mode=cbc", "ivgen-alg=plain64", "ivgen-hash-alg=sha1", "hash-alg=md5", "preallocation=full" })]
    public void QemuReadsWhatOurDriverWrote(string[] options)
    {
        using var tmp = new TempDir();
        var ctx = Context();
        string path = tmp["a.luks"];
        Create(ctx, path, 1 << 20, ["key-secret=s0", "iter-time=10", .. options]);
        byte[] a = Pattern(70_000, 1), b = Pattern(3000, 2);
        using (var dev = ImageOpener.Open(ctx, path, LuksOpen(writable: true)))
        {
            Assert.AreEqual(1 << 20, dev.VirtualSize);
            dev.Write(1234, a);
            dev.Write((1 << 20) - 3000, b);
        }
        byte[] plain = QemuPlain(path, tmp["a.raw"]);
        CollectionAssert.AreEqual(a, plain[1234..(1234 + a.Length)]);
        CollectionAssert.AreEqual(b, plain[^3000..]);
        CollectionAssert.AreEqual(plain, OurPlain(ctx, path), "we read back what qemu reads");
        var q = QemuOracle.Img(["check", .. ImageOpts(path)]);
        Assert.AreEqual(63, q.ExitCode, "qemu has no check for luks: " + q.StdErr);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=plain,hash-alg=sha256")]
    [DataRow("cipher-alg=aes-256,cipher-mode=xts,ivgen-alg=essiv,ivgen-hash-alg=sha256,hash-alg=sha1")]
    public void WeReadWhatQemuIoWrote(string options)
    {
        using var tmp = new TempDir();
        string path = tmp["q.luks"];
        QemuCreate(path, options, "2M");
        QemuOracle.IoOk([.. ImageOpts(path), "-c", "write -P 0x71 4096 100k", "-c", "write -P 0x12 2000k 48k"]);
        CollectionAssert.AreEqual(QemuPlain(path, tmp["q.raw"]), OurPlain(Context(), path));
    }

    [TestMethod]
    public void InfoWithoutASecretIsQemus()
    {
        using var tmp = new TempDir();
        string path = tmp["q.luks"];
        QemuCreate(path, "cipher-alg=aes-128,ivgen-alg=essiv,ivgen-hash-alg=md5");
        var info = ImageInfoCollector.CollectList(Context(), path, "luks", false, false);
        using var doc = JsonDocument.Parse(QemuOracle.ImgOk("info", "--output=json", path));
        Assert.AreEqual(doc.RootElement.GetProperty("virtual-size").GetInt64(), info[0].VirtualSize);
        Assert.IsTrue(doc.RootElement.GetProperty("encrypted").GetBoolean());
        Assert.AreEqual(true, info[0].Encrypted);
        var data = doc.RootElement.GetProperty("format-specific").GetProperty("data");
        var ours = info[0].FormatSpecific!.Data;
        Assert.AreEqual("luks", info[0].FormatSpecific!.Type);
        foreach (var key in new[] { "cipher-alg", "cipher-mode", "ivgen-alg", "ivgen-hash-alg", "hash-alg", "uuid" })
            Assert.AreEqual(data.GetProperty(key).GetString(), ours[key], key);
        Assert.AreEqual(data.GetProperty("payload-offset").GetInt64(), ours["payload-offset"]);
        Assert.AreEqual(data.GetProperty("master-key-iters").GetInt64(), ours["master-key-iters"]);
    }

    [TestMethod]
    public void ReadingWithoutAKeySecretOrWithTheWrongOneIsRefusedAsQemuRefusesIt()
    {
        using var tmp = new TempDir();
        string path = tmp["q.luks"];
        QemuCreate(path, "cipher-alg=aes-128,hash-alg=sha1");
        var ex = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Context(), path, LuksOpen(secret: null)));
        StringAssert.EndsWith(ex.Message, "Parameter 'key-secret' is required for cipher");
        var q = QemuOracle.Img("convert", "-O", "raw", path, tmp["x.raw"]);
        StringAssert.Contains(q.StdErr, ": Parameter 'key-secret' is required for cipher");

        ex = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Context(("s0", "wrong")), path, LuksOpen()));
        StringAssert.EndsWith(ex.Message, LuksKeySlotUnlock.InvalidPasswordMessage);
        q = QemuOracle.Img(["convert", "-O", "raw", .. ImageOpts(path, "wrong"), tmp["x.raw"]]);
        Assert.AreEqual(1, q.ExitCode);
        StringAssert.Contains(q.StdErr, ": " + LuksKeySlotUnlock.InvalidPasswordMessage);

        ex = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Context(), path, LuksOpen(secret: "s7")));
        StringAssert.EndsWith(ex.Message, "No secret with id 's7'");
        Assert.IsFalse(ex.Message.Contains(Passphrase, StringComparison.Ordinal));
    }

    [TestMethod]
    public void CreateRefusalsRemoveTheFileAsQemuDoes()
    {
        using var tmp = new TempDir();
        var ctx = Context();
        foreach (var (options, message, fileLeft) in new (string[], string, bool)[]
        {
            ([], "Parameter 'key-secret' is required for cipher", false),
            (["key-secret=s9"], "No secret with id 's9'", false),
            (["key-secret=s0", "cipher-alg=des"], "Algorithm 'des' not supported", false),
            (["key-secret=s0", "ivgen-alg=essiv", "ivgen-hash-alg=sha1"], "No AES cipher with key size 20 available", false),
            (["key-secret=s0", "cipher-alg=foo"], "Parameter 'cipher-alg' does not accept value 'foo'", false),
            (["key-secret=s0", "preallocation=foo"], "invalid parameter value: foo", false),
        })
        {
            string path = tmp["r.luks"];
            var ex = Assert.ThrowsExactly<ImageException>(() => Create(ctx, path, 1 << 20, options), message);
            Assert.AreEqual($"{path}: {message}", ex.Message);
            Assert.AreEqual(fileLeft, File.Exists(path), message);
            var q = QemuOracle.Img(["create", "-q", "-f", "luks", "--object", SecretObject("s0", "x", path), "-o", string.Join(',', options.Append("iter-time=10")), path, "1M"]);
            Assert.AreEqual(1, q.ExitCode);
            Assert.AreEqual($"qemu-img: {path}: {message}\n", q.StdErr);
            Assert.AreEqual(fileLeft, File.Exists(path), "qemu: " + message);
        }
    }

    [TestMethod]
    [DataRow("", 1L << 20)]
    [DataRow("cipher-alg=aes-128", 12345L)]
    [DataRow("cipher-alg=aes-192,cipher-mode=xts,preallocation=full", 1L << 30)]
    public void MeasureIsQemus(string options, long size)
    {
        using var tmp = new TempDir();
        string opts = "key-secret=s0,iter-time=10" + (options.Length > 0 ? "," + options : "");
        var r = ImageMeasurer.Measure(Context(), new MeasureRequest
        {
            OutputFormat = "luks", Size = size,
            Options = opts.Split(',').Select(p => p.Split('=')).Select(p => new KeyValuePair<string, string>(p[0], p[1])).ToList(),
        });
        string q = null!;
        for (int attempt = 0; attempt < 30; attempt++)
        {
            var p = QemuOracle.Img("measure", "--output=json", "--object", SecretObject("s0", "x", tmp["k"]), "-O", "luks", "-o", opts, "--size", size.ToString());
            if (p.ExitCode == 0) { q = p.StdOut; break; }
            if (!p.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) Assert.Fail(p.StdErr);
        }
        Assert.IsNotNull(q, "qemu-img measure failed its benchmark 30 times");
        using var doc = JsonDocument.Parse(q);
        Assert.AreEqual(doc.RootElement.GetProperty("required").GetInt64(), r.Required);
        Assert.AreEqual(doc.RootElement.GetProperty("fully-allocated").GetInt64(), r.FullyAllocated);

        var ex = Assert.ThrowsExactly<ImageException>(() => ImageMeasurer.Measure(Context(), new MeasureRequest { OutputFormat = "luks", Size = size }));
        Assert.AreEqual("Parameter 'key-secret' is required for cipher", ex.Message);
    }

    [TestMethod]
    public void ResizeGrowsAndShrinksTheFileAsQemuDoes()
    {
        using var tmp = new TempDir();
        var ctx = Context();
        string path = tmp["a.luks"];
        Create(ctx, path, 1 << 20, "key-secret=s0", "iter-time=10", "cipher-alg=aes-128");
        long header = 1_052_672; // qemu's payload offset for 32-byte keys
        byte[] tail = Pattern(4096, 9);
        using (var dev = ImageOpener.Open(ctx, path, LuksOpen(writable: true)))
        {
            dev.Write((1 << 20) - 4096, tail);
            dev.Resize(3 << 20, ImageBuild.Engine.Formats.File.Preallocation.Off);
            Assert.AreEqual(3 << 20, dev.VirtualSize);
        }
        Assert.AreEqual(header + (3 << 20), new FileInfo(path).Length);
        byte[] plain = QemuPlain(path, tmp["a.raw"]);
        Assert.AreEqual(3 << 20, plain.Length);
        CollectionAssert.AreEqual(tail, plain[((1 << 20) - 4096)..(1 << 20)]);

        using (var dev = ImageOpener.Open(ctx, path, LuksOpen(writable: true)))
        {
            dev.Resize(512 * 1024, ImageBuild.Engine.Formats.File.Preallocation.Off);
            var ex = Assert.ThrowsExactly<ImageException>(() => dev.Resize(1 << 20, ImageBuild.Engine.Formats.File.Preallocation.Metadata));
            Assert.AreEqual("Unsupported preallocation mode: metadata", ex.Message);
        }
        Assert.AreEqual(header + 512 * 1024, new FileInfo(path).Length);
        using var doc = JsonDocument.Parse(QemuOracle.ImgOk("info", "--output=json", path));
        Assert.AreEqual(512 * 1024, doc.RootElement.GetProperty("virtual-size").GetInt64());
    }

    [TestMethod]
    public void AmendAddsASlotQemuOpens()
    {
        using var tmp = new TempDir();
        var ctx = Context(("s0", Passphrase), ("s1", "second"));
        string path = tmp["a.luks"];
        Create(ctx, path, 1 << 20, "key-secret=s0", "iter-time=10");
        using (var dev = ImageOpener.Open(ctx, path, LuksOpen(writable: true)))
            dev.Write(0, Pattern(4096, 3));
        using (var dev = ImageOpener.Open(ctx, path, LuksOpen(writable: true)))
            dev.Amend(new ImageBuild.Engine.Options.OptionValues([new("state", "active"), new("new-secret", "s1"), new("iter-time", "10")]), false, (_, _) => { });
        byte[] plain = QemuPlain(path, tmp["a.raw"], "second");
        CollectionAssert.AreEqual(Pattern(4096, 3), plain[..4096]);
    }

    /// <summary>
    /// iter-time is what a wrong passphrase costs: every active slot's PBKDF2 runs for about that long (lower bound
    /// only; half of it allows for a benchmark that ran on a busier machine).
    /// </summary>
    [TestMethod]
    public void AWrongPassphraseCostsAboutTheIterTime()
    {
        using var tmp = new TempDir();
        var ctx = Context();
        string path = tmp["t.luks"];
        Create(ctx, path, 65536, "key-secret=s0", "iter-time=300", "cipher-alg=aes-128", "hash-alg=sha1");
        var watch = Stopwatch.StartNew();
        Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Context(("s0", "nope")), path, LuksOpen()));
        Assert.IsTrue(watch.ElapsedMilliseconds >= 150, $"a wrong passphrase took {watch.ElapsedMilliseconds} ms");
    }
}
