using System.Buffers.Binary;
using System.IO.Hashing;

namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// The GPT header (UEFI 2.x table 5-5), 92 bytes in its sector: signature "EFI PART", revision 1.0, HeaderSize 92,
/// HeaderCRC32 (CRC-32 of those 92 bytes with the field zero), MyLBA, AlternateLBA, FirstUsableLBA, LastUsableLBA,
/// DiskGUID, PartitionEntryLBA, NumberOfPartitionEntries, SizeOfPartitionEntry and PartitionEntryArrayCRC32.
/// </summary>
internal sealed record GptHeader(ulong MyLba, ulong AlternateLba, ulong FirstUsableLba, ulong LastUsableLba, Guid DiskGuid,
    ulong PartitionEntryLba, uint NumberOfPartitionEntries, uint PartitionEntryArrayCrc32)
{
    public const int HeaderSize = 92;

    public void WriteTo(Span<byte> sector)
    {
        sector[..MasterBootRecord.SectorSize].Clear();
        "EFI PART"u8.CopyTo(sector);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[8..], 0x0001_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[12..], HeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[24..], MyLba);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[32..], AlternateLba);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[40..], FirstUsableLba);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[48..], LastUsableLba);
        DiskGuid.TryWriteBytes(sector[56..72]);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[72..], PartitionEntryLba);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[80..], NumberOfPartitionEntries);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[84..], GptPartitionEntry.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[88..], PartitionEntryArrayCrc32);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[16..], Crc32.HashToUInt32(sector[..HeaderSize]));
    }
}
