using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// One of the four 16-byte partition records of a master boot record (UEFI 2.x table 5-2): boot indicator, starting
/// CHS, OS type, ending CHS, starting LBA and size in LBAs (both 32-bit little-endian).
/// </summary>
internal readonly record struct MbrPartitionRecord(bool Bootable, byte OsType, uint StartingLba, uint SizeInLba)
{
    public const int Size = 16;

    public void WriteTo(Span<byte> record)
    {
        record[..Size].Clear();
        record[0] = Bootable ? (byte)0x80 : (byte)0;
        Chs.Write(record[1..4], StartingLba);
        record[4] = OsType;
        Chs.Write(record[5..8], (long)StartingLba + SizeInLba - 1);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], StartingLba);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], SizeInLba);
    }
}
