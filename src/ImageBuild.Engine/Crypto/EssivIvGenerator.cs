using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// qemu's <c>essiv</c> ivgen ("encrypted salt-sector IV"): the salt is the hash of the cipher key; the IV is the
/// plain64 value (little-endian sector number, zero-padded to the IV length) encrypted with AES-ECB keyed by the salt.
/// As qemu's LUKS code chooses it, the ESSIV AES key size is the digest size, so only 16-, 24- and 32-byte digests
/// (md5, sha256) work; others are refused with qemu's "No AES cipher with key size N available".
/// </summary>
public sealed class EssivIvGenerator : IvGenerator
{
    private readonly Aes _aes;

    /// <summary>Creates the generator for a volume whose cipher key is <paramref name="cipherKey"/>.</summary>
    public EssivIvGenerator(LuksHash hash, ReadOnlySpan<byte> cipherKey)
    {
        Hash = hash;
        if (hash.DigestLength is not (16 or 24 or 32))
            throw new ImageException($"No AES cipher with key size {hash.DigestLength} available");
        _aes = Aes.Create();
        _aes.Key = hash.Hash(cipherKey);
    }

    /// <summary>The hash of the key that keys the IV cipher.</summary>
    public LuksHash Hash { get; }

    /// <inheritdoc />
    public override string Name => "essiv";

    /// <inheritdoc />
    public override void Compute(ulong sector, Span<byte> iv)
    {
        if (iv.Length % 16 != 0)
            throw new ArgumentException($"an ESSIV IV is a whole number of AES blocks, not {iv.Length} bytes", nameof(iv));
        iv.Clear();
        Span<byte> le = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(le, sector);
        le[..Math.Min(8, iv.Length)].CopyTo(iv);
        _aes.EncryptEcb(iv, iv, PaddingMode.None);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _aes.Dispose();
        base.Dispose();
    }
}
