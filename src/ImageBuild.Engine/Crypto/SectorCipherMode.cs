namespace ImageBuild.Engine.Crypto;

/// <summary>
/// A chaining mode as qemu's LUKS modes use it (<c>ecb</c>, <c>cbc</c>, <c>ctr</c>, <c>xts</c>) over any
/// <see cref="BlockCipher"/>: each call en/decrypts one sector in place with the IV its sector gives (none for ECB),
/// the mode's state starting afresh per call as qemu sets the IV before each sector.
/// </summary>
public abstract class SectorCipherMode : IDisposable
{
    /// <summary>The mode's name as qemu spells it.</summary>
    public abstract string Name { get; }

    /// <summary>The IV length in bytes qemu gives this mode (qcrypto_cipher_get_iv_len: 0 for ECB, else the block size).</summary>
    public abstract int IvLength { get; }

    /// <summary>The block size the data must be a whole number of.</summary>
    public abstract int BlockSize { get; }

    /// <summary>Encrypts <paramref name="data"/> in place.</summary>
    public abstract void Encrypt(ReadOnlySpan<byte> iv, Span<byte> data);

    /// <summary>Decrypts <paramref name="data"/> in place.</summary>
    public abstract void Decrypt(ReadOnlySpan<byte> iv, Span<byte> data);

    /// <summary>
    /// The mode <paramref name="mode"/> over the family <paramref name="family"/> keyed with <paramref name="key"/>
    /// (for XTS the data key then the tweak key, of equal length). XTS needs a 16-byte block: otherwise qemu's
    /// "Unsupported cipher mode xts".
    /// </summary>
    public static SectorCipherMode Create(string family, string mode, ReadOnlySpan<byte> key) => mode switch
    {
        "ecb" => new EcbMode(BlockCipher.Create(family, key)),
        "cbc" => new CbcMode(BlockCipher.Create(family, key)),
        "ctr" => new CtrMode(BlockCipher.Create(family, key)),
        "xts" when BlockCipher.BlockSizeOf(family) == XtsMode.BlockLength && key.Length % 2 == 0 =>
            new XtsMode(BlockCipher.Create(family, key[..(key.Length / 2)]), BlockCipher.Create(family, key[(key.Length / 2)..])),
        _ => throw new ImageException($"Unsupported cipher mode {mode}"),
    };

    /// <summary>Checks the IV length and that the data is whole blocks.</summary>
    protected void Check(ReadOnlySpan<byte> iv, int dataLength)
    {
        if (iv.Length != IvLength)
            throw new ArgumentException($"{Name} takes a {IvLength}-byte IV, not {iv.Length} bytes", nameof(iv));
        if (dataLength % BlockSize != 0)
            throw new ArgumentException($"{Name} data of {dataLength} bytes is not a whole number of {BlockSize}-byte blocks");
    }

    /// <inheritdoc />
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
