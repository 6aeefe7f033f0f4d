using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// The long-name entries that precede a short entry (fatgen103 "FAT Long Directory Entries"): 13 UTF-16 units each in
/// LDIR_Name1 (5), LDIR_Name2 (6) and LDIR_Name3 (2), LDIR_Attr = 0x0F, LDIR_Chksum over the short name, stored last
/// part first with 0x40 on the first entry's ordinal; the name ends with one 0x0000 and is padded with 0xFFFF.
/// </summary>
internal static class LongNameEntries
{
    private const int UnitsPerEntry = 13;
    private static readonly int[] UnitOffsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

    public static int Count(string name) => (name.Length + UnitsPerEntry - 1) / UnitsPerEntry;

    /// <summary>fatgen103's ChkSum: rotate right by one and add each of the 11 short-name bytes.</summary>
    public static byte Checksum(ReadOnlySpan<byte> name11)
    {
        byte sum = 0;
        foreach (byte b in name11) sum = (byte)(((sum & 1) << 7) + (sum >> 1) + b);
        return sum;
    }

    /// <summary>Writes <see cref="Count"/> entries of 32 bytes into <paramref name="entries"/>.</summary>
    public static void Write(Span<byte> entries, string name, byte checksum)
    {
        int count = Count(name);
        for (int k = 0; k < count; k++)
        {
            int ordinal = count - k; // entries are stored from the last part of the name to the first
            var e = entries.Slice(k * ShortDirectoryEntry.Size, ShortDirectoryEntry.Size);
            e.Clear();
            e[0] = (byte)(ordinal | (ordinal == count ? 0x40 : 0));
            e[11] = 0x0F;
            e[13] = checksum;
            for (int u = 0; u < UnitsPerEntry; u++)
            {
                int i = (ordinal - 1) * UnitsPerEntry + u;
                ushort unit = i < name.Length ? name[i] : i == name.Length ? (ushort)0 : (ushort)0xFFFF;
                BinaryPrimitives.WriteUInt16LittleEndian(e[UnitOffsets[u]..], unit);
            }
        }
    }
}
