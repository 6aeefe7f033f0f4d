using ImageBuild.Engine.Crypto;

namespace ImageBuild.Engine.Tests.Crypto;

/// <summary>
/// The LUKS block ciphers against their published known answers: Twofish (the Twofish paper's ECB_TBL.TXT, first
/// rows for each key size), Serpent (NESSIE set 1 vector 0, key 80 00.., the byte order of the Linux kernel, nettle and
/// cryptsetup), CAST5 (RFC 2144 appendix B.1) and AES (FIPS 197 appendix C), each encrypting and decrypting back.
/// </summary>
[TestClass]
public sealed class BlockCipherKnownAnswerTests
{
    [TestMethod]
    [DataRow("twofish", "00000000000000000000000000000000", "00000000000000000000000000000000", "9f589f5cf6122c32b6bfec2f2ae8c35a")]
    [DataRow("twofish", "0123456789abcdeffedcba98765432100011223344556677", "00000000000000000000000000000000", "cfd1d2e5a9be9cdf501f13b892bd2248")]
    [DataRow("twofish", "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff", "00000000000000000000000000000000", "37527be0052334b89f0cfccae87cfa20")]
    [DataRow("serpent", "80000000000000000000000000000000", "00000000000000000000000000000000", "264e5481eff42a4606abda06c0bfda3d")]
    [DataRow("serpent", "800000000000000000000000000000000000000000000000", "00000000000000000000000000000000", "9e274ead9b737bb21efcfca548602689")]
    [DataRow("serpent", "8000000000000000000000000000000000000000000000000000000000000000", "00000000000000000000000000000000", "a223aa1288463c0e2be38ebd825616c0")]
    [DataRow("cast5", "0123456712345678234567893456789a", "0123456789abcdef", "238b4fe5847e44b2")]
    [DataRow("aes", "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff", "69c4e0d86a7b0430d8cdb78070b4c55a")]
    [DataRow("aes", "000102030405060708090a0b0c0d0e0f1011121314151617", "00112233445566778899aabbccddeeff", "dda97ca4864cdfe06eaf70a0ec0d7191")]
    [DataRow("aes", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089")]
    public void EncryptsToThePublishedCiphertextAndBack(string family, string key, string plain, string cipher)
    {
        using var c = BlockCipher.Create(family, Convert.FromHexString(key));
        Assert.AreEqual(plain.Length / 2, c.BlockSize);
        Assert.AreEqual(c.BlockSize, BlockCipher.BlockSizeOf(family));
        // two blocks at once: each block on its own (ECB)
        byte[] data = Convert.FromHexString(plain + plain);
        c.EncryptBlocks(data);
        Assert.AreEqual(cipher + cipher, Convert.ToHexStringLower(data));
        c.DecryptBlocks(data);
        Assert.AreEqual(plain + plain, Convert.ToHexStringLower(data));
    }

    [TestMethod]
    [DataRow("aes", 20)]
    [DataRow("cast5", 24)]
    [DataRow("serpent", 8)]
    [DataRow("twofish", 64)]
    [DataRow("des", 8)]
    public void RefusesKeysTheFamilyDoesNotTake(string family, int keyLength)
    {
        Assert.ThrowsExactly<ArgumentException>(() => BlockCipher.Create(family, new byte[keyLength]));
    }

    [TestMethod]
    public void RefusesPartialBlocks()
    {
        using var cast5 = BlockCipher.Create("cast5", new byte[16]);
        Assert.ThrowsExactly<ArgumentException>(() => cast5.EncryptBlocks(new byte[12]));
        using var twofish = BlockCipher.Create("twofish", new byte[16]);
        Assert.ThrowsExactly<ArgumentException>(() => twofish.DecryptBlocks(new byte[24]));
    }
}
