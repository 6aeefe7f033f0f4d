using System.Buffers.Binary;
using SharpCompress.Compressors.LZMA;
using SharpCompress.Compressors.Xz;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// The stored form of an LZMA chunk (type 0x80000008, hdiutil's ULMO): an xz stream (magic FD 37 7A 58 5A 00), or a
/// raw .lzma ("LZMA alone": 5 property bytes, an 8-byte little-endian size, the data). The dictionary size a stream
/// declares is bounded, so that a hostile chunk cannot make the decoder allocate beyond a chunk's 64 MiB.
/// </summary>
internal static class LzmaChunk
{
    private static ReadOnlySpan<byte> XzMagic => [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];

    /// <summary>The largest dictionary accepted: a chunk decodes to at most 64 MiB, so no larger window helps.</summary>
    private const long MaxDictionary = (long)DmgLimits.MaxLength;

    public static Stream Open(ReadOnlySpan<byte> stored, Stream input, int decodedLength)
    {
        if (stored.StartsWith(XzMagic))
        {
            CheckXzDictionary(stored);
            return new XZStream(input);
        }
        if (stored.Length >= 13 && stored[0] < 9 * 5 * 5)
        {
            uint dictionary = BinaryPrimitives.ReadUInt32LittleEndian(stored[1..]);
            if (dictionary > MaxDictionary)
                throw new InvalidDataException($"LZMA: dictionary of {dictionary} bytes is larger than a chunk");
            byte[] properties = stored[..5].ToArray();
            input.Position = 13;
            return LzmaStream.Create(properties, input, stored.Length - 13, decodedLength, leaveOpen: false);
        }
        throw new InvalidDataException("LZMA: the chunk is neither an xz stream nor LZMA-alone data");
    }

    /// <summary>
    /// Reads the first block header's LZMA2 filter properties (xz format 3.1: header size byte, flags, optional sizes,
    /// filter flags) and bounds the dictionary size they declare.
    /// </summary>
    private static void CheckXzDictionary(ReadOnlySpan<byte> stored)
    {
        const int StreamHeader = 12;
        if (stored.Length <= StreamHeader + 1 || stored[StreamHeader] == 0) return; // an empty stream (index first)
        int headerSize = (stored[StreamHeader] + 1) * 4;
        if (stored.Length < StreamHeader + headerSize) throw new InvalidDataException("xz: truncated block header");
        var h = stored.Slice(StreamHeader, headerSize);
        byte flags = h[1];
        int filters = (flags & 3) + 1;
        int p = 2;
        if ((flags & 0x40) != 0) SkipVarint(h, ref p);
        if ((flags & 0x80) != 0) SkipVarint(h, ref p);
        for (int f = 0; f < filters; f++)
        {
            ulong id = ReadVarint(h, ref p);
            ulong size = ReadVarint(h, ref p);
            if (id == 0x21 && size == 1 && p < h.Length)
            {
                int d = h[p] & 0x3F;
                long dictionary = d >= 40 ? uint.MaxValue : (2L | (d & 1L)) << (d / 2 + 11);
                if (dictionary > MaxDictionary)
                    throw new InvalidDataException($"xz: dictionary of {dictionary} bytes is larger than a chunk");
            }
            p += (int)Math.Min(size, (ulong)h.Length);
            if (p > h.Length) throw new InvalidDataException("xz: truncated block header");
        }
    }

    private static void SkipVarint(ReadOnlySpan<byte> h, ref int p) => ReadVarint(h, ref p);

    private static ulong ReadVarint(ReadOnlySpan<byte> h, ref int p)
    {
        ulong value = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            if (p >= h.Length) throw new InvalidDataException("xz: truncated block header");
            byte b = h[p++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("xz: bad number in block header");
    }
}
