using System.Security.Cryptography;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// AES-CBC over .NET's <see cref="Aes"/> without padding: each call en/decrypts one sector with the IV an IV
/// generator gives for it (plain, plain64 or essiv), as qemu's cbc-* LUKS modes and legacy qcow AES do.
/// </summary>
public sealed class CbcAesCipher : IDisposable
{
    /// <summary>The AES block size (and IV length).</summary>
    public const int BlockSize = 16;

    private readonly Aes _aes;

    /// <summary>Creates the cipher with an AES key of 16, 24 or 32 bytes.</summary>
    public CbcAesCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32))
            throw new ArgumentException($"AES keys are 16, 24 or 32 bytes, not {key.Length}", nameof(key));
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
    }

    /// <summary>Encrypts <paramref name="data"/> in place.</summary>
    public void Encrypt(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        Check(iv, data);
        _aes.EncryptCbc(data, iv, data, PaddingMode.None);
    }

    /// <summary>Decrypts <paramref name="data"/> in place.</summary>
    public void Decrypt(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        Check(iv, data);
        _aes.DecryptCbc(data, iv, data, PaddingMode.None);
    }

    private static void Check(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> data)
    {
        if (iv.Length != BlockSize)
            throw new ArgumentException($"the CBC IV is {BlockSize} bytes, not {iv.Length}", nameof(iv));
        if (data.Length % BlockSize != 0)
            throw new ArgumentException($"CBC data of {data.Length} bytes is not a multiple of {BlockSize} bytes", nameof(data));
    }

    /// <inheritdoc />
    public void Dispose() => _aes.Dispose();
}
