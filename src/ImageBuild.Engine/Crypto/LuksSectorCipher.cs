namespace ImageBuild.Engine.Crypto;

/// <summary>
/// Sector-wise en/decryption as qemu's crypto block layer does it: the data is cut into sectors of
/// <see cref="SectorSize"/> bytes (the last piece may be shorter but a whole number of AES blocks), each processed
/// with the IV its sector number gives (XTS tweak or CBC IV). Sector numbers count from the start of the encrypted
/// area: the LUKS payload, or 0 at the start of a key slot's key material.
/// </summary>
public sealed class LuksSectorCipher : IDisposable
{
    /// <summary>The LUKS1 sector size.</summary>
    public const int SectorSize = 512;

    private readonly XtsAesCipher? _xts;
    private readonly CbcAesCipher? _cbc;
    private readonly IvGenerator _ivgen;

    internal LuksSectorCipher(LuksCipherSpec spec, ReadOnlySpan<byte> key)
    {
        Spec = spec;
        if (spec.CipherMode == "xts") _xts = new XtsAesCipher(key);
        else _cbc = new CbcAesCipher(key);
        _ivgen = IvGenerator.Create(spec.IvGeneratorName, spec.IvHash, key);
    }

    /// <summary>The cipher description.</summary>
    public LuksCipherSpec Spec { get; }

    /// <summary>Decrypts <paramref name="data"/> in place; its first byte is the start of sector <paramref name="firstSector"/>.</summary>
    public void Decrypt(ulong firstSector, Span<byte> data) => Run(firstSector, data, encrypt: false);

    /// <summary>Encrypts <paramref name="data"/> in place; its first byte is the start of sector <paramref name="firstSector"/>.</summary>
    public void Encrypt(ulong firstSector, Span<byte> data) => Run(firstSector, data, encrypt: true);

    private void Run(ulong sector, Span<byte> data, bool encrypt)
    {
        if (data.Length % 16 != 0)
            throw new ArgumentException($"encrypted data of {data.Length} bytes is not a multiple of 16 bytes", nameof(data));
        Span<byte> iv = stackalloc byte[16];
        for (int off = 0; off < data.Length; off += SectorSize, sector++)
        {
            var piece = data.Slice(off, Math.Min(SectorSize, data.Length - off));
            _ivgen.Compute(sector, iv);
            if (_xts is not null)
            {
                if (encrypt) _xts.Encrypt(iv, piece); else _xts.Decrypt(iv, piece);
            }
            else
            {
                if (encrypt) _cbc!.Encrypt(iv, piece); else _cbc!.Decrypt(iv, piece);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _xts?.Dispose();
        _cbc?.Dispose();
        _ivgen.Dispose();
    }
}
