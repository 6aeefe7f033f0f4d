namespace ImageBuild.Engine.Crypto;

/// <summary>ECB: every block on its own, no IV (qemu's <c>ecb</c> LUKS mode).</summary>
public sealed class EcbMode(BlockCipher cipher) : SectorCipherMode
{
    /// <inheritdoc />
    public override string Name => "ecb";

    /// <inheritdoc />
    public override int IvLength => 0;

    /// <inheritdoc />
    public override int BlockSize => cipher.BlockSize;

    /// <inheritdoc />
    public override void Encrypt(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        Check(iv, data.Length);
        cipher.EncryptBlocks(data);
    }

    /// <inheritdoc />
    public override void Decrypt(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        Check(iv, data.Length);
        cipher.DecryptBlocks(data);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        cipher.Dispose();
        base.Dispose();
    }
}
