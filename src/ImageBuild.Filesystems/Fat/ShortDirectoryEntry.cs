using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// A 32-byte FAT directory entry (fatgen103 "FAT Directory Structure"): DIR_Name (11), DIR_Attr, DIR_NTRes (case
/// bits), DIR_CrtTimeTenth, DIR_CrtTime, DIR_CrtDate, DIR_LstAccDate, DIR_FstClusHI, DIR_WrtTime, DIR_WrtDate,
/// DIR_FstClusLO, DIR_FileSize.
/// </summary>
internal static class ShortDirectoryEntry
{
    public const int Size = 32;
    public const byte AttrReadOnly = 0x01;
    public const byte AttrVolumeId = 0x08;
    public const byte AttrDirectory = 0x10;
    public const byte AttrArchive = 0x20;

    public static void Write(Span<byte> entry, ReadOnlySpan<byte> name11, byte attributes, byte caseBits,
        uint firstCluster, uint fileSize, FatTimestamp time)
    {
        name11.CopyTo(entry);
        entry[11] = attributes;
        entry[12] = caseBits;
        entry[13] = time.Tenths;
        BinaryPrimitives.WriteUInt16LittleEndian(entry[14..], time.Time);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[16..], time.Date);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[18..], time.Date);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[20..], (ushort)(firstCluster >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(entry[22..], time.Time);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[24..], time.Date);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[26..], (ushort)firstCluster);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[28..], fileSize);
    }

    /// <summary>The "." or ".." entry of a subdirectory (fatgen103: names ".          " and "..         ").</summary>
    public static void WriteDot(Span<byte> entry, int dots, uint cluster, FatTimestamp time)
    {
        Span<byte> name = stackalloc byte[11];
        name.Fill((byte)' ');
        name[..dots].Fill((byte)'.');
        Write(entry, name, AttrDirectory, 0, cluster, 0, time);
    }
}
