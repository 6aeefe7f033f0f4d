namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// Sizes and signatures shared by the log's structures (VHDX 1.0 §2.3): the log is a circular buffer of 4 KiB
/// sectors; an entry is a header sector (header plus the first descriptors), further descriptor sectors, then one
/// data sector per data descriptor.
/// </summary>
internal static class VhdxLogLayout
{
    /// <summary>Every log structure is counted in 4 KiB log sectors (§2.3.1).</summary>
    public const int SectorSize = 4096;

    /// <summary>Descriptors are 32 bytes (§2.3.1.2, §2.3.1.3): 128 fit a sector, 126 after the 64-byte header.</summary>
    public const int DescriptorSize = 32;

    public const int DescriptorsPerSector = SectorSize / DescriptorSize;

    /// <summary>The header (LogOffset, LogLength) and the log's replay work in MiB units (§2.2.2, §2.3.3).</summary>
    public const long MiB = 1 << 20;

    /// <summary>
    /// No file offset a log may name reaches this: twice the largest file the spec allows (64 TiB of payload plus its
    /// bitmaps and metadata). A log naming more is hostile; refusing it keeps replay from growing a file absurdly.
    /// </summary>
    public const long MaxFileOffset = 1L << 47;

    /// <summary>The header's LogLength is a 32-bit field in MiB multiples, so a log region is never longer (§2.2.2).</summary>
    public const long MaxLogLength = 0xFFF0_0000L;

    /// <summary>
    /// What one replay may hold in memory: data of the active sequence and its update list. A real log is a
    /// few MiB; a region of up to 4 GiB full of valid entries is refused rather than loaded.
    /// </summary>
    public const long MaxReplayBytes = 256 * MiB;

    /// <summary>Updates one replay may list (the list's backing array stays well under 16 MiB).</summary>
    public const int MaxReplayWrites = 1 << 18;

    /// <summary>"loge" little-endian (§2.3.1.1).</summary>
    public const uint EntrySignature = 0x65676F6C;

    /// <summary>"zero" little-endian (§2.3.1.2).</summary>
    public const uint ZeroSignature = 0x6F72657A;

    /// <summary>"desc" little-endian (§2.3.1.3).</summary>
    public const uint DataDescriptorSignature = 0x63736564;

    /// <summary>"data" little-endian (§2.3.1.4).</summary>
    public const uint DataSectorSignature = 0x61746164;

    /// <summary>
    /// Sectors holding the header and <paramref name="descriptorCount"/> descriptors: the header takes the room of
    /// two descriptors in the first sector (never 0, even for no descriptors).
    /// </summary>
    public static long DescriptorSectors(uint descriptorCount) =>
        ((long)descriptorCount + 2 + DescriptorsPerSector - 1) / DescriptorsPerSector;

    /// <summary>Rounds a file size up to the next MiB as replay does for LastFileOffset (§2.3.3).</summary>
    public static long AlignUpMiB(long value) => (value + MiB - 1) & ~(MiB - 1);
}
