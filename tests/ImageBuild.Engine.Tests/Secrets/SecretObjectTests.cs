using System.Security.Cryptography;
using System.Text;
using ImageBuild.Engine.Secrets;

namespace ImageBuild.Engine.Tests.Secrets;

/// <summary>
/// qemu's secret loading in the engine: base64 as glib decodes it (qbase64_decode's checks, '=' as a zero digit that
/// drops its byte, newlines skipped, a short last group ignored), keyid/iv decryption with qemu's checks in qemu's
/// order, and messages that never carry the value. The CLI oracle tests compare the same paths with qemu-img.
/// </summary>
[TestClass]
public sealed class SecretObjectTests
{
    [TestMethod]
    [DataRow("cHc=", "pw")]
    [DataRow("cHc", "")] // fewer than four digits: nothing
    [DataRow("cHdw\ncHc=\n", "pwppw")]
    [DataRow("AA==", "\0")]
    [DataRow("", "")]
    [DataRow("cHdwcA==", "pwpp")]
    public void Base64DecodesAsGlib(string input, string expected) =>
        CollectionAssert.AreEqual(Encoding.Latin1.GetBytes(expected), QemuBase64.Decode(Encoding.ASCII.GetBytes(input)));

    [TestMethod]
    [DataRow("cHc$", "Base64 data contains invalid characters")]
    [DataRow("cH c", "Base64 data contains invalid characters")]
    [DataRow("cHc\0=", "Base64 data contains embedded NUL characters")]
    public void Base64RefusesAsQemu(string input, string message) =>
        Assert.AreEqual(message, Assert.ThrowsExactly<ImageException>(() => QemuBase64.Decode(Encoding.ASCII.GetBytes(input))).Message);

    [TestMethod]
    public void AnEncryptedSecretDecryptsWithItsKeyAndIv()
    {
        byte[] key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        byte[] iv = Enumerable.Range(100, 16).Select(i => (byte)i).ToArray();
        var store = new SecretStore();
        store.Add("k", key);
        byte[] cipher;
        using (var aes = Aes.Create())
        {
            aes.Key = key;
            cipher = aes.EncryptCbc("the passphrase"u8, iv, PaddingMode.PKCS7);
        }
        var secret = new SecretObject("s0") { Data = Convert.ToBase64String(cipher), Format = SecretFormat.Base64, KeyId = "k", Iv = Convert.ToBase64String(iv) };
        CollectionAssert.AreEqual("the passphrase"u8.ToArray(), secret.Load(store));
    }

    [TestMethod]
    public void DecryptionChecksComeInQemusOrderAndNeverShowTheValue()
    {
        var store = new SecretStore();
        store.Add("short", "abc"u8);
        store.Add("k", new byte[32]);
        string Message(SecretObject s) => Assert.ThrowsExactly<ImageException>(() => s.Load(store, id => id == "tg")).Message;
        const string value = "secret-value-xyz";
        Assert.AreEqual("No secret with id 'nokey'", Message(new SecretObject("s") { Data = value, KeyId = "nokey" }));
        Assert.AreEqual("Object with id 'tg' is not a secret", Message(new SecretObject("s") { Data = value, KeyId = "tg" }));
        Assert.AreEqual("Key should be 32 bytes in length", Message(new SecretObject("s") { Data = value, KeyId = "short" }));
        Assert.AreEqual("IV is required to decrypt secret", Message(new SecretObject("s") { Data = value, KeyId = "k" }));
        Assert.AreEqual("IV should be 16 bytes in length not 3", Message(new SecretObject("s") { Data = value, KeyId = "k", Iv = "AAAA" }));
        StringAssert.StartsWith(Message(new SecretObject("s") { Data = value, KeyId = "k", Iv = "AAAAAAAAAAAAAAAAAAAAAA==" }),
            "Incorrect number of padding bytes ("); // 16 bytes of junk decrypt to no valid padding
        Assert.AreEqual("Length 3 must be a multiple of block size 16", Message(new SecretObject("s") { Data = "abc", KeyId = "k", Iv = "AAAAAAAAAAAAAAAAAAAAAA==" }));
        Assert.AreEqual("'file' and 'data' are mutually exclusive", Message(new SecretObject("s") { Data = value, File = "/nonexistent" }));
        Assert.AreEqual("Either 'file' or 'data' must be provided", Message(new SecretObject("s")));
        foreach (var s in new[] { new SecretObject("s") { Data = value + "$", Format = SecretFormat.Base64 }, new SecretObject("s") { Data = value, KeyId = "k", Iv = "AAAAAAAAAAAAAAAAAAAAAA==" } })
        {
            var e = Assert.ThrowsExactly<ImageException>(() => s.Load(store));
            Assert.IsFalse(e.Message.Contains(value, StringComparison.Ordinal), e.Message);
        }
    }

    [TestMethod]
    public void SecretFilesAreReadWholeAndMissingOnesNamed()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cli-secret-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, "pw");
            File.WriteAllBytes(file, [0xff, 0x00, (byte)'a', (byte)'\n']);
            CollectionAssert.AreEqual(new byte[] { 0xff, 0x00, (byte)'a', (byte)'\n' }, new SecretObject("s") { File = file }.Load(new SecretStore()));
            string missing = Path.Combine(dir, "none");
            Assert.AreEqual($"Unable to read {missing}: Failed to open file \u201C{missing}\u201D: No such file or directory",
                Assert.ThrowsExactly<ImageException>(() => new SecretObject("s") { File = missing }.Load(new SecretStore())).Message);
            Assert.AreEqual($"Unable to read {dir}: Error reading file \u201C{dir}\u201D: Is a directory",
                Assert.ThrowsExactly<ImageException>(() => new SecretObject("s") { File = dir }.Load(new SecretStore())).Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
