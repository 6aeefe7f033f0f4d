using System.Security.Cryptography;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// XTS-AES (IEEE 1619-2007) over .NET's <see cref="Aes"/>: the key is two AES keys of equal size (32 bytes for
/// XTS-AES-128, 64 for XTS-AES-256), the first for the data, the second for the tweak. Each call en/decrypts one
/// data unit whose 16-byte tweak value is given (as an IV generator produces it, e.g. plain64's little-endian sector
/// number). Data must be a whole number of 16-byte blocks: ciphertext stealing is not implemented (LUKS and qcow2
/// only encrypt 512-byte sectors).
/// </summary>
public sealed class XtsAesCipher : IDisposable
{
    /// <summary>The AES block size.</summary>
    public const int BlockSize = 16;

    private readonly Aes _data;
    private readonly Aes _tweak;

    /// <summary>Creates the cipher from the concatenated data and tweak keys.</summary>
    public XtsAesCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (32 or 48 or 64))
            throw new ArgumentException($"XTS-AES needs two AES keys of 16, 24 or 32 bytes each, not {key.Length} bytes in all", nameof(key));
        int half = key.Length / 2;
        _data = Aes.Create();
        _data.Key = key[..half].ToArray();
        _tweak = Aes.Create();
        _tweak.Key = key[half..].ToArray();
    }

    /// <summary>Encrypts one data unit in place.</summary>
    public void Encrypt(ReadOnlySpan<byte> tweak, Span<byte> data) => Transform(tweak, data, encrypt: true);

    /// <summary>Decrypts one data unit in place.</summary>
    public void Decrypt(ReadOnlySpan<byte> tweak, Span<byte> data) => Transform(tweak, data, encrypt: false);

    private void Transform(ReadOnlySpan<byte> tweak, Span<byte> data, bool encrypt)
    {
        if (tweak.Length != BlockSize)
            throw new ArgumentException($"the XTS tweak is {BlockSize} bytes, not {tweak.Length}", nameof(tweak));
        if (data.Length % BlockSize != 0)
            throw new ArgumentException($"XTS data of {data.Length} bytes is not a multiple of {BlockSize} bytes (ciphertext stealing is not supported)", nameof(data));
        if (data.Length == 0) return;

        // T_0 = E_K2(tweak); T_j+1 = T_j * alpha in GF(2^128), little-endian byte order (IEEE 1619 5.2).
        var masks = new byte[data.Length];
        _tweak.EncryptEcb(tweak, masks.AsSpan(0, BlockSize), PaddingMode.None);
        for (int off = BlockSize; off < masks.Length; off += BlockSize)
            MultiplyByAlpha(masks.AsSpan(off - BlockSize, BlockSize), masks.AsSpan(off, BlockSize));

        Xor(data, masks);
        if (encrypt) _data.EncryptEcb(data, data, PaddingMode.None);
        else _data.DecryptEcb(data, data, PaddingMode.None);
        Xor(data, masks);
    }

    /// <summary>next = previous * x in GF(2^128) modulo x^128 + x^7 + x^2 + x + 1, bytes little-endian.</summary>
    internal static void MultiplyByAlpha(ReadOnlySpan<byte> previous, Span<byte> next)
    {
        int carry = 0;
        for (int i = 0; i < BlockSize; i++)
        {
            int b = previous[i];
            next[i] = (byte)((b << 1) | carry);
            carry = b >> 7;
        }
        if (carry != 0) next[0] ^= 0x87;
    }

    private static void Xor(Span<byte> into, ReadOnlySpan<byte> mask)
    {
        for (int i = 0; i < into.Length; i++) into[i] ^= mask[i];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _data.Dispose();
        _tweak.Dispose();
    }
}
