namespace ImageBuild.Engine.Crypto;

/// <summary>
/// CBC without padding (qemu's <c>cbc</c> LUKS mode): C_i = E(P_i xor C_i-1), C_-1 the IV. AES goes through .NET's
/// own CBC; the other ciphers chain here block by block.
/// </summary>
public sealed class CbcMode(BlockCipher cipher) : SectorCipherMode
{
    /// <inheritdoc />
    public override string Name => "cbc";

    /// <inheritdoc />
    public override int IvLength => cipher.BlockSize;

    /// <inheritdoc />
    public override int BlockSize => cipher.BlockSize;

    /// <inheritdoc />
    public override void Encrypt(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        Check(iv, data.Length);
        if (cipher is AesBlockCipher aes)
        {
            aes.EncryptCbc(iv, data);
            return;
        }
        int n = BlockSize;
        ReadOnlySpan<byte> previous = iv;
        for (int off = 0; off < data.Length; off += n)
        {
            var block = data.Slice(off, n);
            for (int i = 0; i < n; i++) block[i] ^= previous[i];
            cipher.EncryptBlocks(block);
            previous = block;
        }
    }

    /// <inheritdoc />
    public override void Decrypt(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        Check(iv, data.Length);
        if (cipher is AesBlockCipher aes)
        {
            aes.DecryptCbc(iv, data);
            return;
        }
        int n = BlockSize;
        Span<byte> previous = stackalloc byte[n];
        Span<byte> saved = stackalloc byte[n];
        iv.CopyTo(previous);
        for (int off = 0; off < data.Length; off += n)
        {
            var block = data.Slice(off, n);
            block.CopyTo(saved);
            cipher.DecryptBlocks(block);
            for (int i = 0; i < n; i++) block[i] ^= previous[i];
            saved.CopyTo(previous);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        cipher.Dispose();
        base.Dispose();
    }
}
