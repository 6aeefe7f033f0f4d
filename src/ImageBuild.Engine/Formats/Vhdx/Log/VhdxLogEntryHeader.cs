using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// The 64-byte header at the start of every log entry (VHDX 1.0 §2.3.1.1).
/// </summary>
/// <param name="Checksum">CRC-32C over the whole entry (EntryLength bytes) with this field zero.</param>
/// <param name="EntryLength">Bytes of the entry: header sector, descriptor sectors, data sectors; a multiple of 4 KiB.</param>
/// <param name="Tail">Log offset of the first entry of the sequence this entry ends (a multiple of 4 KiB).</param>
/// <param name="SequenceNumber">Greater than 0; entries of a sequence count up by one.</param>
/// <param name="DescriptorCount">Zero and data descriptors that follow the header.</param>
/// <param name="LogGuid">Must equal the current header's LogGuid, otherwise the entry is stale.</param>
/// <param name="FlushedFileOffset">File size when the entry was written: a shorter file means it was truncated.</param>
/// <param name="LastFileOffset">Size every structure the entry updates fits in: replay extends the file to it.</param>
internal readonly record struct VhdxLogEntryHeader(
    uint Checksum, uint EntryLength, uint Tail, ulong SequenceNumber, uint DescriptorCount,
    Guid LogGuid, ulong FlushedFileOffset, ulong LastFileOffset)
{
    public const int Size = 64;
    public const int ChecksumOffset = 4;

    /// <summary>Whether <paramref name="sector"/> starts with the "loge" signature.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> sector) =>
        BinaryPrimitives.ReadUInt32LittleEndian(sector) == VhdxLogLayout.EntrySignature;

    /// <summary>Reads the fields (the caller checks the signature first; the reserved field is not checked, as qemu).</summary>
    public static VhdxLogEntryHeader Parse(ReadOnlySpan<byte> s) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(s[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(s[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(s[12..]),
        BinaryPrimitives.ReadUInt64LittleEndian(s[16..]),
        BinaryPrimitives.ReadUInt32LittleEndian(s[24..]),
        new Guid(s.Slice(32, 16)),
        BinaryPrimitives.ReadUInt64LittleEndian(s[48..]),
        BinaryPrimitives.ReadUInt64LittleEndian(s[56..]));

    /// <summary>Writes the 64 bytes (signature, fields, reserved zero); the checksum is written as given.</summary>
    public void Write(Span<byte> s)
    {
        s[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(s, VhdxLogLayout.EntrySignature);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], Checksum);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], EntryLength);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], Tail);
        BinaryPrimitives.WriteUInt64LittleEndian(s[16..], SequenceNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], DescriptorCount);
        LogGuid.TryWriteBytes(s.Slice(32, 16));
        BinaryPrimitives.WriteUInt64LittleEndian(s[48..], FlushedFileOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(s[56..], LastFileOffset);
    }

    /// <summary>Sectors of the header and its descriptors (§2.3.1: the header counts as two descriptors).</summary>
    public long DescriptorSectors => VhdxLogLayout.DescriptorSectors(DescriptorCount);

    /// <summary>Sectors of the whole entry.</summary>
    public long TotalSectors => EntryLength / VhdxLogLayout.SectorSize;
}
