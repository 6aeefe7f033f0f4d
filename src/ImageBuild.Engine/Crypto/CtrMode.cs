namespace ImageBuild.Engine.Crypto;

/// <summary>
/// CTR as qemu's crypto backends count (nettle's ctr_crypt, gcrypt's setctr): the IV is the first counter block,
/// the whole block a big-endian counter incremented by one per block (wrapping); data is xored with the encrypted
/// counters, so encryption and decryption are the same.
/// </summary>
public sealed class CtrMode(BlockCipher cipher) : SectorCipherMode
{
    /// <inheritdoc />
    public override string Name => "ctr";

    /// <inheritdoc />
    public override int IvLength => cipher.BlockSize;

    /// <inheritdoc />
    public override int BlockSize => cipher.BlockSize;

    /// <inheritdoc />
    public override void Encrypt(ReadOnlySpan<byte> iv, Span<byte> data) => Apply(iv, data);

    /// <inheritdoc />
    public override void Decrypt(ReadOnlySpan<byte> iv, Span<byte> data) => Apply(iv, data);

    private void Apply(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        Check(iv, data.Length);
        int n = BlockSize;
        Span<byte> counter = stackalloc byte[n];
        iv.CopyTo(counter);
        const int Batch = 512;
        Span<byte> stream = stackalloc byte[Batch];
        for (int off = 0; off < data.Length; off += Batch)
        {
            int len = Math.Min(Batch, data.Length - off);
            for (int b = 0; b < len; b += n)
            {
                counter.CopyTo(stream.Slice(b, n));
                Increment(counter);
            }
            cipher.EncryptBlocks(stream[..len]);
            var piece = data.Slice(off, len);
            for (int i = 0; i < len; i++) piece[i] ^= stream[i];
        }
    }

    /// <summary>Adds one to the big-endian number <paramref name="counter"/>, wrapping to zero.</summary>
    internal static void Increment(Span<byte> counter)
    {
        for (int i = counter.Length - 1; i >= 0; i--)
            if (++counter[i] != 0) return;
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        cipher.Dispose();
        base.Dispose();
    }
}
