using System.Buffers.Binary;

namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// Decodes an LZFSE stream (Apple's block format: bvx1/bvx2 LZFSE blocks, bvxn LZVN blocks, bvx- raw blocks, ended by
/// bvx$) into a buffer of known size, as DMG chunks of type 0x80000007 hold them.
/// </summary>
public static class LzfseDecoder
{
    /// <summary>The per-thread tables and literal buffer (about 50 KB), kept so decoding chunk after chunk does not churn the GC.</summary>
    [ThreadStatic]
    private static LzfseBlockDecoder? t_blockDecoder;

    /// <summary>
    /// Decodes all of <paramref name="source"/> into <paramref name="destination"/> and returns the number of bytes
    /// written. Throws <see cref="InvalidDataException"/> (a one-line message, with the offset in the source) when the
    /// stream is corrupt, truncated, or would write past the end of <paramref name="destination"/>.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int s = 0;
        int position = 0;
        while (true)
        {
            if (source.Length - s < 4)
                throw LzfseError.AtStream(s, "stream ends without an end-of-stream (bvx$) block");
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(source[s..]);
            switch (magic)
            {
                case LzfseBlockMagic.EndOfStream:
                    return position;
                case LzfseBlockMagic.Uncompressed:
                    (s, position) = CopyRawBlock(source, s, destination, position);
                    break;
                case LzfseBlockMagic.Lzvn:
                    (s, position) = DecodeLzvnBlock(source, s, destination, position);
                    break;
                case LzfseBlockMagic.LzfseV1:
                case LzfseBlockMagic.LzfseV2:
                    t_blockDecoder ??= new LzfseBlockDecoder();
                    (s, position) = t_blockDecoder.Decode(source, s, magic == LzfseBlockMagic.LzfseV2, destination, position);
                    break;
                default:
                    throw LzfseError.AtStream(s, $"unknown block magic 0x{magic:x8}");
            }
        }
    }

    /// <summary>
    /// Checks that a block of <paramref name="rawBytes"/> fits the destination from <paramref name="position"/>
    /// (before anything is decoded: a stream promising more than the destination holds is refused, not cut short)
    /// and returns the block's end in the output.
    /// </summary>
    internal static int BlockEnd(uint rawBytes, int position, int destinationLength, long blockOffset)
    {
        if (rawBytes > (uint)(destinationLength - position))
            throw LzfseError.InBlock(blockOffset, $"{rawBytes} raw bytes at output offset {position} overflow the destination's {destinationLength} bytes");
        return position + (int)rawBytes;
    }

    private static (int Source, int Position) CopyRawBlock(ReadOnlySpan<byte> source, int s, Span<byte> destination, int position)
    {
        if (source.Length - s < 8)
            throw LzfseError.InBlock(s, "bvx- header is truncated");
        uint raw = BinaryPrimitives.ReadUInt32LittleEndian(source[(s + 4)..]);
        int end = BlockEnd(raw, position, destination.Length, s);
        if (raw > (uint)(source.Length - s - 8))
            throw LzfseError.InBlock(s, $"bvx- block of {raw} bytes passes the source's end ({source.Length - s - 8} bytes remain)");
        source.Slice(s + 8, (int)raw).CopyTo(destination[position..]);
        return (s + 8 + (int)raw, end);
    }

    private static (int Source, int Position) DecodeLzvnBlock(ReadOnlySpan<byte> source, int s, Span<byte> destination, int position)
    {
        if (source.Length - s < 12)
            throw LzfseError.InBlock(s, "bvxn header is truncated");
        uint raw = BinaryPrimitives.ReadUInt32LittleEndian(source[(s + 4)..]);
        uint payload = BinaryPrimitives.ReadUInt32LittleEndian(source[(s + 8)..]);
        int end = BlockEnd(raw, position, destination.Length, s);
        if (payload > (uint)(source.Length - s - 12))
            throw LzfseError.InBlock(s, $"bvxn payload of {payload} bytes passes the source's end ({source.Length - s - 12} bytes remain)");
        LzvnDecoder.Decode(source.Slice(s + 12, (int)payload), s + 12, destination, position, end, s);
        return (s + 12 + (int)payload, end);
    }
}
