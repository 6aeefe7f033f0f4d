namespace ImageBuild.Engine.Crypto;

/// <summary>
/// Sector-wise en/decryption as qemu's crypto block layer does it: the data is cut into sectors of
/// <see cref="SectorSize"/> bytes (the last piece may be shorter but a whole number of cipher blocks), each processed
/// by the spec's mode with the IV its sector number gives (qemu's niv bytes: the block size, none for ECB). Sector
/// numbers count from the start of the encrypted area: the LUKS payload, or 0 at the start of a key slot's key
/// material.
/// </summary>
public sealed class LuksSectorCipher : IDisposable
{
    /// <summary>The LUKS1 sector size.</summary>
    public const int SectorSize = 512;

    private readonly SectorCipherMode _mode;
    private readonly IvGenerator _ivgen;

    internal LuksSectorCipher(LuksCipherSpec spec, ReadOnlySpan<byte> key)
    {
        Spec = spec;
        _mode = SectorCipherMode.Create(spec.CipherName, spec.CipherMode, key);
        try
        {
            _ivgen = IvGenerator.Create(spec.IvGeneratorName, spec.IvHash, spec.CipherName, spec.CipherKeyBits / 8, key);
        }
        catch
        {
            _mode.Dispose();
            throw;
        }
    }

    /// <summary>The cipher description.</summary>
    public LuksCipherSpec Spec { get; }

    /// <summary>Decrypts <paramref name="data"/> in place; its first byte is the start of sector <paramref name="firstSector"/>.</summary>
    public void Decrypt(ulong firstSector, Span<byte> data) => Run(firstSector, data, encrypt: false);

    /// <summary>Encrypts <paramref name="data"/> in place; its first byte is the start of sector <paramref name="firstSector"/>.</summary>
    public void Encrypt(ulong firstSector, Span<byte> data) => Run(firstSector, data, encrypt: true);

    private void Run(ulong sector, Span<byte> data, bool encrypt)
    {
        if (data.Length % _mode.BlockSize != 0)
            throw new ArgumentException($"encrypted data of {data.Length} bytes is not a multiple of {_mode.BlockSize} bytes", nameof(data));
        Span<byte> iv = stackalloc byte[_mode.IvLength];
        for (int off = 0; off < data.Length; off += SectorSize, sector++)
        {
            var piece = data.Slice(off, Math.Min(SectorSize, data.Length - off));
            if (iv.Length > 0) _ivgen.Compute(sector, iv);
            if (encrypt) _mode.Encrypt(iv, piece); else _mode.Decrypt(iv, piece);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _mode.Dispose();
        _ivgen.Dispose();
    }
}
