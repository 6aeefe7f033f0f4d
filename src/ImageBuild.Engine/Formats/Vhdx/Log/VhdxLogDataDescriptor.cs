using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// A data descriptor (VHDX 1.0 §2.3.1.3, signature "desc"): one 4 KiB sector of content for
/// <see cref="FileOffset"/> (a multiple of 4 KiB). Its first 8 bytes (<see cref="LeadingBytes"/>) and last 4
/// (<see cref="TrailingBytes"/>) live here, the middle 4084 in the matching data sector, whose room for them holds
/// the signature and the sequence number instead.
/// </summary>
internal readonly record struct VhdxLogDataDescriptor(uint TrailingBytes, ulong LeadingBytes, ulong FileOffset, ulong SequenceNumber)
{
    public static VhdxLogDataDescriptor Parse(ReadOnlySpan<byte> s) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(s[4..]),
        BinaryPrimitives.ReadUInt64LittleEndian(s[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(s[16..]),
        BinaryPrimitives.ReadUInt64LittleEndian(s[24..]));

    /// <summary>The descriptor for a 4 KiB <paramref name="content"/> sector (its leading and trailing bytes).</summary>
    public static VhdxLogDataDescriptor For(ReadOnlySpan<byte> content, ulong fileOffset, ulong sequenceNumber) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(content[(VhdxLogLayout.SectorSize - 4)..]),
        BinaryPrimitives.ReadUInt64LittleEndian(content),
        fileOffset, sequenceNumber);

    public void Write(Span<byte> s)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(s, VhdxLogLayout.DataDescriptorSignature);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], TrailingBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], LeadingBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(s[16..], FileOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(s[24..], SequenceNumber);
    }
}
