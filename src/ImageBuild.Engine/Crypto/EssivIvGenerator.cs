using System.Buffers.Binary;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// qemu's <c>essiv</c> ivgen ("encrypted salt-sector IV"): the salt is the hash of the cipher key; the IV is the
/// plain64 value (little-endian sector number, zero-padded to the ESSIV cipher's block) encrypted in ECB by the
/// ESSIV cipher keyed with the salt, cut or zero-padded to the IV length. The ESSIV cipher is of the volume cipher's
/// family with the digest size as key size (dm-crypt's rule, see <see cref="EssivCipherFamily"/>).
/// </summary>
public sealed class EssivIvGenerator : IvGenerator
{
    private readonly BlockCipher _cipher;

    /// <summary>Creates the AES generator for a volume whose cipher key is <paramref name="cipherKey"/>.</summary>
    public EssivIvGenerator(LuksHash hash, ReadOnlySpan<byte> cipherKey)
        : this("aes", cipherKey.Length, hash, cipherKey)
    {
    }

    /// <summary>
    /// Creates the generator for a volume of the cipher family <paramref name="family"/> with one key of
    /// <paramref name="cipherKeyLength"/> bytes (half the XTS key), whose whole key is <paramref name="cipherKey"/>.
    /// </summary>
    public EssivIvGenerator(string family, int cipherKeyLength, LuksHash hash, ReadOnlySpan<byte> cipherKey)
    {
        Hash = hash;
        EssivCipherFamily(family, cipherKeyLength, hash);
        _cipher = BlockCipher.Create(family, hash.Hash(cipherKey));
    }

    /// <summary>The hash of the key that keys the IV cipher.</summary>
    public LuksHash Hash { get; }

    /// <inheritdoc />
    public override string Name => "essiv";

    /// <summary>
    /// qemu's choice of the ESSIV cipher: the volume's cipher when its key size is the digest size, else the same
    /// family (aes, serpent, twofish) with a key the size of the digest; qemu's messages when there is none.
    /// </summary>
    public static void EssivCipherFamily(string family, int cipherKeyLength, LuksHash hash)
    {
        int d = hash.DigestLength;
        if (d == cipherKeyLength || BlockCipher.KeySizes(family).Contains(d) && family != "cast5") return;
        throw new ImageException(family switch
        {
            "aes" => $"No AES cipher with key size {d} available",
            "serpent" => $"No Serpent cipher with key size {d} available",
            "twofish" => $"No Twofish cipher with key size {d} available",
            _ => $"Cipher {family}-{cipherKeyLength * 8} not supported with essiv",
        });
    }

    /// <inheritdoc />
    public override void Compute(ulong sector, Span<byte> iv)
    {
        Span<byte> data = stackalloc byte[_cipher.BlockSize];
        data.Clear();
        Span<byte> le = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(le, sector);
        le[..Math.Min(8, data.Length)].CopyTo(data);
        _cipher.EncryptBlocks(data);
        iv.Clear();
        data[..Math.Min(data.Length, iv.Length)].CopyTo(iv);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _cipher.Dispose();
        base.Dispose();
    }
}
