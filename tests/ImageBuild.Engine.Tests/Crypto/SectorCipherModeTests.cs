using ImageBuild.Engine.Crypto;

namespace ImageBuild.Engine.Tests.Crypto;

/// <summary>
/// The chaining modes written once over <see cref="BlockCipher"/>: NIST SP 800-38A's AES-128 examples for ECB (F.1.1),
/// CBC (F.2.1) and CTR (F.5.1, whose counter carries across a byte), through both the .NET AES path and the generic
/// block-by-block path; qemu's IV lengths (none for ECB, the block size otherwise) and its refusal of XTS over an
/// 8-byte block.
/// </summary>
[TestClass]
public sealed class SectorCipherModeTests
{
    private const string Key = "2b7e151628aed2a6abf7158809cf4f3c";
    private const string Plain = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    /// <summary>AES seen only as a block cipher, so that the modes take their generic path (as for Twofish, Serpent, CAST5).</summary>
    private sealed class OpaqueAes(byte[] key) : BlockCipher
    {
        private readonly AesBlockCipher _aes = new(key);

        public override int BlockSize => 16;

        public override void EncryptBlocks(Span<byte> data) => _aes.EncryptBlocks(data);

        public override void DecryptBlocks(Span<byte> data) => _aes.DecryptBlocks(data);

        public override void Dispose()
        {
            _aes.Dispose();
            base.Dispose();
        }
    }

    private static SectorCipherMode Mode(string mode, bool generic)
    {
        byte[] key = Convert.FromHexString(Key);
        BlockCipher c = generic ? new OpaqueAes(key) : new AesBlockCipher(key);
        return mode switch
        {
            "ecb" => new EcbMode(c),
            "cbc" => new CbcMode(c),
            _ => new CtrMode(c),
        };
    }

    [TestMethod]
    [DataRow("ecb", "", "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4", false)]
    [DataRow("cbc", "000102030405060708090a0b0c0d0e0f", "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7", false)]
    [DataRow("cbc", "000102030405060708090a0b0c0d0e0f", "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7", true)]
    [DataRow("ctr", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee", false)]
    public void Sp800_38AExamples(string mode, string iv, string cipher, bool generic)
    {
        using var m = Mode(mode, generic);
        byte[] ivBytes = Convert.FromHexString(iv);
        Assert.AreEqual(ivBytes.Length, m.IvLength);
        byte[] data = Convert.FromHexString(Plain);
        m.Encrypt(ivBytes, data);
        Assert.AreEqual(cipher, Convert.ToHexStringLower(data));
        m.Decrypt(ivBytes, data);
        Assert.AreEqual(Plain, Convert.ToHexStringLower(data));
    }

    [TestMethod]
    public void TheCtrCounterIsTheWholeBlockBigEndianAndWraps()
    {
        byte[] c = Convert.FromHexString("00000000000000ff");
        CtrMode.Increment(c);
        Assert.AreEqual("0000000000000100", Convert.ToHexStringLower(c));
        c = Convert.FromHexString("ffffffffffffffffffffffffffffffff");
        CtrMode.Increment(c);
        Assert.AreEqual("00000000000000000000000000000000", Convert.ToHexStringLower(c));

        // over CAST5's 8-byte block: block i is plain xor E(iv + i)
        byte[] key = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        using var ctr = SectorCipherMode.Create("cast5", "ctr", key);
        Assert.AreEqual(8, ctr.IvLength);
        byte[] iv = Convert.FromHexString("00000000fffffffe");
        var data = new byte[24];
        ctr.Encrypt(iv, data);
        using var ecb = BlockCipher.Create("cast5", key);
        byte[] counters = Convert.FromHexString("00000000fffffffe00000000ffffffff0000000100000000");
        ecb.EncryptBlocks(counters);
        CollectionAssert.AreEqual(counters, data);
    }

    [TestMethod]
    public void QemuRefusesXtsOverAnEightByteBlock()
    {
        var ex = Assert.ThrowsExactly<ImageException>(() => SectorCipherMode.Create("cast5", "xts", new byte[32]));
        Assert.AreEqual("Unsupported cipher mode xts", ex.Message);
        using var xts = SectorCipherMode.Create("serpent", "xts", new byte[64]);
        Assert.AreEqual(16, xts.IvLength);
    }

    [TestMethod]
    public void GenericXtsIsIeee1619()
    {
        // IEEE 1619-2007 vector 4 (XTS-AES-128, data unit 0): the generic XTS over opaque AES blocks
        byte[] k1 = Convert.FromHexString("27182818284590452353602874713526");
        byte[] k2 = Convert.FromHexString("31415926535897932384626433832795");
        using var xts = new XtsMode(new OpaqueAes(k1), new OpaqueAes(k2));
        byte[] data = Enumerable.Range(0, 512).Select(i => (byte)i).ToArray();
        xts.Encrypt(new byte[16], data);
        Assert.AreEqual("27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c", Convert.ToHexStringLower(data[..32]));
        Assert.AreEqual("c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412", Convert.ToHexStringLower(data[32..64]));
        xts.Decrypt(new byte[16], data);
        CollectionAssert.AreEqual(Enumerable.Range(0, 512).Select(i => (byte)i).ToArray(), data);
    }

    [TestMethod]
    public void EcbSectorsTakeNoIvSoTheSectorNumberDoesNotMatter()
    {
        var spec = LuksCipherSpec.Parse("twofish", "ecb-plain64", "sha256", 32);
        using var cipher = spec.CreateSectorCipher(new byte[32]);
        byte[] a = new byte[1024], b = new byte[1024];
        cipher.Encrypt(0, a);
        cipher.Encrypt(77, b);
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreEqual(a[..512], a[512..], "ECB: equal sectors, equal ciphertext");

        var cbc = LuksCipherSpec.Parse("twofish", "cbc-plain64", "sha256", 32);
        using var chained = cbc.CreateSectorCipher(new byte[32]);
        byte[] c = new byte[1024];
        chained.Encrypt(0, c);
        CollectionAssert.AreNotEqual(c[..512], c[512..], "CBC: the sector number is the IV");
    }
}
