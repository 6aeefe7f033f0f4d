namespace ImageBuild.Engine.Crypto;

/// <summary>
/// One keyed block cipher as qemu's LUKS code names its families (<c>aes</c>, <c>cast5</c>, <c>serpent</c>,
/// <c>twofish</c>): en/decrypts whole blocks in place (ECB). The chaining modes (<see cref="SectorCipherMode"/>) are
/// written once over this. AES runs on .NET's <see cref="System.Security.Cryptography.Aes"/>, the others on
/// BouncyCastle's engines.
/// </summary>
public abstract class BlockCipher : IDisposable
{
    /// <summary>Bytes per block (16; 8 for CAST5).</summary>
    public abstract int BlockSize { get; }

    /// <summary>Encrypts each block of <paramref name="data"/> on its own (a whole number of blocks).</summary>
    public abstract void EncryptBlocks(Span<byte> data);

    /// <summary>Decrypts each block of <paramref name="data"/> on its own (a whole number of blocks).</summary>
    public abstract void DecryptBlocks(Span<byte> data);

    /// <summary>The key lengths in bytes the LUKS family <paramref name="family"/> takes, empty for an unknown family.</summary>
    public static IReadOnlyList<int> KeySizes(string family) => family switch
    {
        "aes" or "serpent" or "twofish" => [16, 24, 32],
        "cast5" => [16],
        _ => [],
    };

    /// <summary>The block size of the family <paramref name="family"/>.</summary>
    public static int BlockSizeOf(string family) => family == "cast5" ? 8 : 16;

    /// <summary>A cipher of the family <paramref name="family"/> keyed with <paramref name="key"/>.</summary>
    public static BlockCipher Create(string family, ReadOnlySpan<byte> key)
    {
        if (!KeySizes(family).Contains(key.Length))
            throw new ArgumentException($"{family} takes no {key.Length}-byte key", nameof(key));
        return family switch
        {
            "aes" => new AesBlockCipher(key),
            "cast5" => new BouncyBlockCipher(() => new Org.BouncyCastle.Crypto.Engines.Cast5Engine(), key),
            "serpent" => new BouncyBlockCipher(() => new Org.BouncyCastle.Crypto.Engines.SerpentEngine(), key),
            _ => new BouncyBlockCipher(() => new Org.BouncyCastle.Crypto.Engines.TwofishEngine(), key),
        };
    }

    /// <summary>Checks that <paramref name="length"/> is a whole number of blocks.</summary>
    protected void CheckBlocks(int length)
    {
        if (length % BlockSize != 0)
            throw new ArgumentException($"{length} bytes are not a whole number of {BlockSize}-byte blocks");
    }

    /// <inheritdoc />
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
