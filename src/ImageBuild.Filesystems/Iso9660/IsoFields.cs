using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// ECMA-119 field encodings: both-byte-order numbers (7.2.3, 7.3.3), the 7-byte recording date of directory records
/// (9.1.5) and the 17-byte date of volume descriptors (8.4.26.1), and space-padded strings (a-/d-characters, or UCS-2
/// big endian for Joliet).
/// </summary>
internal static class IsoFields
{
    public const int BlockSize = 2048;

    public static void Both16(Span<byte> d, int v)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d, checked((ushort)v));
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)v);
    }

    public static void Both32(Span<byte> d, long v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(d, checked((uint)v));
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], (uint)v);
    }

    public static DateTime ToDate(long seconds)
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
        if (t.Year < 1900 || t.Year > 2155) throw new ArgumentException($"timestamp {seconds}: ISO 9660 dates hold years 1900 to 2155");
        return t;
    }

    /// <summary>ECMA-119 9.1.5: years since 1900, month, day, hour, minute, second, offset from GMT in 15 minutes (0).</summary>
    public static void Date7(Span<byte> d, DateTime t)
    {
        d[0] = (byte)(t.Year - 1900); d[1] = (byte)t.Month; d[2] = (byte)t.Day;
        d[3] = (byte)t.Hour; d[4] = (byte)t.Minute; d[5] = (byte)t.Second; d[6] = 0;
    }

    /// <summary>ECMA-119 8.4.26.1: "YYYYMMDDHHMMSScc" digits and a GMT offset byte; null writes the "not specified" form.</summary>
    public static void Date17(Span<byte> d, DateTime? t)
    {
        string s = t is { } v ? v.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "00" : "0000000000000000";
        Encoding.ASCII.GetBytes(s, d);
        d[16] = 0;
    }

    /// <summary>A string field padded with spaces (ASCII), or with UCS-2 spaces (big endian) for Joliet.</summary>
    public static void Text(Span<byte> d, string s, bool ucs2)
    {
        if (ucs2)
        {
            for (int i = 0; i + 1 < d.Length; i += 2)
                BinaryPrimitives.WriteUInt16BigEndian(d[i..], i / 2 < s.Length ? s[i / 2] : ' ');
            if (d.Length % 2 == 1) d[^1] = 0;
            return;
        }
        d.Fill((byte)' ');
        Encoding.ASCII.GetBytes(s.AsSpan(0, Math.Min(s.Length, d.Length)), d);
    }
}
