using System.Buffers.Binary;
using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;
using ImageBuild.Engine.Secrets;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Qcow2;

/// <summary>
/// qcow2 with LUKS encryption (crypt_method 2) both ways against qemu-img 7.2: qemu's images read as qemu-img
/// convert reads them, with its info block; ours have qemu's layout (the LUKS header in the clusters after the L1
/// table, named by the crypto header extension), qemu-img check finds them clean and reads what we wrote (sectors
/// encrypted by host offset); a wrong passphrase and a damaged key slot fail with qemu's message.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class Qcow2LuksImageTests
{
    private const string Passphrase = "pass phrase";

    private static ImageContext Ctx(params (string Id, string Value)[] secrets)
    {
        var store = new SecretStore();
        foreach (var (id, value) in secrets.Length == 0 ? [("s0", Passphrase)] : secrets)
            store.Add(id, Encoding.UTF8.GetBytes(value));
        return ImageContext.CreateDefault().WithSecrets(store);
    }

    private static BlockDevice OpenOurs(string path, bool writable = false, string passphrase = Passphrase, bool noIo = false,
        string? keySecret = "s0") =>
        ImageOpener.Open(Ctx(("s0", passphrase)), path, new OpenOptions
        {
            Format = "qcow2", Writable = writable, NoIo = noIo,
            DriverOptions = keySecret is null ? null : new Dictionary<string, string> { ["encrypt.key-secret"] = keySecret },
        });

    private static string[] QemuImageOpts(string path, string passphrase = Passphrase) =>
        ["--object", Qcow.QcowTestSupport.SecretObject("s0", passphrase, path), "--image-opts", $"driver=qcow2,file.filename={path},encrypt.key-secret=s0"];

    /// <summary>Images qemu-img made, by size and options: its PBKDF2 benchmark costs seconds, so each is made once and copied.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Made = new();

    /// <summary>
    /// qemu-img create with LUKS (a copy of an earlier one with the same size and options); qemu's PBKDF2 benchmark
    /// sometimes fails at small iter-time ("Unable to get accurate CPU usage"), so a few attempts are allowed.
    /// </summary>
    internal static void QemuCreate(string path, string size = "4M", string extra = "")
    {
        byte[] image = Made.GetOrAdd(size + extra, _ =>
        {
            string made = path + ".made";
            ProcessResult r = null!;
            for (int attempt = 0; attempt < 20; attempt++)
            {
                if (File.Exists(made)) File.Delete(made);
                r = QemuOracle.Img("create", "-q", "-f", "qcow2", "--object", Qcow.QcowTestSupport.SecretObject("s0", Passphrase, path),
                    "-o", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10" + extra, made, size);
                if (r.ExitCode == 0)
                {
                    byte[] bytes = File.ReadAllBytes(made);
                    File.Delete(made);
                    return bytes;
                }
                if (!r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) break;
            }
            throw new AssertFailedException($"qemu-img create -f qcow2 luks exited {r.ExitCode}: {r.StdErr}");
        });
        File.WriteAllBytes(path, image);
    }

    /// <summary>A reproducible identity: keys and salts from the seed, PBKDF2 counts from the fixed rate (no benchmark).</summary>
    private static ImageContext Reproducible(string seed) =>
        Ctx().WithIdentity(IdentitySource.Reproducible(seed, DateTimeOffset.FromUnixTimeSeconds(0)));

    private static void OurCreate(string path, long size = 4 << 20, string extra = "", ImageContext? ctx = null) =>
        ImageCreator.Create(ctx ?? Reproducible("qcow2-luks"), new CreateImageRequest
        {
            Filename = path, Format = "qcow2", Size = size,
            Options = Qcow.QcowTestSupport.OptionPairs("encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10" + extra),
        }, null);

    private static void QemuIo(string path, params string[] commands)
    {
        var args = new List<string>(QemuImageOpts(path));
        foreach (var c in commands) args.AddRange(["-c", c]);
        QemuOracle.IoOk([.. args]);
    }

    private static byte[] QemuRaw(TempDir tmp, string path)
    {
        string raw = tmp["qemu.raw"];
        QemuOracle.ImgOk(["convert", .. QemuImageOpts(path), "-O", "raw", raw]);
        byte[] bytes = File.ReadAllBytes(raw);
        File.Delete(raw);
        return bytes;
    }

    private static byte[] OurRaw(BlockDevice dev)
    {
        var buf = new byte[dev.VirtualSize];
        dev.Read(0, buf);
        return buf;
    }

    /// <summary>The crypto header extension (offset, length) of a qcow2 file.</summary>
    private static (ulong Offset, ulong Length) CryptoExtension(string path)
    {
        byte[] head = ImageFilePatch.ReadBytes(path, 0, 4096);
        int pos = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(4)) < 3 ? 72 : (int)BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(100));
        while (pos + 8 <= head.Length)
        {
            uint type = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(pos));
            int len = (int)BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(pos + 4));
            if (type == 0) break;
            if (type == 0x0537BE77)
                return (BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(pos + 8)), BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(pos + 16)));
            pos += 8 + ((len + 7) & ~7);
        }
        throw new AssertFailedException("no crypto header extension");
    }

    private static object? Member(QapiObject o, string key) => o.FirstOrDefault(kv => kv.Key == key).Value;

    [TestMethod]
    [DataRow("")]
    [DataRow(",encrypt.cipher-alg=aes-128,encrypt.cipher-mode=cbc,encrypt.ivgen-alg=essiv,encrypt.hash-alg=sha1")]
    public void QemuWrittenImageReadsAsQemuConvertReadsIt(string extra)
    {
        using var tmp = new TempDir();
        string img = tmp["q.qcow2"];
        QemuCreate(img, extra: extra);
        QemuIo(img, "write -P 0x11 0 100k", "write -P 0x22 1000k 3k", "write -c -P 0x33 2M 64k", "write -z 3M 8k", "write -P 0x44 4095k 1k");
        byte[] expected = QemuRaw(tmp, img);
        Assert.AreEqual(0x22, expected[1000 << 10]);
        using var dev = OpenOurs(img);
        Assert.IsTrue(dev.IsEncrypted);
        CollectionAssert.AreEqual(expected, OurRaw(dev));
        Assert.IsFalse(BlockLayer.GetStatus(dev, 0, 4096).HasOffset, "qemu gives no host offset for encrypted data");
    }

    [TestMethod]
    public void InfoWithoutKeyShowsQemusEncryptBlock()
    {
        using var tmp = new TempDir();
        string img = tmp["i.qcow2"];
        QemuCreate(img);
        string json = QemuOracle.ImgOk("info", "--output=json", img);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var qemu = doc.RootElement.GetProperty("format-specific").GetProperty("data").GetProperty("encrypt");

        using var dev = OpenOurs(img, noIo: true, keySecret: null);
        var ours = (QapiObject)Member(dev.GetSpecificInfo()!.Data, "encrypt")!;
        Assert.AreEqual("luks", Member(ours, "format"));
        foreach (var key in new[] { "cipher-alg", "cipher-mode", "ivgen-alg", "hash-alg", "uuid" })
            Assert.AreEqual(qemu.GetProperty(key).GetString(), Member(ours, key), key);
        Assert.AreEqual(qemu.GetProperty("payload-offset").GetInt64(), Convert.ToInt64(Member(ours, "payload-offset")));
        Assert.AreEqual(qemu.GetProperty("master-key-iters").GetInt64(), Convert.ToInt64(Member(ours, "master-key-iters")));
        Assert.AreEqual(qemu.GetProperty("slots").GetArrayLength(), ((List<object>)Member(ours, "slots")!).Count);
    }

    [TestMethod]
    [DataRow(4L << 20, "")]
    [DataRow(100L << 20, ",cluster_size=4096")]
    [DataRow(1L << 20, ",encrypt.cipher-alg=aes-128,encrypt.cipher-mode=cbc,encrypt.ivgen-alg=plain,compat=0.10")]
    public void OurImageHasQemusLayoutAndQemuReadsWhatWeWrite(long size, string extra)
    {
        using var tmp = new TempDir();
        string ours = tmp["o.qcow2"], theirs = tmp["t.qcow2"];
        OurCreate(ours, size, extra);
        QemuCreate(theirs, size.ToString(System.Globalization.CultureInfo.InvariantCulture), extra);
        Assert.AreEqual(CryptoExtension(theirs), CryptoExtension(ours), "the LUKS header where qemu puts it");
        Assert.AreEqual(new FileInfo(theirs).Length, new FileInfo(ours).Length);

        var expected = new byte[size];
        using (var dev = OpenOurs(ours, writable: true))
        {
            void Write(long offset, int length, byte value)
            {
                var data = new byte[length];
                Array.Fill(data, value);
                dev.Write(offset, data);
                data.CopyTo(expected, offset);
            }
            Write(0, 3000, 0x5a);
            Write(70000, 200000, 0x6b);
            Write(1000, 10, 0x7c);
            Write(size - 512, 512, 0x8d);
        }
        CollectionAssert.AreEqual(expected, QemuRaw(tmp, ours), "qemu-img reads what we wrote");
        var check = QemuOracle.Img(["check", .. QemuImageOpts(ours)]);
        Assert.AreEqual(0, check.ExitCode, check.StdOut + check.StdErr);
        StringAssert.Contains(check.StdOut, "No errors were found on the image.");
        using var reopened = OpenOurs(ours);
        CollectionAssert.AreEqual(expected, OurRaw(reopened));
    }

    /// <summary>With a reproducible identity the whole image is a function of the seed; another seed changes the key material.</summary>
    [TestMethod]
    public void ReproducibleCreateIsByteIdentical()
    {
        using var tmp = new TempDir();
        using var other = new TempDir();
        // The identity of an image derives from the seed and the image's name: the same name in two directories.
        string a = tmp["r.qcow2"], b = other["r.qcow2"], c = tmp["c.qcow2"];
        OurCreate(a, 1 << 20);
        OurCreate(b, 1 << 20);
        OurCreate(c, 1 << 20, ctx: Reproducible("another seed"));
        CollectionAssert.AreEqual(File.ReadAllBytes(a), File.ReadAllBytes(b));
        CollectionAssert.AreNotEqual(File.ReadAllBytes(a), File.ReadAllBytes(c));
        QemuOracle.IoOk([.. QemuImageOpts(c), "-c", "read -P 0 0 1M"]);
    }

    [TestMethod]
    public void WrongPassphraseAndDamagedKeySlotAreQemusError()
    {
        using var tmp = new TempDir();
        string img = tmp["w.qcow2"];
        QemuCreate(img, "1M");
        const string message = "Invalid password, cannot unlock any keyslot";

        var qemu = QemuOracle.Img(["check", .. QemuImageOpts(img, "wrong")]);
        Assert.AreEqual(1, qemu.ExitCode);
        StringAssert.Contains(qemu.StdErr, message);
        var e = Assert.ThrowsExactly<ImageException>(() => OpenOurs(img, passphrase: "wrong").Dispose());
        Assert.AreEqual($"Could not open '{img}': {message}", e.Message);
        using (var info = OpenOurs(img, passphrase: "wrong", noIo: true))
            Assert.IsTrue(info.IsEncrypted, "info opens without unlocking, as qemu-img info does");

        // Slot 0's key material (4096 bytes into the LUKS header) damaged: the right passphrase no longer unlocks.
        var (offset, _) = CryptoExtension(img);
        ImageFilePatch.Patch(img, (long)offset + 4096 + 100, new byte[64]);
        qemu = QemuOracle.Img(["check", .. QemuImageOpts(img)]);
        Assert.AreEqual(1, qemu.ExitCode);
        StringAssert.Contains(qemu.StdErr, message);
        e = Assert.ThrowsExactly<ImageException>(() => OpenOurs(img).Dispose());
        Assert.AreEqual($"Could not open '{img}': {message}", e.Message);
    }

    [TestMethod]
    public void MissingKeyAndMismatchingFormatAreQemusErrors()
    {
        using var tmp = new TempDir();
        string img = tmp["m.qcow2"];
        QemuCreate(img, "1M");
        var e = Assert.ThrowsExactly<ImageException>(() => OpenOurs(img, keySecret: null).Dispose());
        Assert.AreEqual($"Could not open '{img}': Parameter 'encrypt.key-secret' is required for cipher", e.Message);
        e = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(Ctx(), img, new OpenOptions
        {
            Format = "qcow2",
            DriverOptions = new Dictionary<string, string> { ["encrypt.format"] = "aes", ["encrypt.key-secret"] = "s0" },
        }).Dispose());
        Assert.AreEqual($"Could not open '{img}': Header reported 'luks' encryption format but options specify 'aes'", e.Message);
    }
}
