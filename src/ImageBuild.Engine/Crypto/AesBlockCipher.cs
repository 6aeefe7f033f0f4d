using System.Security.Cryptography;

namespace ImageBuild.Engine.Crypto;

/// <summary>AES as a <see cref="BlockCipher"/>, on .NET's hardware-accelerated <see cref="Aes"/>.</summary>
public sealed class AesBlockCipher : BlockCipher
{
    private readonly Aes _aes;

    /// <summary>Creates the cipher with a 16-, 24- or 32-byte key.</summary>
    public AesBlockCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32))
            throw new ArgumentException($"AES keys are 16, 24 or 32 bytes, not {key.Length}", nameof(key));
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
    }

    /// <inheritdoc />
    public override int BlockSize => 16;

    /// <inheritdoc />
    public override void EncryptBlocks(Span<byte> data)
    {
        CheckBlocks(data.Length);
        _aes.EncryptEcb(data, data, PaddingMode.None);
    }

    /// <inheritdoc />
    public override void DecryptBlocks(Span<byte> data)
    {
        CheckBlocks(data.Length);
        _aes.DecryptEcb(data, data, PaddingMode.None);
    }

    /// <summary>AES-CBC in place with .NET's implementation (what <see cref="CbcMode"/> uses for AES).</summary>
    internal void EncryptCbc(ReadOnlySpan<byte> iv, Span<byte> data) => _aes.EncryptCbc(data, iv, data, PaddingMode.None);

    /// <summary>AES-CBC decryption in place.</summary>
    internal void DecryptCbc(ReadOnlySpan<byte> iv, Span<byte> data) => _aes.DecryptCbc(data, iv, data, PaddingMode.None);

    /// <inheritdoc />
    public override void Dispose()
    {
        _aes.Dispose();
        base.Dispose();
    }
}
