namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// The entry types of a UDIF block table (BLXKRunEntry.EntryType), as hdiutil writes them and qemu's dmg.c names
/// them: UDZE, UDRW, UDIG, UDCO (ADC), UDZO (zlib), UDBZ (bzip2), ULFO (lzfse), ULMO (LZMA, an xz stream), UDCM, UDLE.
/// </summary>
internal static class DmgChunkType
{
    public const uint Zero = 0x00000000;
    public const uint Raw = 0x00000001;
    public const uint Ignore = 0x00000002;
    public const uint Adc = 0x80000004;
    public const uint Zlib = 0x80000005;
    public const uint Bzip2 = 0x80000006;
    public const uint Lzfse = 0x80000007;
    public const uint Lzma = 0x80000008;
    public const uint Comment = 0x7ffffffe;
    public const uint Last = 0xffffffff;

    /// <summary>Whether reading the chunk reads zeros without touching the file (qemu: UDZE and UDIG).</summary>
    public static bool IsZero(uint type) => type is Zero or Ignore;

    /// <summary>The types this driver reads: qemu's, plus ADC and LZMA, which no qemu reads.</summary>
    public static bool IsKnown(uint type) => type is Zero or Raw or Ignore or Adc or Zlib or Bzip2 or Lzfse or Lzma;

    /// <summary>Entries that describe no data (comments, the table's terminator): dropped, as qemu drops them.</summary>
    public static bool IsMarker(uint type) => type is Comment or Last;

    /// <summary>A short name for messages.</summary>
    public static string Describe(uint type) => type switch
    {
        Zero => "zero",
        Raw => "raw",
        Ignore => "ignore",
        Adc => "ADC",
        Zlib => "zlib",
        Bzip2 => "bzip2",
        Lzfse => "lzfse",
        Lzma => "LZMA",
        _ => $"0x{type:x8}",
    };
}
