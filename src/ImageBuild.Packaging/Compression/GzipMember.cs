using System.Buffers.Binary;

namespace ImageBuild.Packaging.Compression;

/// <summary>
/// The fixed parts of one gzip member (RFC 1952 section 2.3): a 10-byte header with no optional fields (no file
/// name, MTIME 0, which the RFC defines as "no time stamp available", OS 3 = Unix as gzip and pigz write on Linux)
/// and the 8-byte trailer (CRC-32 of the uncompressed data, then ISIZE, its length modulo 2^32, both little-endian).
/// Nothing in it depends on the machine or the clock.
/// </summary>
internal static class GzipMember
{
    public const int HeaderLength = 10, TrailerLength = 8;

    private const byte Id1 = 0x1f, Id2 = 0x8b, CmDeflate = 8, OsUnix = 3;

    /// <summary>XFL 2 = "maximum compression, slowest algorithm", 4 = "fastest algorithm", else 0 (RFC 1952 2.3.1).</summary>
    public static byte ExtraFlags(int level) => level switch { 9 => 2, 1 => 4, _ => 0 };

    public static void WriteHeader(Span<byte> header, int level)
    {
        header[0] = Id1;
        header[1] = Id2;
        header[2] = CmDeflate;
        header[3] = 0; // FLG: no FTEXT, FHCRC, FEXTRA, FNAME or FCOMMENT
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..8], 0); // MTIME
        header[8] = ExtraFlags(level);
        header[9] = OsUnix;
    }

    public static void WriteTrailer(Span<byte> trailer, uint crc32, long inputLength)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[0..4], crc32);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..8], unchecked((uint)inputLength));
    }
}
