using System.Text;
using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Secrets;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Crypto;

/// <summary>
/// The callback-based LUKS volume (what the luks driver and qcow2 embed): volumes we format are read by qemu-img
/// with the data we encrypted, info matches qemu's, reproducible identities give identical bytes, amend follows
/// qemu's key-slot rules.
/// </summary>
[TestClass]
public sealed class LuksVolumeTests
{
    private static ImageIdentity Seeded(string seed) =>
        IdentitySource.Reproducible(seed, DateTimeOffset.FromUnixTimeSeconds(0)).ForImage("v.luks");

    /// <summary>A volume in a file: the region starts at <paramref name="regionStart"/>, payload of <paramref name="size"/> bytes after the header.</summary>
    private static LuksVolume FormatInFile(string path, LuksCreateSettings settings, string passphrase, ImageIdentity identity, long size, long regionStart = 0)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        return LuksVolume.Format(settings, Encoding.UTF8.GetBytes(passphrase), identity,
            headerLength => fs.SetLength(regionStart + headerLength + size), Writer(fs, regionStart));
    }

    private static LuksWriteAt Writer(FileStream fs, long regionStart = 0) => (offset, data) =>
    {
        fs.Position = regionStart + offset;
        fs.Write(data);
    };

    private static LuksReadAt Reader(FileStream fs, long regionStart = 0) => (offset, buffer) =>
    {
        fs.Position = regionStart + offset;
        fs.ReadExactly(buffer);
    };

    private static void WritePayload(string path, LuksVolume volume, long offset, byte[] plain)
    {
        var data = (byte[])plain.Clone();
        volume.EncryptSectors((ulong)(offset / 512), data);
        ImageFilePatch.Patch(path, volume.HeaderLength + offset, data);
    }

    private static string[] ImageOpts(string path, string secret) =>
        ["--object", ImageBuild.Engine.Tests.Luks.LuksTestImages.SecretObject("s0", secret, path), "--image-opts", $"driver=luks,key-secret=s0,file.filename={path}"];

    [TestMethod]
    [RequiresQemu]
    [DataRow(null, null, null, null, null)]
    [DataRow("aes-128", "cbc", "essiv", null, "sha1")]
    [DataRow("aes-256", "cbc", "plain", null, "sha512")]
    [DataRow("aes-192", "xts", "essiv", "md5", "md5")]
    [DataRow("aes-128", "xts", "plain64", "sha256", "sha384")]
    [DataRow("twofish-256", "xts", "plain64", null, "sha224")]
    [DataRow("twofish-192", "xts", "essiv", "sha256", "ripemd160")]
    [DataRow("serpent-128", "cbc", "essiv", "md5", "sha1")]
    [DataRow("serpent-256", "ctr", "plain", null, "sha512")]
    [DataRow("cast5-128", "cbc", "essiv", "md5", "ripemd160")]
    [DataRow("cast5-128", "ctr", "plain64", null, "sha224")]
    [DataRow("twofish-128", "ecb", "plain64", null, "md5")]
    [DataRow("aes-256", "ctr", "essiv", "sha256", "sha224")]
    public void QemuReadsTheDataOfAVolumeWeFormatted(string? cipher, string? mode, string? ivgen, string? ivHash, string? hash)
    {
        using var tmp = new TempDir();
        string path = tmp["v.luks"];
        var settings = new LuksCreateSettings { CipherAlg = cipher, CipherMode = mode, IvgenAlg = ivgen, IvgenHashAlg = ivHash, HashAlg = hash, IterTime = 10 };
        byte[] a = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray();
        byte[] b = Enumerable.Repeat((byte)0xA5, 1024).ToArray();
        using (var volume = FormatInFile(path, settings, "pass word", IdentitySource.Random.ForImage(path), 1 << 20))
        {
            Assert.IsTrue(volume.IsUnlocked);
            Assert.AreEqual(0, volume.UnlockedSlot);
            WritePayload(path, volume, 0, a);
            WritePayload(path, volume, 1_047_552, b);
        }
        string raw = tmp["v.raw"];
        QemuOracle.ImgOk(["convert", "-O", "raw", .. ImageOpts(path, "pass word"), raw]);
        byte[] plain = File.ReadAllBytes(raw);
        Assert.AreEqual(1 << 20, plain.Length);
        CollectionAssert.AreEqual(a, plain[..8192]);
        CollectionAssert.AreEqual(b, plain[1_047_552..]);

        // and qemu's info block is ours, member for member
        using var fs = File.OpenRead(path);
        using var header = LuksVolume.OpenHeader(Reader(fs));
        var ours = header.Info();
        using var doc = JsonDocument.Parse(QemuOracle.ImgOk("info", "--output=json", path));
        var qemu = doc.RootElement.GetProperty("format-specific").GetProperty("data");
        Assert.AreEqual(qemu.EnumerateObject().Count(), ours.Count);
        foreach (var (key, value) in ours)
        {
            var q = qemu.GetProperty(key);
            if (key == "slots")
            {
                var slots = (List<object>)value;
                Assert.AreEqual(8, q.GetArrayLength());
                for (int i = 0; i < 8; i++)
                {
                    var mine = (ImageBuild.Engine.Info.QapiObject)slots[i];
                    var theirs = q[i];
                    Assert.AreEqual(theirs.EnumerateObject().Count(), mine.Count, $"slot {i}");
                    foreach (var (k, v) in mine)
                        Assert.AreEqual(theirs.GetProperty(k).ToString().ToLowerInvariant(), Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!.ToLowerInvariant(), $"slot {i} {k}");
                }
            }
            else
            {
                Assert.AreEqual(q.ToString(), Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), key);
            }
        }
    }

    [TestMethod]
    public void OurVolumeOpensWithThePassphraseAndDecryptsWhatWeEncrypted()
    {
        using var tmp = new TempDir();
        string path = tmp["v.luks"];
        byte[] data = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        using (var volume = FormatInFile(path, new LuksCreateSettings { IterTime = 10 }, "pw", Seeded("a"), 65536, regionStart: 1536))
        {
            Assert.AreEqual(2_068_480, volume.HeaderLength, "qemu's payload offset for aes-256-xts");
            var copy = (byte[])data.Clone();
            volume.EncryptSectors(100, copy);
            CollectionAssert.AreNotEqual(data, copy);
            ImageFilePatch.Patch(path, 1536 + volume.HeaderLength + 100 * 512, copy);
        }
        using var fs = File.Open(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        using (var opened = LuksVolume.Open(Reader(fs, 1536), "pw"u8))
        {
            Assert.AreEqual(0, opened.UnlockedSlot);
            var back = ImageFilePatch.ReadBytes(path, 1536 + opened.HeaderLength + 100 * 512, 4096);
            opened.DecryptSectors(100, back);
            CollectionAssert.AreEqual(data, back);
        }
        var ex = Assert.ThrowsExactly<ImageException>(() => LuksVolume.Open(Reader(fs, 1536), "pW"u8));
        Assert.AreEqual("Invalid password, cannot unlock any keyslot", ex.Message);
        using var headerOnly = LuksVolume.OpenHeader(Reader(fs, 1536));
        Assert.IsFalse(headerOnly.IsUnlocked);
        Assert.ThrowsExactly<InvalidOperationException>(() => headerOnly.DecryptSectors(0, new byte[512]));
    }

    [TestMethod]
    public void AReproducibleIdentityGivesTheSameBytesAndTheFixedIterationRate()
    {
        using var tmp = new TempDir();
        var settings = new LuksCreateSettings { CipherAlg = "aes-128", IterTime = 10 };
        FormatInFile(tmp["1.luks"], settings, "pw", Seeded("s"), 4096).Dispose();
        FormatInFile(tmp["2.luks"], settings, "pw", Seeded("s"), 4096).Dispose();
        FormatInFile(tmp["3.luks"], settings, "pw", Seeded("t"), 4096).Dispose();
        byte[] one = File.ReadAllBytes(tmp["1.luks"]);
        CollectionAssert.AreEqual(one, File.ReadAllBytes(tmp["2.luks"]));
        CollectionAssert.AreNotEqual(one, File.ReadAllBytes(tmp["3.luks"]));
        var header = LuksHeader.Parse(one);
        // 1,000,000 iterations a second: 10 ms -> 10000 for the slot, 10000 / 8 = 1250 for the digest
        Assert.AreEqual(10_000u, header.KeySlots[0].Iterations);
        Assert.AreEqual(1250u, header.MasterKeyDigestIterations);
        Assert.AreEqual(1000u, LuksPbkdf2Rate.Scale(LuksPbkdf2Rate.FixedIterationsPerSecond, 1, 8, 1000), "never below qemu's minimum");
    }

    [TestMethod]
    [DataRow("cipher-alg=foo", "Parameter 'cipher-alg' does not accept value 'foo'")]
    [DataRow("cipher-mode=foo", "Parameter 'cipher-mode' does not accept value 'foo'")]
    [DataRow("ivgen-alg=foo", "Parameter 'ivgen-alg' does not accept value 'foo'")]
    [DataRow("hash-alg=foo", "Parameter 'hash-alg' does not accept value 'foo'")]
    [DataRow("cipher-alg=des", "Algorithm 'des' not supported")]
    [DataRow("ivgen-alg=essiv,ivgen-hash-alg=sha1", "No AES cipher with key size 20 available")]
    [DataRow("ivgen-alg=essiv,ivgen-hash-alg=sha512", "No AES cipher with key size 64 available")]
    [DataRow("cipher-alg=3des,cipher-mode=ecb", "Algorithm '3des' not supported")]
    [DataRow("cipher-alg=cast5-128", "Unsupported cipher mode xts")]
    [DataRow("cipher-alg=cast5-128,cipher-mode=cbc,ivgen-alg=essiv", "Cipher cast5-128 not supported with essiv")]
    [DataRow("cipher-alg=serpent-256,ivgen-alg=essiv,ivgen-hash-alg=sha1", "No Serpent cipher with key size 20 available")]
    [DataRow("cipher-alg=twofish-128,cipher-mode=ecb,ivgen-alg=essiv,ivgen-hash-alg=sha224", "No Twofish cipher with key size 28 available")]
    [DataRow("cipher-alg=aes-128,ivgen-alg=essiv,ivgen-hash-alg=ripemd160", "No AES cipher with key size 20 available")]
    [DataRow("cipher-alg=serpent-192,cipher-mode=cbc", "Cipher serpent-192 in mode cbc gives key material of 96000 bytes, not a whole number of sectors")]
    public void SettingsAreRefusedWithQemusMessages(string options, string message)
    {
        var d = options.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        var settings = new LuksCreateSettings
        {
            CipherAlg = d.GetValueOrDefault("cipher-alg"), CipherMode = d.GetValueOrDefault("cipher-mode"),
            IvgenAlg = d.GetValueOrDefault("ivgen-alg"), IvgenHashAlg = d.GetValueOrDefault("ivgen-hash-alg"),
            HashAlg = d.GetValueOrDefault("hash-alg"),
        };
        var ex = Assert.ThrowsExactly<ImageException>(() => settings.Resolve());
        Assert.AreEqual(message, ex.Message);
        var prefixed = Assert.ThrowsExactly<ImageException>(() => settings.Resolve("encrypt."));
        Assert.AreEqual(message.Replace("Parameter '", "Parameter 'encrypt."), prefixed.Message);
    }

    [TestMethod]
    public void PlainIvgenKeepsAGivenHashInTheModeSpecAsQemuDoes()
    {
        var choice = new LuksCreateSettings { CipherAlg = "aes-128", CipherMode = "cbc", IvgenAlg = "plain64", IvgenHashAlg = "md5" }.Resolve();
        Assert.AreEqual("cbc-plain64:md5", choice.CipherModeSpec);
        Assert.AreEqual(16, choice.KeyBytes);
        var essiv = new LuksCreateSettings { IvgenAlg = "essiv" }.Resolve();
        Assert.AreEqual("xts-essiv:sha256", essiv.CipherModeSpec);
        Assert.AreEqual(64, essiv.KeyBytes);
    }

    private static (SecretStore Store, string Path) AmendSetup(TempDir tmp)
    {
        var store = new SecretStore();
        store.Add("s0", "zero"u8);
        store.Add("s1", "one"u8);
        store.Add("s2", "two"u8);
        string path = tmp["v.luks"];
        FormatInFile(path, new LuksCreateSettings { CipherAlg = "aes-128", HashAlg = "sha1", IterTime = 10 }, "zero", Seeded("amend"), 4096).Dispose();
        return (store, path);
    }

    private static void Amend(string path, SecretStore store, LuksAmendOptions o, bool force = false)
    {
        using var fs = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        using var volume = LuksVolume.Open(Reader(fs), "zero"u8);
        volume.Amend(o, force, store, "s0", Seeded("amend2"), Reader(fs), Writer(fs));
    }

    [TestMethod]
    public void AmendAddsAndErasesKeySlotsByQemusRules()
    {
        using var tmp = new TempDir();
        var (store, path) = AmendSetup(tmp);
        Amend(path, store, new LuksAmendOptions { State = "active", NewSecret = "s1", IterTime = 10 });
        Amend(path, store, new LuksAmendOptions { State = "active", NewSecret = "s2", Keyslot = 5, IterTime = 10 });
        using (var fs = File.OpenRead(path))
        {
            Assert.AreEqual(1, LuksVolume.Open(Reader(fs), "one"u8).UnlockedSlot);
            Assert.AreEqual(5, LuksVolume.Open(Reader(fs), "two"u8).UnlockedSlot);
        }
        Amend(path, store, new LuksAmendOptions { State = "inactive", OldSecret = "s1" });
        Amend(path, store, new LuksAmendOptions { State = "inactive", Keyslot = 0 });
        using (var fs = File.OpenRead(path))
        {
            var ex = Assert.ThrowsExactly<ImageException>(() => LuksVolume.Open(Reader(fs), "one"u8));
            Assert.AreEqual("Invalid password, cannot unlock any keyslot", ex.Message);
            var h = LuksVolume.OpenHeader(Reader(fs)).Header;
            CollectionAssert.AreEqual(new[] { false, false, false, false, false, true, false, false }, h.KeySlots.Select(s => s.IsActive).ToArray());
            Assert.AreEqual(0u, h.KeySlots[1].Iterations);
            Assert.IsTrue(h.KeySlots[1].Salt.All(b => b == 0));
        }
    }

    [TestMethod]
    [DataRow("inactive", null, "s1", null, null, "No keyslots match given (old) password for erase operation")]
    [DataRow("inactive", 0L, "s1", null, null, "Given keyslot 0 doesn't contain the given old password for erase operation")]
    [DataRow("inactive", 3L, null, null, null, "Given keyslot 3 is already erased (inactive) ")]
    [DataRow("inactive", 9L, null, null, null, "Invalid keyslot 9 specified, must be between 0 and 7")]
    [DataRow("inactive", -1L, null, null, null, "Invalid keyslot -1 specified, must be between 0 and 7")]
    [DataRow("active", -1L, null, "s1", null, "Invalid keyslot 4294967295 specified, must be between 0 and 7")]
    [DataRow("active", 9L, null, "s1", null, "Invalid keyslot 9 specified, must be between 0 and 7")]
    [DataRow("foo", null, null, "s1", null, "Parameter 'state' does not accept value 'foo'")]
    [DataRow("active", null, null, null, null, "'new-secret' is required to activate a keyslot")]
    [DataRow("inactive", null, null, null, null, "To erase keyslot(s), either explicit keyslot index or the password currently contained in them must be given")]
    [DataRow("inactive", 0L, null, null, null, "Attempt to erase the only active keyslot 0 which will erase all the data in the image irreversibly - refusing operation")]
    [DataRow("inactive", null, "s0", null, null, "All the active keyslots match the (old) password that was given and erasing them will erase all the data in the image irreversibly - refusing operation")]
    [DataRow("active", 0L, null, "s1", null, "Refusing to overwrite active keyslot 0 - please erase it first")]
    [DataRow("active", null, "s0", "s1", null, "'old-secret' must not be given when activating keyslots")]
    [DataRow("active", null, null, "s9", null, "No secret with id 's9'")]
    [DataRow("inactive", 0L, null, "s1", null, "'new-secret' must not be given when erasing keyslots")]
    [DataRow("inactive", 0L, null, null, 10UL, "'iter-time' must not be given when erasing keyslots")]
    public void AmendRefusalsAreQemus(string state, long? keyslot, string? oldSecret, string? newSecret, ulong? iterTime, string message)
    {
        using var tmp = new TempDir();
        var (store, path) = AmendSetup(tmp);
        byte[] before = File.ReadAllBytes(path);
        var ex = Assert.ThrowsExactly<ImageException>(() => Amend(path, store,
            new LuksAmendOptions { State = state, Keyslot = keyslot, OldSecret = oldSecret, NewSecret = newSecret, IterTime = iterTime }));
        Assert.AreEqual(message, ex.Message);
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path), "a refused amend writes nothing");
    }

    [TestMethod]
    public void ForceErasesTheLastSlotAndOverwritesAnActiveOne()
    {
        using var tmp = new TempDir();
        var (store, path) = AmendSetup(tmp);
        Amend(path, store, new LuksAmendOptions { State = "active", NewSecret = "s1", Keyslot = 0, IterTime = 10 }, force: true);
        using (var fs = File.OpenRead(path))
        {
            Assert.AreEqual(0, LuksVolume.Open(Reader(fs), "one"u8).UnlockedSlot);
            Assert.ThrowsExactly<ImageException>(() => LuksVolume.Open(Reader(fs), "zero"u8));
        }
        using (var fs = File.Open(path, FileMode.Open, FileAccess.ReadWrite))
        using (var volume = LuksVolume.Open(Reader(fs), "one"u8))
            volume.Amend(new LuksAmendOptions { State = "inactive", Keyslot = 0 }, true, store, "s1", Seeded("x"), Reader(fs), Writer(fs));
        using (var fs = File.OpenRead(path))
            Assert.IsTrue(LuksVolume.OpenHeader(Reader(fs)).Header.KeySlots.All(s => !s.IsActive));
    }
}
