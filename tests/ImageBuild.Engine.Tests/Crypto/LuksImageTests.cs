using ImageBuild.Engine.Crypto;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Crypto;

/// <summary>
/// LUKS1 volumes made by qemu-img and written by qemu-io, opened with our header parser and key-slot unlock:
/// the payload decrypts to what qemu-io wrote (and our encryption gives qemu's ciphertext back), a wrong passphrase
/// and damaged headers give qemu's own messages.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class LuksImageTests
{
    private const string Passphrase = "pw";

    /// <summary>
    /// qemu-img create -f luks; qemu's PBKDF2 benchmark sometimes fails at small iter-time values with
    /// "Unable to get accurate CPU usage", so a few attempts are allowed.
    /// </summary>
    private static void CreateLuks(string path, string options, string size = "1M")
    {
        ProcessResult r = null!;
        for (int attempt = 0; attempt < 30; attempt++)
        {
            if (File.Exists(path)) File.Delete(path);
            r = QemuOracle.Img("create", "-q", "-f", "luks", "--object", ImageBuild.Engine.Tests.Luks.LuksTestImages.SecretObject("s0", Passphrase, path),
                "-o", $"key-secret=s0,iter-time=10{(options.Length > 0 ? "," + options : "")}", path, size);
            if (r.ExitCode == 0) return;
            if (!r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) break;
        }
        throw new AssertFailedException($"qemu-img create -f luks {options} exited {r.ExitCode}: {r.StdErr}");
    }

    private static string[] ImageOpts(string path, string secret) =>
        ["--object", ImageBuild.Engine.Tests.Luks.LuksTestImages.SecretObject("s0", secret, path), "--image-opts", $"driver=luks,key-secret=s0,file.filename={path}"];

    private static void QemuIoWrite(string path, string command) =>
        QemuOracle.IoOk([.. ImageOpts(path, Passphrase), "-c", command]);

    private static byte[] DecryptPayload(LuksHeader header, byte[] masterKey, string path, long offset, int length)
    {
        byte[] data = ImageFilePatch.ReadBytes(path, header.PayloadOffset + offset, length);
        using var cipher = header.Spec.CreateSectorCipher(masterKey);
        cipher.Decrypt((ulong)(offset / LuksHeader.SectorSize), data);
        return data;
    }

    [TestMethod]
    [DataRow("", "aes", "xts-plain64", "sha256", 64)] // qemu's defaults: aes-256, xts, plain64, sha256
    [DataRow("cipher-alg=aes-128,cipher-mode=xts,ivgen-alg=plain64,hash-alg=sha1", "aes", "xts-plain64", "sha1", 32)]
    [DataRow("cipher-alg=aes-256,cipher-mode=cbc,ivgen-alg=essiv,hash-alg=sha256", "aes", "cbc-essiv:sha256", "sha256", 32)]
    [DataRow("cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=essiv,hash-alg=sha1", "aes", "cbc-essiv:sha256", "sha1", 16)]
    [DataRow("cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=plain,hash-alg=sha256", "aes", "cbc-plain", "sha256", 16)]
    [DataRow("cipher-alg=aes-256,cipher-mode=xts,ivgen-alg=essiv,ivgen-hash-alg=sha256,hash-alg=sha512", "aes", "xts-essiv:sha256", "sha512", 64)]
    // (aes-192 in cbc mode is not a row: its 96000 bytes of key material are no whole number of sectors and
    // qemu-img 7.2 aborts on an assertion while creating it.)
    [DataRow("cipher-alg=aes-192,cipher-mode=xts,ivgen-alg=plain64,hash-alg=sha256", "aes", "xts-plain64", "sha256", 48)]
    [DataRow("cipher-alg=twofish-256,hash-alg=sha224", "twofish", "xts-plain64", "sha224", 64)]
    [DataRow("cipher-alg=serpent-192,ivgen-alg=essiv,hash-alg=ripemd160", "serpent", "xts-essiv:sha256", "ripemd160", 48)]
    [DataRow("cipher-alg=cast5-128,cipher-mode=cbc,ivgen-alg=essiv,ivgen-hash-alg=md5,hash-alg=sha1", "cast5", "cbc-essiv:md5", "sha1", 16)]
    [DataRow("cipher-alg=serpent-128,cipher-mode=ctr,ivgen-alg=plain,hash-alg=sha512", "serpent", "ctr-plain", "sha512", 16)]
    [DataRow("cipher-alg=twofish-128,cipher-mode=ecb,hash-alg=md5", "twofish", "ecb-plain64", "md5", 16)]
    [DataRow("cipher-alg=aes-128,cipher-mode=ctr,ivgen-alg=essiv,ivgen-hash-alg=md5,hash-alg=sha224", "aes", "ctr-essiv:md5", "sha224", 16)]
    [DataRow("cipher-alg=cast5-128,cipher-mode=ecb,ivgen-alg=plain,hash-alg=ripemd160", "cast5", "ecb-plain", "ripemd160", 16)]
    public void UnlocksQemusVolumeAndDecryptsWhatQemuIoWrote(string options, string cipherName, string cipherMode, string hash, int keyBytes)
    {
        using var tmp = new TempDir();
        string path = tmp["x.luks"];
        CreateLuks(path, options);
        QemuIoWrite(path, "write -P 7 0 64k");
        QemuIoWrite(path, "write -P 0x5a 520192 4096"); // sectors 1016..1023 near the end of the 1 MiB payload

        byte[] raw = ImageFilePatch.ReadBytes(path, 0, LuksHeader.Size);
        var header = LuksHeader.Parse(raw);
        Assert.AreEqual(cipherName, header.CipherName);
        Assert.AreEqual(cipherMode, header.CipherMode);
        Assert.AreEqual(hash, header.HashSpec);
        Assert.AreEqual((uint)keyBytes, header.KeyBytes);
        Assert.AreEqual(1, header.KeySlots.Count(s => s.IsActive));
        CollectionAssert.AreEqual(raw, header.ToBytes(), "the header serialises back to qemu's bytes");

        using var volume = File.OpenRead(path);
        var unlocked = LuksKeySlotUnlock.Unlock(header, Passphrase, volume);
        Assert.AreEqual(0, unlocked.Slot);
        Assert.AreEqual(keyBytes, unlocked.MasterKey.Length);

        byte[] first = DecryptPayload(header, unlocked.MasterKey, path, 0, 64 * 1024);
        Assert.IsTrue(first.All(b => b == 7), "the 64 KiB qemu-io wrote at 0 decrypt to pattern 7");
        byte[] later = DecryptPayload(header, unlocked.MasterKey, path, 520192, 4096);
        Assert.IsTrue(later.All(b => b == 0x5a), "the 4 KiB at 508 KiB decrypt to pattern 0x5a");

        // And the other direction: our encryption of the pattern is qemu's ciphertext.
        byte[] mine = Enumerable.Repeat((byte)0x5a, 4096).ToArray();
        using (var cipher = header.Spec.CreateSectorCipher(unlocked.MasterKey))
            cipher.Encrypt(520192 / 512, mine);
        CollectionAssert.AreEqual(ImageFilePatch.ReadBytes(path, header.PayloadOffset + 520192, 4096), mine);
    }

    [TestMethod]
    public void AWrongPassphraseGivesQemusMessage()
    {
        using var tmp = new TempDir();
        string path = tmp["x.luks"];
        CreateLuks(path, "cipher-alg=aes-128,hash-alg=sha1");
        var header = LuksHeader.Parse(ImageFilePatch.ReadBytes(path, 0, LuksHeader.Size));
        using var volume = File.OpenRead(path);
        var ex = Assert.ThrowsExactly<ImageException>(() => LuksKeySlotUnlock.Unlock(header, "not-pw", volume));
        Assert.AreEqual("Invalid password, cannot unlock any keyslot", ex.Message);

        var q = QemuOracle.Io([.. ImageOpts(path, "not-pw"), "-c", "read 0 512"]);
        Assert.AreNotEqual(0, q.ExitCode);
        StringAssert.Contains(q.StdErr, ": " + ex.Message);
    }

    [TestMethod]
    public void ASecondSlotAddedByQemuImgAmendUnlocksToTheSameMasterKey()
    {
        using var tmp = new TempDir();
        string path = tmp["x.luks"];
        CreateLuks(path, "cipher-alg=aes-256,cipher-mode=cbc,ivgen-alg=essiv,hash-alg=sha256");
        QemuIoWrite(path, "write -P 0x33 0 8k");
        ProcessResult r = null!;
        for (int attempt = 0; attempt < 30; attempt++)
        {
            r = QemuOracle.Img("amend", "--object", ImageBuild.Engine.Tests.Luks.LuksTestImages.SecretObject("s0", Passphrase, path),
                "--object", ImageBuild.Engine.Tests.Luks.LuksTestImages.SecretObject("s1", "second", path),
                "--image-opts", $"driver=luks,key-secret=s0,file.filename={path}", "-o", "state=active,new-secret=s1,iter-time=10");
            if (r.ExitCode == 0 || !r.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal)) break;
        }
        Assert.AreEqual(0, r.ExitCode, r.StdErr);

        var header = LuksHeader.Parse(ImageFilePatch.ReadBytes(path, 0, LuksHeader.Size));
        CollectionAssert.AreEqual(new[] { true, true, false, false, false, false, false, false }, header.KeySlots.Select(s => s.IsActive).ToArray());
        using var volume = File.OpenRead(path);
        var first = LuksKeySlotUnlock.Unlock(header, Passphrase, volume);
        var second = LuksKeySlotUnlock.Unlock(header, "second", volume);
        Assert.AreEqual(0, first.Slot);
        Assert.AreEqual(1, second.Slot);
        CollectionAssert.AreEqual(first.MasterKey, second.MasterKey);
        Assert.IsNull(LuksKeySlotUnlock.TryUnlockSlot(header, 1, "pw"u8, LuksKeySlotUnlock.StreamReader(volume)));
        Assert.IsTrue(DecryptPayload(header, second.MasterKey, path, 0, 8192).All(b => b == 0x33));
    }

    [TestMethod]
    public void ADamagedKeySlotNoLongerUnlocksInQemuOrHere()
    {
        using var tmp = new TempDir();
        string path = tmp["x.luks"];
        CreateLuks(path, "cipher-alg=aes-128,hash-alg=sha1");
        var header = LuksHeader.Parse(ImageFilePatch.ReadBytes(path, 0, LuksHeader.Size));
        long material = (long)header.KeySlots[0].KeyMaterialOffsetSector * LuksHeader.SectorSize;
        byte[] b = ImageFilePatch.ReadBytes(path, material + 3000, 1);
        ImageFilePatch.Patch(path, material + 3000, [(byte)(b[0] ^ 0x01)]);

        using (var volume = File.OpenRead(path))
        {
            var ex = Assert.ThrowsExactly<ImageException>(() => LuksKeySlotUnlock.Unlock(header, Passphrase, volume));
            Assert.AreEqual(LuksKeySlotUnlock.InvalidPasswordMessage, ex.Message);
        }
        var q = QemuOracle.Io([.. ImageOpts(path, Passphrase), "-c", "read 0 512"]);
        StringAssert.Contains(q.StdErr, LuksKeySlotUnlock.InvalidPasswordMessage);
    }

    /// <summary>Each damaged header field gives the message qemu 7.2 gives for it (qemu-img info as the oracle).</summary>
    [TestMethod]
    public void DamagedHeadersGiveQemusMessages()
    {
        using var tmp = new TempDir();
        string pristine = tmp["p.luks"];
        CreateLuks(pristine, "cipher-alg=aes-128,hash-alg=sha1");
        var cases = new (string Name, Action<string> Damage)[]
        {
            ("magic", p => ImageFilePatch.Patch(p, 0, "XUKS"u8)),
            ("version", p => ImageFilePatch.Patch(p, 6, [0, 2])),
            ("cipher name", p => ImageFilePatch.Patch(p, 8, Enumerable.Repeat((byte)'a', 32).ToArray())),
            ("cipher mode", p => ImageFilePatch.Patch(p, 40, Enumerable.Repeat((byte)'b', 32).ToArray())),
            ("hash spec", p => ImageFilePatch.Patch(p, 72, Enumerable.Repeat((byte)'c', 32).ToArray())),
            ("payload offset", p => BigEndianFields.PatchU32(p, 104, 1)),
            ("digest iterations", p => BigEndianFields.PatchU32(p, 164, 0)),
            ("stripes", p => BigEndianFields.PatchU32(p, 208 + 3 * 48 + 44, 5)),
            ("state", p => BigEndianFields.PatchU32(p, 208 + 2 * 48, 0x12345678)),
            ("slot iterations", p => BigEndianFields.PatchU32(p, 208 + 4, 0)),
            ("slot in header", p => BigEndianFields.PatchU32(p, 208 + 40, 1)),
            ("slot in payload", p => BigEndianFields.PatchU32(p, 208 + 7 * 48 + 40, BigEndianFields.ReadU32(p, 104) - 1)),
            ("slots overlap", p => BigEndianFields.PatchU32(p, 208 + 5 * 48 + 40, BigEndianFields.ReadU32(p, 208 + 4 * 48 + 40) + 8)),
            ("mode format", p => ImageFilePatch.Patch(p, 40, "xtsplain64\0"u8)),
            ("mode", p => ImageFilePatch.Patch(p, 40, "foo-plain64\0"u8)),
            ("ivgen", p => ImageFilePatch.Patch(p, 40, "cbc-bogus\0"u8)),
            ("essiv without hash", p => ImageFilePatch.Patch(p, 40, "cbc-essiv\0"u8)),
            ("essiv with sha1", p => ImageFilePatch.Patch(p, 40, "cbc-essiv:sha1\0"u8)),
            ("hash", p => ImageFilePatch.Patch(p, 72, "sha3\0"u8)),
            ("cipher", p => ImageFilePatch.Patch(p, 8, "des\0"u8)),
        };
        foreach (var (name, damage) in cases)
        {
            string path = tmp[$"{name.Replace(' ', '-')}.luks"];
            File.Copy(pristine, path);
            damage(path);
            var ex = Assert.ThrowsExactly<ImageException>(() => LuksHeader.Parse(ImageFilePatch.ReadBytes(path, 0, LuksHeader.Size)), name);
            var q = QemuOracle.Img(["info", .. ImageOpts(path, Passphrase)]);
            Assert.AreNotEqual(0, q.ExitCode, name);
            StringAssert.Contains(q.StdErr, ": " + ex.Message + "\n", $"{name}: qemu said {q.StdErr}");
        }
    }

    [TestMethod]
    public void ATruncatedHeaderIsNotLuks()
    {
        var ex = Assert.ThrowsExactly<ImageException>(() => LuksHeader.Parse(new byte[100]));
        Assert.AreEqual("Volume is not in LUKS format", ex.Message);
    }
}
