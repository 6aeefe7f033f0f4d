using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// A data sector (VHDX 1.0 §2.3.1.4): signature "data", SequenceHigh, 4084 bytes of content (bytes 8–4091 of the
/// sector the descriptor updates), SequenceLow. The two halves of the sequence number must equal the descriptor's.
/// </summary>
internal static class VhdxLogDataSector
{
    public const int DataOffset = 8;
    public const int DataLength = VhdxLogLayout.SectorSize - 12;

    public static bool HasSignature(ReadOnlySpan<byte> sector) =>
        BinaryPrimitives.ReadUInt32LittleEndian(sector) == VhdxLogLayout.DataSectorSignature;

    /// <summary>SequenceHigh (offset 4) and SequenceLow (offset 4092) put together.</summary>
    public static ulong SequenceNumber(ReadOnlySpan<byte> sector) =>
        (ulong)BinaryPrimitives.ReadUInt32LittleEndian(sector[4..]) << 32 |
        BinaryPrimitives.ReadUInt32LittleEndian(sector[(VhdxLogLayout.SectorSize - 4)..]);

    /// <summary>Rebuilds the 4 KiB <paramref name="content"/> from the descriptor and its data sector.</summary>
    public static void Restore(in VhdxLogDataDescriptor descriptor, ReadOnlySpan<byte> sector, Span<byte> content)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(content, descriptor.LeadingBytes);
        sector.Slice(DataOffset, DataLength).CopyTo(content[DataOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(content[(VhdxLogLayout.SectorSize - 4)..], descriptor.TrailingBytes);
    }

    /// <summary>Writes the data sector carrying the middle of <paramref name="content"/>.</summary>
    public static void Write(ReadOnlySpan<byte> content, ulong sequenceNumber, Span<byte> sector)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(sector, VhdxLogLayout.DataSectorSignature);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[4..], (uint)(sequenceNumber >> 32));
        content.Slice(DataOffset, DataLength).CopyTo(sector[DataOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[(VhdxLogLayout.SectorSize - 4)..], (uint)sequenceNumber);
    }
}
