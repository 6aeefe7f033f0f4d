using System.IO.Compression;
using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Compression.Adc;
using ImageBuild.Engine.Compression.Lzfse;
using SharpCompress.Compressors.BZip2;
using SharpCompress.Compressors.Xz;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// Decodes one stored chunk into its sectors. zlib and bzip2 must end exactly at the declared size (qemu's rule:
/// stream end and total_out equal to the sector count); lzfse may stop short (qemu accepts any non-empty result, the
/// rest reads as zeros here); ADC and LZMA must fill the chunk exactly. Data that would decode past the declared
/// size (a decompression bomb) is refused after reading at most one byte more; a decoder's own failure on corrupt
/// data is reported by the caller as qemu's EIO.
/// </summary>
internal static class ChunkDecoder
{
    /// <summary>Decodes <paramref name="src"/> (the chunk's stored bytes) into <paramref name="dest"/>, all of it.</summary>
    /// <exception cref="InvalidDataException">The data is corrupt, short, or longer than the chunk.</exception>
    public static unsafe void Decode(uint type, byte* src, int srcLength, Span<byte> dest)
    {
        switch (type)
        {
            case DmgChunkType.Raw:
            {
                int n = Math.Min(srcLength, dest.Length);
                new ReadOnlySpan<byte>(src, n).CopyTo(dest);
                dest[n..].Clear();
                return;
            }
            case DmgChunkType.Zlib:
            {
                // zlib-ng through ZLibStream; a stream it had to read to the end of may be cut short (ZLibStream then
                // stops without a word): the system's zlib, qemu's, decides those exactly
                var input = new EndWatchingStream(src, srcLength);
                FromStream(new ZLibStream(input, CompressionMode.Decompress), dest, "zlib");
                if (input.ReadPastEnd && ZlibLibrary.TryGet(out _) is { } zlib && !zlib.InflateExactly(new ReadOnlySpan<byte>(src, srcLength), dest))
                    throw new InvalidDataException($"zlib: the chunk is not a complete stream of {dest.Length} bytes");
                return;
            }
            case DmgChunkType.Bzip2:
                FromStream(BZip2Stream.Create(Input(src, srcLength), SharpCompress.Compressors.CompressionMode.Decompress,
                    decompressConcatenated: false, leaveOpen: false, tolerateTruncatedStream: false), dest, "bzip2");
                return;
            case DmgChunkType.Lzma:
                FromStream(LzmaChunk.Open(new ReadOnlySpan<byte>(src, srcLength), Input(src, srcLength), dest.Length), dest, "LZMA");
                return;
            case DmgChunkType.Lzfse:
            {
                int n = LzfseDecoder.Decode(new ReadOnlySpan<byte>(src, srcLength), dest);
                if (n <= 0) throw new InvalidDataException("lzfse: the chunk decodes to nothing");
                dest[n..].Clear();
                return;
            }
            case DmgChunkType.Adc:
            {
                int n = AdcDecoder.Decode(new ReadOnlySpan<byte>(src, srcLength), dest);
                if (n != dest.Length) throw new InvalidDataException($"ADC: the chunk decodes to {n} of its {dest.Length} bytes");
                return;
            }
            default:
                throw new InvalidOperationException($"chunk type 0x{type:x8} has no decoder");
        }
    }

    private static unsafe UnmanagedMemoryStream Input(byte* src, int length) => new(src, length);

    /// <summary>Fills <paramref name="dest"/> from a decoding stream, which must then be at its end.</summary>
    private static void FromStream(Stream decoder, Span<byte> dest, string what)
    {
        using (decoder)
        {
            int done = 0;
            while (done < dest.Length)
            {
                int n = decoder.Read(dest[done..]);
                if (n == 0) throw new InvalidDataException($"{what}: the chunk decodes to {done} of its {dest.Length} bytes");
                done += n;
            }
            Span<byte> one = stackalloc byte[1];
            if (decoder.Read(one) != 0) throw new InvalidDataException($"{what}: the chunk decodes to more than its {dest.Length} bytes");
        }
    }
}
