using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// FAT32's FSInfo sector (fatgen103 "FAT32 FSInfo Sector Structure"): FSI_LeadSig 0x41615252 at 0, FSI_StrucSig
/// 0x61417272 at 484, FSI_Free_Count at 488, FSI_Nxt_Free at 492, FSI_TrailSig 0xAA550000 at 508.
/// </summary>
internal static class FsInfoSector
{
    public static void Write(Span<byte> sector, uint freeCount, uint nextFree)
    {
        sector.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(sector, 0x41615252);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[484..], 0x61417272);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[488..], freeCount);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[492..], nextFree);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[508..], 0xAA550000);
    }
}
