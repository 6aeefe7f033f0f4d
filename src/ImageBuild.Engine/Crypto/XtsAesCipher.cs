namespace ImageBuild.Engine.Crypto;

/// <summary>
/// XTS-AES (IEEE 1619-2007): <see cref="XtsMode"/> over two <see cref="AesBlockCipher"/>s. The key is two AES keys
/// of equal size (32 bytes for XTS-AES-128, 64 for XTS-AES-256), the first for the data, the second for the tweak.
/// Each call en/decrypts one data unit whose 16-byte tweak value is given; data must be whole 16-byte blocks.
/// </summary>
public sealed class XtsAesCipher : IDisposable
{
    /// <summary>The AES block size.</summary>
    public const int BlockSize = 16;

    private readonly XtsMode _xts;

    /// <summary>Creates the cipher from the concatenated data and tweak keys.</summary>
    public XtsAesCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (32 or 48 or 64))
            throw new ArgumentException($"XTS-AES needs two AES keys of 16, 24 or 32 bytes each, not {key.Length} bytes in all", nameof(key));
        int half = key.Length / 2;
        _xts = new XtsMode(new AesBlockCipher(key[..half]), new AesBlockCipher(key[half..]));
    }

    /// <summary>Encrypts one data unit in place.</summary>
    public void Encrypt(ReadOnlySpan<byte> tweak, Span<byte> data)
    {
        Check(data.Length);
        _xts.Encrypt(tweak, data);
    }

    /// <summary>Decrypts one data unit in place.</summary>
    public void Decrypt(ReadOnlySpan<byte> tweak, Span<byte> data)
    {
        Check(data.Length);
        _xts.Decrypt(tweak, data);
    }

    private static void Check(int length)
    {
        if (length % BlockSize != 0)
            throw new ArgumentException($"XTS data of {length} bytes is not a multiple of {BlockSize} bytes (ciphertext stealing is not supported)", "data");
    }

    /// <summary>next = previous * x in GF(2^128) (see <see cref="XtsMode"/>).</summary>
    internal static void MultiplyByAlpha(ReadOnlySpan<byte> previous, Span<byte> next) => XtsMode.MultiplyByAlpha(previous, next);

    /// <inheritdoc />
    public void Dispose() => _xts.Dispose();
}
