using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// A GPT partition entry (UEFI 2.x table 5-7), 128 bytes: PartitionTypeGUID, UniquePartitionGUID (both in the
/// mixed-endian EFI_GUID layout), StartingLBA, EndingLBA (inclusive), Attributes, and PartitionName as 36 UTF-16LE
/// code units, zero-padded.
/// </summary>
internal readonly record struct GptPartitionEntry(Guid Type, Guid Unique, ulong StartingLba, ulong EndingLba, ulong Attributes, string Name)
{
    public const int Size = 128;
    public const int NameUnits = 36;

    public void WriteTo(Span<byte> entry)
    {
        entry[..Size].Clear();
        Type.TryWriteBytes(entry[0..16]);
        Unique.TryWriteBytes(entry[16..32]);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[32..], StartingLba);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[40..], EndingLba);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[48..], Attributes);
        if (Name.Length > NameUnits) throw new ArgumentException($"GPT name '{Name}' is longer than {NameUnits} UTF-16 units");
        Encoding.Unicode.GetBytes(Name, entry[56..128]);
    }
}
