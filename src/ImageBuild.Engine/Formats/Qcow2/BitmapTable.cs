using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// A bitmap table: u64 entries, one per cluster of bitmap data. Bits 9-55 hold the data cluster's offset; with
/// offset 0, bit 0 says whether that part of the bitmap is all ones (1) or all zeros (0). Other bits are reserved.
/// </summary>
internal static class BitmapTable
{
    public const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00UL;
    public const ulong AllOnes = 1;
    public const ulong ReservedMask = 0xFF00_0000_0000_01FEUL;

    /// <summary>Reads <paramref name="size"/> entries at <paramref name="offset"/>, validating each (qemu's check_table_entry).</summary>
    public static ulong[] Read(HostFile file, long offset, uint size, int clusterBits, string bitmapName)
    {
        var bytes = new byte[(long)size * 8];
        if (offset + bytes.Length > file.Length)
            throw new ImageCorruptException($"'{file.Path}': bitmap table of '{bitmapName}' at offset {offset:#x} lies past the end of the file");
        file.Read(offset, bytes);
        var table = new ulong[size];
        for (int i = 0; i < table.Length; i++)
        {
            ulong e = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
            ulong off = e & OffsetMask;
            if ((e & ReservedMask) != 0 || off != 0 && ((e & AllOnes) != 0 || (off & ((1UL << clusterBits) - 1)) != 0))
                throw new ImageException($"Could not read bitmap '{bitmapName}': bitmap table entry {i} is invalid (0x{e:x})");
            table[i] = e;
        }
        return table;
    }

    public static byte[] Serialize(ReadOnlySpan<ulong> table)
    {
        var bytes = new byte[table.Length * 8];
        for (int i = 0; i < table.Length; i++)
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), table[i]);
        return bytes;
    }
}
