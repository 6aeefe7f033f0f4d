using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;
using ImageBuild.Tests.Shared;
using static ImageBuild.Engine.Tests.Luks.LuksTestImages;

namespace ImageBuild.Engine.Tests.Luks;

/// <summary>
/// cryptsetup as a second oracle: it accepts our images (luksDump shows our settings, the passphrase opens slot 0),
/// and volumes it formats are read by us exactly as qemu-img reads them.
/// </summary>
[TestClass]
[RequiresQemu]
[RequiresTool("cryptsetup")]
public sealed class LuksCryptsetupTests
{
    private static ProcessResult Cryptsetup(string dir, params string[] args) =>
        QemuOracle.Run(ExternalTools.Find("cryptsetup"), args, dir);

    [TestMethod]
    [DataRow("cipher-alg=aes-256", "aes", "xts-plain64", "sha256", 512)]
    [DataRow("cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=essiv,hash-alg=sha1", "aes", "cbc-essiv:sha256", "sha1", 128)]
    public void CryptsetupAcceptsOurImages(string options, string cipher, string mode, string hash, int mkBits)
    {
        using var tmp = new TempDir();
        string path = tmp["a.luks"];
        Create(Context(), path, 1 << 20, ["key-secret=s0", "iter-time=10", .. options.Split(',')]);
        var dump = Cryptsetup(tmp.Path, "luksDump", path);
        Assert.AreEqual(0, dump.ExitCode, dump.StdErr);
        StringAssert.Contains(dump.StdOut, $"Cipher name:   \t{cipher}\n");
        StringAssert.Contains(dump.StdOut, $"Cipher mode:   \t{mode}\n");
        StringAssert.Contains(dump.StdOut, $"Hash spec:     \t{hash}\n");
        StringAssert.Contains(dump.StdOut, $"MK bits:       \t{mkBits}\n");
        StringAssert.Contains(dump.StdOut, "Key Slot 0: ENABLED");
        StringAssert.Contains(dump.StdOut, "Key Slot 1: DISABLED");

        File.WriteAllText(tmp["key"], Passphrase);
        File.WriteAllText(tmp["bad"], Passphrase + "!");
        var ok = Cryptsetup(tmp.Path, "open", "--test-passphrase", "--key-file", tmp["key"], path);
        Assert.AreEqual(0, ok.ExitCode, "cryptsetup unlocks slot 0 with our passphrase: " + ok.StdErr);
        var bad = Cryptsetup(tmp.Path, "open", "--test-passphrase", "--key-file", tmp["bad"], path);
        Assert.AreNotEqual(0, bad.ExitCode, "and not with another");
    }

    [TestMethod]
    [DataRow("aes-xts-plain64", "256", "sha256")]
    [DataRow("aes-cbc-essiv:sha256", "128", "sha1")]
    [DataRow("aes-xts-plain", "512", "sha512")]
    public void WeReadCryptsetupVolumesAsQemuDoes(string cipher, string keyBits, string hash)
    {
        using var tmp = new TempDir();
        string path = tmp["c.img"];
        using (var f = File.Create(path)) f.SetLength(4 << 20);
        File.WriteAllText(tmp["key"], Passphrase);
        var r = Cryptsetup(tmp.Path, "luksFormat", "--type", "luks1", "--batch-mode", "--pbkdf-force-iterations", "1000", "-q",
            "--cipher", cipher, "--key-size", keyBits, "--hash", hash, "--key-file", tmp["key"], path);
        Assert.AreEqual(0, r.ExitCode, r.StdErr);
        // payload: qemu-io writes through qemu's driver; we must read the same bytes qemu-img convert gives
        QemuOracle.IoOk([.. ImageOpts(path), "-c", "write -P 0x3c 0 64k", "-c", "write -P 0xc3 1536k 4k"]);
        byte[] qemu = QemuPlain(path, tmp["c.raw"]);
        byte[] ours = OurPlain(Context(), path);
        Assert.AreEqual(qemu.Length, ours.Length);
        CollectionAssert.AreEqual(qemu, ours);
        Assert.IsTrue(ours[..65536].All(b => b == 0x3c));
    }

    [TestMethod]
    public void ADamagedKeySlotOfACryptsetupVolumeFailsHereAndInQemu()
    {
        using var tmp = new TempDir();
        string path = tmp["c.img"];
        using (var f = File.Create(path)) f.SetLength(3 << 20);
        File.WriteAllText(tmp["key"], Passphrase);
        var r = Cryptsetup(tmp.Path, "luksFormat", "--type", "luks1", "--batch-mode", "--pbkdf-force-iterations", "1000", "-q",
            "--key-file", tmp["key"], path);
        Assert.AreEqual(0, r.ExitCode, r.StdErr);
        Assert.AreEqual(3145728 - 2097152, OurPlain(Context(), path).Length, "payload after cryptsetup's 2 MiB header");

        ImageFilePatch.Patch(path, 8 * 512 + 100_000, Encoding.ASCII.GetBytes("damage"));
        var ex = Assert.ThrowsExactly<ImageException>(() => OurPlain(Context(), path));
        StringAssert.EndsWith(ex.Message, LuksKeySlotUnlock.InvalidPasswordMessage);
        var q = QemuOracle.Img(["convert", "-O", "raw", .. ImageOpts(path), tmp["c.raw"]]);
        Assert.AreEqual(1, q.ExitCode);
        StringAssert.Contains(q.StdErr, LuksKeySlotUnlock.InvalidPasswordMessage);
    }
}
