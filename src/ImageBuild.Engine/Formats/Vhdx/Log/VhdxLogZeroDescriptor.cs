using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// A zero descriptor (VHDX 1.0 §2.3.1.2, signature "zero"): <see cref="ZeroLength"/> bytes at
/// <see cref="FileOffset"/> become zeros. Both are multiples of 4 KiB; the sequence number equals the entry's.
/// </summary>
internal readonly record struct VhdxLogZeroDescriptor(ulong ZeroLength, ulong FileOffset, ulong SequenceNumber)
{
    public static VhdxLogZeroDescriptor Parse(ReadOnlySpan<byte> s) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(s[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(s[16..]),
        BinaryPrimitives.ReadUInt64LittleEndian(s[24..]));

    /// <summary>Writes the 32 bytes (reserved field zero).</summary>
    public void Write(Span<byte> s)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(s, VhdxLogLayout.ZeroSignature);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], ZeroLength);
        BinaryPrimitives.WriteUInt64LittleEndian(s[16..], FileOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(s[24..], SequenceNumber);
    }
}
