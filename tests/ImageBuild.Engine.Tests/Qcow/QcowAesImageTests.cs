using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Engine.Secrets;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Qcow;

/// <summary>
/// qemu's legacy AES encryption (qcow crypt_method 1 and qcow2 crypt_method 1) in both directions against qemu-img
/// 7.2: images qemu made and qemu-io wrote read as qemu-img convert reads them; images we made are byte-identical to
/// qemu-img's, and what we write qemu-io reads back; a wrong password reads the same garbage as in qemu (the format
/// has no key check); the key's absence, an unknown secret and a mismatching encrypt.format fail with qemu's words.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class QcowAesImageTests
{
    private const string Password = "a secret";

    private static ImageContext Ctx(string password = Password)
    {
        var secrets = new SecretStore();
        secrets.Add("s0", Encoding.UTF8.GetBytes(password));
        return ImageContext.CreateDefault().WithSecrets(secrets);
    }

    private static Dictionary<string, string> KeyOptions(string id = "s0") => new() { ["encrypt.key-secret"] = id };

    private static BlockDevice OpenOurs(string path, string format, bool writable = false, string password = Password,
        Dictionary<string, string>? options = null, bool noIo = false) =>
        ImageOpener.Open(Ctx(password), path, new OpenOptions
        {
            Format = format, Writable = writable, NoIo = noIo, DriverOptions = options ?? KeyOptions(),
        });

    private static string[] QemuImageOpts(string path, string format, string password = Password) =>
        ["--object", QcowTestSupport.SecretObject("s0", password, path), "--image-opts", $"driver={format},file.filename={path},encrypt.key-secret=s0"];

    private static void QemuCreate(string path, string format, string size = "4M", string extra = "") =>
        QemuOracle.ImgOk("create", "-q", "-f", format, "--object", QcowTestSupport.SecretObject("s0", Password, path),
            "-o", "encrypt.format=aes,encrypt.key-secret=s0" + extra, path, size);

    private static void OurCreate(string path, string format, long size = 4 << 20, string extra = "") =>
        ImageCreator.Create(Ctx(), new CreateImageRequest
        {
            Filename = path, Format = format, Size = size,
            Options = QcowTestSupport.OptionPairs("encrypt.format=aes,encrypt.key-secret=s0" + extra),
        }, null);

    private static void QemuIo(string path, string format, params string[] commands)
    {
        var args = new List<string>(QemuImageOpts(path, format));
        foreach (var c in commands) args.AddRange(["-c", c]);
        QemuOracle.IoOk([.. args]);
    }

    /// <summary>What qemu-img convert -O raw reads from the image with <paramref name="password"/>.</summary>
    private static byte[] QemuRaw(TempDir tmp, string path, string format, string password = Password)
    {
        string raw = tmp["qemu.raw"];
        QemuOracle.ImgOk(["convert", .. QemuImageOpts(path, format, password), "-O", "raw", raw]);
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

    [TestMethod]
    [DataRow("qcow")]
    [DataRow("qcow2")]
    public void QemuWrittenImageReadsAsQemuConvertReadsIt(string format)
    {
        using var tmp = new TempDir();
        string img = tmp["q." + format];
        QemuCreate(img, format);
        QemuIo(img, format, "write -P 0x11 0 100k", "write -P 0x22 1000k 3k", "write -c -P 0x33 2M " + (format == "qcow" ? "4k" : "64k"),
            "write -z 3M 8k", "write -P 0x44 4095k 1k");
        byte[] expected = QemuRaw(tmp, img, format);
        Assert.AreEqual(0x11, expected[99 << 10], "the oracle decrypted the pattern");
        using var dev = OpenOurs(img, format);
        Assert.IsTrue(dev.IsEncrypted);
        CollectionAssert.AreEqual(expected, OurRaw(dev));
    }

    [TestMethod]
    [DataRow("qcow")]
    [DataRow("qcow2")]
    public void OurImageIsQemusAndWhatWeWriteQemuReads(string format)
    {
        using var tmp = new TempDir();
        string ours = tmp["o." + format], theirs = tmp["t." + format];
        OurCreate(ours, format);
        QemuCreate(theirs, format);
        CollectionAssert.AreEqual(File.ReadAllBytes(theirs), File.ReadAllBytes(ours), "created byte for byte as qemu-img");

        var expected = new byte[4 << 20];
        using (var dev = OpenOurs(ours, format, writable: true))
        {
            void Write(long offset, int length, byte value)
            {
                var data = new byte[length];
                Array.Fill(data, value);
                dev.Write(offset, data);
                data.CopyTo(expected, offset);
            }
            Write(0, 3000, 0x5a);            // a partial sector and a partial cluster
            Write(70000, 200000, 0x6b);      // across clusters
            Write(1000, 10, 0x7c);           // in place, read-modify-write of one sector
            Write((4 << 20) - 512, 512, 0x8d); // the last sector
        }
        CollectionAssert.AreEqual(expected, QemuRaw(tmp, ours, format), "qemu-img reads what we wrote");
        QemuIo(ours, format, "read -P 0x5a 0 1000", "read -P 0x7c 1000 10", "read -P 0 3000 67000", "read -P 0x6b 70000 200000");
        if (format == "qcow2")
        {
            var check = QemuOracle.Img(["check", .. QemuImageOpts(ours, format)]);
            Assert.AreEqual(0, check.ExitCode, check.StdOut + check.StdErr);
            StringAssert.Contains(check.StdOut, "No errors were found on the image.");
        }
    }

    /// <summary>Nothing checks an AES key: a wrong password opens and reads the same garbage qemu reads.</summary>
    [TestMethod]
    [DataRow("qcow")]
    [DataRow("qcow2")]
    public void WrongPasswordReadsQemusGarbage(string format)
    {
        using var tmp = new TempDir();
        string img = tmp["w." + format];
        QemuCreate(img, format, "1M");
        QemuIo(img, format, "write -P 0x11 0 64k");
        byte[] expected = QemuRaw(tmp, img, format, "not it");
        Assert.AreNotEqual(0x11, expected[0]);
        using var dev = OpenOurs(img, format, password: "not it");
        CollectionAssert.AreEqual(expected, OurRaw(dev));
    }

    /// <summary>Only the first 16 bytes of the password make the key (qemu truncates it).</summary>
    [TestMethod]
    public void PasswordIsTruncatedToSixteenBytes()
    {
        using var tmp = new TempDir();
        string img = tmp["l.qcow2"];
        string secret = QcowTestSupport.SecretObject("s0", "0123456789abcdefXYZ", img);
        QemuOracle.ImgOk("create", "-q", "-f", "qcow2", "--object", secret,
            "-o", "encrypt.format=aes,encrypt.key-secret=s0", img, "1M");
        QemuOracle.IoOk("--object", secret, "--image-opts",
            $"driver=qcow2,file.filename={img},encrypt.key-secret=s0", "-c", "write -P 0x42 0 4k");
        using var dev = OpenOurs(img, "qcow2", password: "0123456789abcdef-other");
        var buf = new byte[4096];
        dev.Read(0, buf);
        Assert.IsTrue(buf.All(b => b == 0x42));
    }

    [TestMethod]
    [DataRow("qcow")]
    [DataRow("qcow2")]
    public void MissingKeyUnknownSecretAndWrongFormatAreQemusErrors(string format)
    {
        using var tmp = new TempDir();
        string img = tmp["e." + format];
        QemuCreate(img, format, "1M");

        string Error(Dictionary<string, string> options) =>
            Assert.ThrowsExactly<ImageException>(() => OpenOurs(img, format, options: options).Dispose()).Message;

        Assert.AreEqual($"Could not open '{img}': Parameter 'encrypt.key-secret' is required for cipher", Error([]));
        Assert.AreEqual($"Could not open '{img}': No secret with id 's9'", Error(KeyOptions("s9")));
        Assert.AreEqual($"Could not open '{img}': Header reported 'aes' encryption format but options specify 'luks'",
            Error(new() { ["encrypt.format"] = "luks", ["encrypt.key-secret"] = "s0" }));
        var qemu = QemuOracle.Img("convert", "-O", "raw", img, tmp["x.raw"]);
        Assert.AreEqual(1, qemu.ExitCode);
        StringAssert.Contains(qemu.StdErr, $"Could not open '{img}': Parameter 'encrypt.key-secret' is required for cipher");

        // info opens for metadata only: no key needed, and the image says it is encrypted.
        using var info = OpenOurs(img, format, options: [], noIo: true);
        Assert.IsTrue(info.IsEncrypted);
    }

    [TestMethod]
    [DataRow("qcow")]
    [DataRow("qcow2")]
    public void FormatOptionOnAPlainImageIsRefused(string format)
    {
        using var tmp = new TempDir();
        string img = tmp["p." + format];
        QemuOracle.ImgOk("create", "-q", "-f", format, img, "1M");
        var e = Assert.ThrowsExactly<ImageException>(() =>
            OpenOurs(img, format, options: new() { ["encrypt.format"] = "aes" }).Dispose());
        Assert.AreEqual($"Could not open '{img}': No encryption in image header, but options specified format 'aes'", e.Message);
    }

    /// <summary>Compressed clusters of an AES image are stored unencrypted (qemu-io write -c): we read them, and write them so.</summary>
    [TestMethod]
    [DataRow("qcow")]
    [DataRow("qcow2")]
    public void CompressedClustersAreStoredPlain(string format)
    {
        using var tmp = new TempDir();
        string img = tmp["c." + format];
        OurCreate(img, format, 1 << 20);
        using (var dev = OpenOurs(img, format, writable: true))
        {
            var compressor = dev.CreateCompressor(ImageBuild.Engine.Compression.DeflateLibrary.RuntimeZlibNg)!;
            var cluster = new byte[dev.ClusterSize];
            Array.Fill(cluster, (byte)0x3c);
            var packed = new byte[dev.ClusterSize];
            int n = compressor.Compress(cluster, packed);
            Assert.IsTrue(n > 0 && n < dev.ClusterSize);
            dev.WriteCompressedCluster(dev.ClusterSize, packed.AsSpan(0, n));
            dev.FinishCompressedWrites();
        }
        QemuIo(img, format, "read -P 0x3c " + (format == "qcow" ? "4k 4k" : "64k 64k"), "read -P 0 0 4k");
    }
}
