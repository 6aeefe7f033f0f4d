using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// Sector 0 of a disk (UEFI 2.x table 5-1): 440 bytes of boot code (left zero), the 32-bit unique disk signature at
/// 440, two reserved bytes, four partition records from 446, and the signature 0x55 0xAA at 510.
/// </summary>
internal sealed class MasterBootRecord(uint diskSignature, IReadOnlyList<MbrPartitionRecord> records)
{
    public const int SectorSize = 512;

    public void WriteTo(Span<byte> sector)
    {
        if (records.Count > 4) throw new ArgumentException("an MBR holds four partition records");
        sector[..SectorSize].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(sector[440..], diskSignature);
        for (int i = 0; i < records.Count; i++)
            records[i].WriteTo(sector.Slice(446 + i * MbrPartitionRecord.Size, MbrPartitionRecord.Size));
        sector[510] = 0x55;
        sector[511] = 0xAA;
    }
}
