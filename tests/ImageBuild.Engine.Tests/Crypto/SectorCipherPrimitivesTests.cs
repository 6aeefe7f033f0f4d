using System.Text;
using ImageBuild.Engine.Crypto;

namespace ImageBuild.Engine.Tests.Crypto;

/// <summary>
/// AES-CBC with qemu's IV generators, PBKDF2 by qemu's hash names and the AF splitter. The CBC known answers were
/// computed independently (Python's cryptography package: ESSIV salt = hash(key), IV = AES-ECB(salt, le64(sector)));
/// the LUKS image tests cross-check the same code against qemu.
/// </summary>
[TestClass]
public sealed class SectorCipherPrimitivesTests
{
    private static byte[] Counting(int n) => Enumerable.Range(0, n).Select(i => (byte)i).ToArray();

    [TestMethod]
    [DataRow(32, "sha256", 5UL, "1d3cc413699a46f844afd0adc387f14e",
        "48c016b397feb53b0a508d772a0084ecde018ddb544876d2bccb55ea791ac980475072191739e3bce33b2a8b354fd38d9d822a615c9b40c069fcad86fb96773d")]
    [DataRow(16, "sha256", 0x1_0000_0001UL, "2ef0f20bc38f9e5cba6129e2e3e78ef2",
        "be6a95ae22256b58179e2a6cef8ab5a803efb0e714ed884758e42373ef8b57bda60eff72aa7b2f1314c61ad1ff4f43910b28fdce686390e6b1ddfdd8a10fca4c")]
    [DataRow(16, "md5", 7UL, "ab1cccd9af9e9f1f029c3744deec963a",
        "02ee59cbdc2b5ec2bbb40b2e31ea6d1ee632316ae02297befb5a2750ce128a755a28375669efa01e29ae655db451bbde7aaef3991033b088d225997240be6f7c")]
    public void CbcEssivKnownAnswers(int keyLength, string hash, ulong sector, string expectedIv, string expectedCipher)
    {
        byte[] key = Counting(keyLength);
        using var ivgen = IvGenerator.Create("essiv", LuksHash.FromName(hash), key);
        var iv = new byte[16];
        ivgen.Compute(sector, iv);
        Assert.AreEqual(expectedIv, Convert.ToHexStringLower(iv));

        using var cbc = new CbcAesCipher(key);
        byte[] data = Counting(64);
        cbc.Encrypt(iv, data);
        Assert.AreEqual(expectedCipher, Convert.ToHexStringLower(data));
        cbc.Decrypt(iv, data);
        CollectionAssert.AreEqual(Counting(64), data);
    }

    [TestMethod]
    public void PlainTruncatesTheSectorTo32BitsAndPlain64DoesNot()
    {
        var plain = new byte[16];
        var plain64 = new byte[16];
        new PlainIvGenerator().Compute(0x1_0000_0001UL, plain);
        new Plain64IvGenerator().Compute(0x1_0000_0001UL, plain64);
        Assert.AreEqual("01000000000000000000000000000000", Convert.ToHexStringLower(plain));
        Assert.AreEqual("01000000010000000000000000000000", Convert.ToHexStringLower(plain64));

        using var cbc = new CbcAesCipher(Counting(16));
        byte[] data = Counting(64);
        cbc.Encrypt(plain, data);
        Assert.AreEqual("f62214920bf2617625d028e6c46950deed43bb2d290db9dee2f4aedbd1d4b13d22e1fe596ac4b4503982d39a8b1d0e070fbbf884d187cc848fa32025c8659451",
            Convert.ToHexStringLower(data));
    }

    [TestMethod]
    public void EssivRefusesHashesWhoseDigestIsNoAesKey()
    {
        var ex = Assert.ThrowsExactly<ImageException>(() => IvGenerator.Create("essiv", LuksHash.FromName("sha1"), new byte[32]));
        Assert.AreEqual("No AES cipher with key size 20 available", ex.Message);
        ex = Assert.ThrowsExactly<ImageException>(() => IvGenerator.Create("essiv", null, new byte[32]));
        Assert.AreEqual("Missing IV generator hash specification", ex.Message);
        ex = Assert.ThrowsExactly<ImageException>(() => LuksHash.FromName("whirlpool"));
        Assert.AreEqual("Hash algorithm 'whirlpool' not supported", ex.Message);
    }

    [TestMethod]
    public void CbcRefusesPartialBlocks()
    {
        using var cbc = new CbcAesCipher(new byte[16]);
        Assert.ThrowsExactly<ArgumentException>(() => cbc.Decrypt(new byte[16], new byte[100]));
        Assert.ThrowsExactly<ArgumentException>(() => new CbcAesCipher(new byte[20]));
    }

    [TestMethod]
    // RFC 6070 (PBKDF2-HMAC-SHA1), RFC 7914 section 11 (PBKDF2-HMAC-SHA256), and Python's hashlib.pbkdf2_hmac for MD5.
    [DataRow("sha1", "password", "salt", 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6")]
    [DataRow("sha1", "password", "salt", 4096, "4b007901b765489abead49d926f721d065a429c1")]
    [DataRow("sha256", "passwd", "salt", 1, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")]
    [DataRow("md5", "password", "salt", 2, "042407b552be345ad6eee2cf2f7ed01dd9662d8f")]
    public void Pbkdf2KnownAnswers(string hash, string password, string salt, int iterations, string expected)
    {
        var output = new byte[expected.Length / 2];
        LuksHash.FromName(hash).Pbkdf2(Encoding.ASCII.GetBytes(password), Encoding.ASCII.GetBytes(salt), iterations, output);
        Assert.AreEqual(expected, Convert.ToHexStringLower(output));
    }

    [TestMethod]
    [DataRow("sha1", 32)]
    [DataRow("sha256", 64)]
    [DataRow("sha512", 16)]
    [DataRow("sha256", 24)]
    public void AfMergeUndoesSplit(string hash, int keyLength)
    {
        var h = LuksHash.FromName(hash);
        byte[] key = Counting(keyLength);
        byte[] split = AntiForensicSplitter.Split(h, key, LuksHeader.Stripes, System.Security.Cryptography.RandomNumberGenerator.Fill);
        Assert.AreEqual(keyLength * LuksHeader.Stripes, split.Length);
        var merged = new byte[keyLength];
        AntiForensicSplitter.Merge(h, split, LuksHeader.Stripes, merged);
        CollectionAssert.AreEqual(key, merged);

        split[1234] ^= 1; // one damaged stripe byte loses the key
        AntiForensicSplitter.Merge(h, split, LuksHeader.Stripes, merged);
        CollectionAssert.AreNotEqual(key, merged);
    }

    [TestMethod]
    public void DiffuseHashesEachDigestSizedPieceWithItsIndex()
    {
        // sha1 (20 bytes) over 32 bytes: piece 0 = sha1(00000000 || b[0..20]), piece 1 = sha1(00000001 || b[20..32])[..12]
        var h = LuksHash.FromName("sha1");
        byte[] block = Counting(32);
        byte[] expected = new byte[32];
        h.Hash([0, 0, 0, 0], Counting(32).AsSpan(0, 20), expected.AsSpan(0, 20));
        var d = new byte[20];
        h.Hash([0, 0, 0, 1], Counting(32).AsSpan(20, 12), d);
        d.AsSpan(0, 12).CopyTo(expected.AsSpan(20));
        AntiForensicSplitter.Diffuse(h, block);
        CollectionAssert.AreEqual(expected, block);
    }
}
