using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// A BouncyCastle block engine (Twofish, Serpent, CAST5) as a <see cref="BlockCipher"/>: one engine keyed for
/// encryption and one for decryption, so both directions need no re-keying.
/// </summary>
public sealed class BouncyBlockCipher : BlockCipher
{
    private readonly IBlockCipher _encrypt;
    private readonly IBlockCipher _decrypt;

    /// <summary>Keys one engine from <paramref name="newEngine"/> for encryption and another for decryption.</summary>
    public BouncyBlockCipher(Func<IBlockCipher> newEngine, ReadOnlySpan<byte> key)
    {
        _encrypt = newEngine();
        _decrypt = newEngine();
        var parameters = new KeyParameter(key);
        _encrypt.Init(true, parameters);
        _decrypt.Init(false, parameters);
    }

    /// <inheritdoc />
    public override int BlockSize => _encrypt.GetBlockSize();

    /// <inheritdoc />
    public override void EncryptBlocks(Span<byte> data) => Run(_encrypt, data);

    /// <inheritdoc />
    public override void DecryptBlocks(Span<byte> data) => Run(_decrypt, data);

    private void Run(IBlockCipher engine, Span<byte> data)
    {
        CheckBlocks(data.Length);
        int n = BlockSize;
        Span<byte> block = stackalloc byte[n];
        for (int off = 0; off < data.Length; off += n)
        {
            var piece = data.Slice(off, n);
            engine.ProcessBlock(piece, block);
            block.CopyTo(piece);
        }
    }
}
