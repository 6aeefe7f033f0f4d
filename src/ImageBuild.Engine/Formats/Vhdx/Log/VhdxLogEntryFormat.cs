using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// Placeholder until branch i16-vhdxlog lands (the lead takes that branch's Log/ at merge). The log entry layout of
/// VHDX 1.0 §2.3.1: a 64-byte header ("loge", Checksum over the whole entry, EntryLength, Tail, SequenceNumber,
/// DescriptorCount, LogGuid, FlushedFileOffset, LastFileOffset), 32-byte descriptors ("desc": TrailingBytes,
/// LeadingBytes, FileOffset, SequenceNumber; "zero": ZeroLength, FileOffset, SequenceNumber) filling whole 4 KiB
/// sectors, then one 4 KiB data sector per data descriptor ("data", SequenceHigh, 4084 bytes, SequenceLow).
/// </summary>
internal static class VhdxLogEntryFormat
{
    public const int Sector = 4096;
    public const uint EntrySignature = 0x65676F6C; // "loge"
    public const uint DataDescriptorSignature = 0x63736564; // "desc"
    public const uint ZeroDescriptorSignature = 0x6F72657A; // "zero"
    public const uint DataSectorSignature = 0x61746164; // "data"

    public static int HeaderSectors(int descriptors) => (64 + 32 * descriptors + Sector - 1) / Sector;

    public static ulong ReadU64(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt64LittleEndian(s[at..]);

    public static uint ReadU32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);
}
