namespace ImageBuild.Engine.Crypto;

/// <summary>
/// XTS (IEEE 1619-2007) over any 16-byte block cipher, as qemu's crypto/xts.c: the data key en/decrypts, the tweak
/// key encrypts the 16-byte tweak (the IV an IV generator gives for the sector); block j is masked with
/// T_j = E_K2(tweak) * alpha^j in GF(2^128). Data must be whole blocks (LUKS and qcow2 only encrypt 512-byte
/// sectors, so ciphertext stealing is not needed).
/// </summary>
public sealed class XtsMode : SectorCipherMode
{
    /// <summary>The block size XTS needs.</summary>
    public const int BlockLength = 16;

    private readonly BlockCipher _data;
    private readonly BlockCipher _tweak;

    /// <summary>XTS with <paramref name="data"/> for the data and <paramref name="tweak"/> for the tweak.</summary>
    public XtsMode(BlockCipher data, BlockCipher tweak)
    {
        if (data.BlockSize != BlockLength || tweak.BlockSize != BlockLength)
            throw new ArgumentException("XTS needs a 16-byte block cipher");
        _data = data;
        _tweak = tweak;
    }

    /// <inheritdoc />
    public override string Name => "xts";

    /// <inheritdoc />
    public override int IvLength => BlockLength;

    /// <inheritdoc />
    public override int BlockSize => BlockLength;

    /// <inheritdoc />
    public override void Encrypt(ReadOnlySpan<byte> iv, Span<byte> data) => Transform(iv, data, encrypt: true);

    /// <inheritdoc />
    public override void Decrypt(ReadOnlySpan<byte> iv, Span<byte> data) => Transform(iv, data, encrypt: false);

    private void Transform(ReadOnlySpan<byte> tweak, Span<byte> data, bool encrypt)
    {
        Check(tweak, data.Length);
        const int Batch = 512;
        Span<byte> masks = stackalloc byte[Batch];
        Span<byte> last = stackalloc byte[BlockLength];
        tweak.CopyTo(last);
        _tweak.EncryptBlocks(last);
        for (int off = 0; off < data.Length; off += Batch)
        {
            int len = Math.Min(Batch, data.Length - off);
            for (int b = 0; b < len; b += BlockLength)
            {
                if (off + b > 0) MultiplyByAlpha(last, last);
                last.CopyTo(masks.Slice(b, BlockLength));
            }
            var piece = data.Slice(off, len);
            Xor(piece, masks);
            if (encrypt) _data.EncryptBlocks(piece); else _data.DecryptBlocks(piece);
            Xor(piece, masks);
        }
    }

    /// <summary>next = previous * x in GF(2^128) modulo x^128 + x^7 + x^2 + x + 1, bytes little-endian (may alias).</summary>
    internal static void MultiplyByAlpha(ReadOnlySpan<byte> previous, Span<byte> next)
    {
        int carry = 0;
        for (int i = 0; i < BlockLength; i++)
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
    public override void Dispose()
    {
        _data.Dispose();
        _tweak.Dispose();
        base.Dispose();
    }
}
