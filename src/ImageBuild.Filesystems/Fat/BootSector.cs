using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// The boot sector with its BIOS parameter block (fatgen103 "Boot Sector and BPB Structure"): BPB fields from offset
/// 11, then the FAT12/16 extended fields at 36 or the FAT32 ones (BPB_FATSz32, BPB_RootClus = 2, BPB_FSInfo = 1,
/// BPB_BkBootSec = 6) with their extended fields at 64; 0x55 0xAA at 510. The boot code only calls INT 18h
/// ("no bootable disk") so a BIOS moves on to the next device.
/// </summary>
internal static class BootSector
{
    public const uint RootCluster = 2;
    public const int FsInfoSector = 1;
    public const int BackupBootSector = 6;

    public static void Write(Span<byte> sector, FatGeometry g, uint volumeId, ReadOnlySpan<byte> label11)
    {
        sector.Clear();
        bool fat32 = g.Type == FatType.Fat32;
        int ext = fat32 ? 64 : 36;
        int code = ext + 26;
        sector[0] = 0xEB;
        sector[1] = (byte)(code - 2);
        sector[2] = 0x90;
        Encoding.ASCII.GetBytes("MSWIN4.1", sector[3..11]);
        BinaryPrimitives.WriteUInt16LittleEndian(sector[11..], (ushort)g.BytesPerSector);
        sector[13] = (byte)g.SectorsPerCluster;
        BinaryPrimitives.WriteUInt16LittleEndian(sector[14..], (ushort)g.ReservedSectors);
        sector[16] = 2;
        BinaryPrimitives.WriteUInt16LittleEndian(sector[17..], (ushort)g.RootEntryCount);
        bool small = !fat32 && g.TotalSectors < 0x10000;
        BinaryPrimitives.WriteUInt16LittleEndian(sector[19..], small ? (ushort)g.TotalSectors : (ushort)0);
        sector[21] = FatTable.Media;
        BinaryPrimitives.WriteUInt16LittleEndian(sector[22..], fat32 ? (ushort)0 : (ushort)g.SectorsPerFat);
        BinaryPrimitives.WriteUInt16LittleEndian(sector[24..], 63);
        BinaryPrimitives.WriteUInt16LittleEndian(sector[26..], 255);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[28..], g.HiddenSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[32..], small ? 0 : g.TotalSectors);
        if (fat32)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(sector[36..], g.SectorsPerFat);
            // BPB_ExtFlags 0 (FAT mirrored), BPB_FSVer 0.0
            BinaryPrimitives.WriteUInt32LittleEndian(sector[44..], RootCluster);
            BinaryPrimitives.WriteUInt16LittleEndian(sector[48..], FsInfoSector);
            BinaryPrimitives.WriteUInt16LittleEndian(sector[50..], BackupBootSector);
        }
        sector[ext] = 0x80;                 // BS_DrvNum: a hard disk
        sector[ext + 2] = 0x29;             // BS_BootSig: the next three fields are present
        BinaryPrimitives.WriteUInt32LittleEndian(sector[(ext + 3)..], volumeId);
        label11.CopyTo(sector[(ext + 7)..]);
        Encoding.ASCII.GetBytes(g.Type switch { FatType.Fat12 => "FAT12   ", FatType.Fat16 => "FAT16   ", _ => "FAT32   " }, sector[(ext + 18)..]);
        sector[code] = 0xCD;                // INT 18h
        sector[code + 1] = 0x18;
        sector[code + 2] = 0xEB;            // then loop forever
        sector[code + 3] = 0xFE;
        sector[510] = 0x55;
        sector[511] = 0xAA;
    }
}
