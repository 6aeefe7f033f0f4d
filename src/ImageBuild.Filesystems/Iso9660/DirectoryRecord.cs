namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// An ECMA-119 9.1 Directory Record: length, extent location and data length (both byte orders), recording date,
/// flags (bit 1: directory), volume sequence number 1, the identifier with its padding byte, then System Use bytes.
/// A record is at most 255 bytes and always of even length.
/// </summary>
internal static class DirectoryRecord
{
    public const int Max = 255;

    public static int Length(int idLength, int systemUseLength)
    {
        int n = 33 + idLength + (idLength % 2 == 0 ? 1 : 0) + systemUseLength;
        return n + (n % 2);
    }

    /// <summary>Bytes left for System Use entries beside an identifier of this length.</summary>
    public static int SystemUseRoom(int idLength) => (Max - 1) - (33 + idLength + (idLength % 2 == 0 ? 1 : 0));

    public static void Write(Span<byte> d, long extent, long dataLength, DateTime date, bool directory, ReadOnlySpan<byte> id, ReadOnlySpan<byte> systemUse)
    {
        int len = Length(id.Length, systemUse.Length);
        d[..len].Clear();
        d[0] = (byte)len;
        IsoFields.Both32(d[2..], extent);
        IsoFields.Both32(d[10..], dataLength);
        IsoFields.Date7(d[18..], date);
        d[25] = (byte)(directory ? 0x02 : 0);
        IsoFields.Both16(d[28..], 1);
        d[32] = (byte)id.Length;
        id.CopyTo(d[33..]);
        systemUse.CopyTo(d[(33 + id.Length + (id.Length % 2 == 0 ? 1 : 0))..]);
    }
}
