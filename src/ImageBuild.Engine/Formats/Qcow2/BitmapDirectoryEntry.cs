using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// One persistent dirty bitmap directory entry (docs/interop/qcow2.txt "Bitmap directory"): u64 bitmap_table_offset,
/// u32 bitmap_table_size, u32 flags, u8 type, u8 granularity_bits, u16 name_size, u32 extra_data_size, extra data,
/// name, zero padding to 8 bytes.
/// </summary>
internal sealed record BitmapDirectoryEntry(ulong TableOffset, uint TableSize, uint Flags, byte Type, byte GranularityBits, string Name)
{
    public const uint FlagInUse = 1;
    public const uint FlagAuto = 2;
    public const uint FlagExtraDataCompatible = 4;
    public const uint ReservedFlags = ~7u;
    public const byte TypeDirtyTracking = 1;
    /// <summary>qemu's BME_MIN/MAX_GRANULARITY_BITS, BME_MAX_NAME_SIZE, BME_MAX_TABLE_SIZE, BME_MAX_PHYS_SIZE.</summary>
    public const int MinGranularityBits = 9, MaxGranularityBits = 31, MaxNameSize = 1023;
    public const uint MaxTableSize = 0x8000000;
    public const ulong MaxPhysSize = 0x20000000;
    /// <summary>qemu's QCOW2_MAX_BITMAPS and QCOW2_MAX_BITMAP_DIRECTORY_SIZE.</summary>
    public const int MaxBitmaps = 65535;
    public const long MaxDirectorySize = 64L << 20;
    private const int FixedSize = 24;

    /// <summary>Extra data bytes (kept verbatim; qemu writes none).</summary>
    public byte[] ExtraData { get; init; } = [];

    /// <summary>Bytes this entry occupies in the directory (padded to 8).</summary>
    public int EntrySize => (FixedSize + ExtraData.Length + Encoding.UTF8.GetByteCount(Name) + 7) & ~7;

    public static List<BitmapDirectoryEntry> ReadAll(ReadOnlySpan<byte> dir, uint count, string filename)
    {
        var list = new List<BitmapDirectoryEntry>();
        int o = 0;
        for (uint i = 0; i < count; i++)
        {
            if (o + FixedSize > dir.Length)
                throw new ImageCorruptException($"'{filename}': bitmap directory entry {i} is truncated");
            ulong table = BinaryPrimitives.ReadUInt64BigEndian(dir[o..]);
            uint size = BinaryPrimitives.ReadUInt32BigEndian(dir[(o + 8)..]);
            uint flags = BinaryPrimitives.ReadUInt32BigEndian(dir[(o + 12)..]);
            byte type = dir[o + 16];
            byte gran = dir[o + 17];
            int nameSize = BinaryPrimitives.ReadUInt16BigEndian(dir[(o + 18)..]);
            int extra = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(dir[(o + 20)..]), int.MaxValue / 2);
            long total = FixedSize + (long)extra + nameSize;
            if (o + total > dir.Length)
                throw new ImageCorruptException($"'{filename}': bitmap directory entry {i} is truncated");
            string name = Encoding.UTF8.GetString(dir.Slice(o + FixedSize + extra, nameSize));
            list.Add(new BitmapDirectoryEntry(table, size, flags, type, gran, name) { ExtraData = dir.Slice(o + FixedSize, extra).ToArray() });
            o += (int)((total + 7) & ~7L);
        }
        return list;
    }

    /// <summary>qemu's check_dir_entry: whether the fields are in range for an image with this cluster size.</summary>
    public bool IsValid(int clusterBits) =>
        Type == TypeDirtyTracking &&
        GranularityBits is >= MinGranularityBits and <= MaxGranularityBits &&
        (Flags & ReservedFlags) == 0 &&
        Name.Length > 0 && Encoding.UTF8.GetByteCount(Name) <= MaxNameSize &&
        TableOffset != 0 && (TableOffset & ((1UL << clusterBits) - 1)) == 0 &&
        TableSize <= MaxTableSize && ((ulong)TableSize << clusterBits) <= MaxPhysSize;

    /// <summary>Writes the entry at the start of <paramref name="dest"/>; returns the padded size.</summary>
    public int WriteTo(Span<byte> dest)
    {
        var name = Encoding.UTF8.GetBytes(Name);
        int size = EntrySize;
        dest[..size].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(dest, TableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(dest[8..], TableSize);
        BinaryPrimitives.WriteUInt32BigEndian(dest[12..], Flags);
        dest[16] = Type;
        dest[17] = GranularityBits;
        BinaryPrimitives.WriteUInt16BigEndian(dest[18..], (ushort)name.Length);
        BinaryPrimitives.WriteUInt32BigEndian(dest[20..], (uint)ExtraData.Length);
        ExtraData.CopyTo(dest[FixedSize..]);
        name.CopyTo(dest[(FixedSize + ExtraData.Length)..]);
        return size;
    }

    /// <summary>The whole directory for these entries, in order.</summary>
    public static byte[] BuildDirectory(IReadOnlyList<BitmapDirectoryEntry> entries)
    {
        var dir = new byte[entries.Sum(e => e.EntrySize)];
        int o = 0;
        foreach (var e in entries)
            o += e.WriteTo(dir.AsSpan(o));
        return dir;
    }
}
