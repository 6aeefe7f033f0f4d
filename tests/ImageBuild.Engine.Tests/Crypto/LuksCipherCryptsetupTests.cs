using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Crypto;

/// <summary>
/// cryptsetup as a second oracle for the non-default ciphers, modes and hashes: luksDump shows the settings of volumes
/// we format, and where this kernel's crypto API has the cipher (AES here; cryptsetup checks a passphrase through the
/// kernel), <c>open --test-passphrase</c> unlocks slot 0 with our passphrase and not with another.
/// </summary>
[TestClass]
[RequiresTool("cryptsetup")]
public sealed class LuksCipherCryptsetupTests
{
    private static ProcessResult Cryptsetup(string dir, params string[] args) =>
        QemuOracle.Run(ExternalTools.Find("cryptsetup"), args, dir);

    private static void Format(string path, LuksCreateSettings settings, string passphrase)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        LuksVolume.Format(settings, Encoding.UTF8.GetBytes(passphrase), IdentitySource.Random.ForImage(path),
            headerLength => fs.SetLength(headerLength + (1 << 20)), (offset, data) =>
            {
                fs.Position = offset;
                fs.Write(data);
            }).Dispose();
    }

    [TestMethod]
    [DataRow("twofish-256", "xts", "plain64", null, "sha224", "twofish", "xts-plain64", 512, false)]
    [DataRow("serpent-128", "cbc", "essiv", "md5", "ripemd160", "serpent", "cbc-essiv:md5", 128, false)]
    [DataRow("cast5-128", "ctr", "plain", null, "sha1", "cast5", "ctr-plain", 128, false)]
    [DataRow("aes-128", "ctr", "plain64", null, "sha224", "aes", "ctr-plain64", 128, true)]
    [DataRow("aes-256", "xts", "plain64", null, "ripemd160", "aes", "xts-plain64", 512, true)]
    [DataRow("aes-128", "cbc", "essiv", null, "sha224", "aes", "cbc-essiv:sha256", 128, true)]
    [DataRow("aes-256", "cbc", "plain", null, "ripemd160", "aes", "cbc-plain", 256, true)]
    public void CryptsetupReadsOurHeaderAndUnlocksWhereTheKernelHasTheCipher(string alg, string mode, string ivgen, string? ivHash, string hash,
        string cipherName, string cipherMode, int mkBits, bool kernelHasIt)
    {
        using var tmp = new TempDir();
        string path = tmp["a.luks"];
        Format(path, new LuksCreateSettings { CipherAlg = alg, CipherMode = mode, IvgenAlg = ivgen, IvgenHashAlg = ivHash, HashAlg = hash, IterTime = 10 }, "pw");
        var dump = Cryptsetup(tmp.Path, "luksDump", path);
        Assert.AreEqual(0, dump.ExitCode, dump.StdErr);
        StringAssert.Contains(dump.StdOut, $"Cipher name:   \t{cipherName}\n");
        StringAssert.Contains(dump.StdOut, $"Cipher mode:   \t{cipherMode}\n");
        StringAssert.Contains(dump.StdOut, $"Hash spec:     \t{hash}\n");
        StringAssert.Contains(dump.StdOut, $"MK bits:       \t{mkBits}\n");
        StringAssert.Contains(dump.StdOut, "Key Slot 0: ENABLED");
        if (!kernelHasIt) return;

        File.WriteAllText(tmp["key"], "pw");
        File.WriteAllText(tmp["bad"], "pw!");
        var ok = Cryptsetup(tmp.Path, "open", "--test-passphrase", "--key-file", tmp["key"], path);
        Assert.AreEqual(0, ok.ExitCode, "cryptsetup unlocks slot 0 with our passphrase: " + ok.StdErr);
        var bad = Cryptsetup(tmp.Path, "open", "--test-passphrase", "--key-file", tmp["bad"], path);
        Assert.AreEqual(2, bad.ExitCode, "and not with another (cryptsetup's 'no key available')");
    }
}
