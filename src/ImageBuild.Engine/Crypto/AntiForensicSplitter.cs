using System.Buffers.Binary;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// The LUKS anti-forensic information splitter (LUKS1 on-disk format, section 2.4): a key of n bytes is stored as
/// <c>stripes</c> blocks of n bytes whose merge gives the key back; losing any one stripe loses the key.
/// The merge XORs each stripe into an accumulator that is "diffused" with the header's hash between stripes.
/// </summary>
public static class AntiForensicSplitter
{
    /// <summary>Recovers the key (of <paramref name="key"/>'s length) from <paramref name="stripes"/> stripes in <paramref name="split"/>.</summary>
    public static void Merge(LuksHash hash, ReadOnlySpan<byte> split, int stripes, Span<byte> key)
    {
        int blockLen = key.Length;
        if (stripes < 1) throw new ArgumentOutOfRangeException(nameof(stripes), "at least one stripe is needed");
        if (split.Length < (long)blockLen * stripes)
            throw new ArgumentException($"split key material of {split.Length} bytes is shorter than {stripes} stripes of {blockLen} bytes", nameof(split));
        var block = new byte[blockLen];
        for (int i = 0; i < stripes - 1; i++)
        {
            Xor(block, split.Slice(i * blockLen, blockLen));
            Diffuse(hash, block);
        }
        split.Slice((stripes - 1) * blockLen, blockLen).CopyTo(key);
        Xor(key, block);
    }

    /// <summary>
    /// Splits <paramref name="key"/> into <paramref name="stripes"/> stripes (the first stripes - 1 filled by
    /// <paramref name="random"/>, e.g. <see cref="Block.ImageIdentity.NewBytes"/>), the inverse of <see cref="Merge"/>.
    /// Returns key.Length * stripes bytes.
    /// </summary>
    public static byte[] Split(LuksHash hash, ReadOnlySpan<byte> key, int stripes, SpanAction random)
    {
        if (stripes < 1) throw new ArgumentOutOfRangeException(nameof(stripes), "at least one stripe is needed");
        int blockLen = key.Length;
        var split = new byte[blockLen * stripes];
        var block = new byte[blockLen];
        for (int i = 0; i < stripes - 1; i++)
        {
            var stripe = split.AsSpan(i * blockLen, blockLen);
            random(stripe);
            Xor(block, stripe);
            Diffuse(hash, block);
        }
        var last = split.AsSpan((stripes - 1) * blockLen, blockLen);
        key.CopyTo(last);
        Xor(last, block);
        return split;
    }

    /// <summary>
    /// The diffuse step: each digest-sized piece of <paramref name="block"/> (the last one possibly shorter) is
    /// replaced by the hash of its big-endian 32-bit index followed by the piece, truncated to the piece's length.
    /// </summary>
    public static void Diffuse(LuksHash hash, Span<byte> block)
    {
        int digestLen = hash.DigestLength;
        Span<byte> index = stackalloc byte[4];
        Span<byte> digest = stackalloc byte[digestLen];
        for (int i = 0, pos = 0; pos < block.Length; i++, pos += digestLen)
        {
            var piece = block.Slice(pos, Math.Min(digestLen, block.Length - pos));
            BinaryPrimitives.WriteUInt32BigEndian(index, (uint)i);
            hash.Hash(index, piece, digest);
            digest[..piece.Length].CopyTo(piece);
        }
    }

    /// <summary>Fills a span (the random source of <see cref="Split"/>).</summary>
    public delegate void SpanAction(Span<byte> buffer);

    private static void Xor(Span<byte> into, ReadOnlySpan<byte> other)
    {
        for (int i = 0; i < into.Length; i++) into[i] ^= other[i];
    }
}
