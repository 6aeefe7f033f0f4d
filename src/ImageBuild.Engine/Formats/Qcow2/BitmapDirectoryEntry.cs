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
    public const long MaxDirectorySize = MaxBitmaps * 1024L;
    private const int FixedSize = 24;

    /// <summary>Extra data bytes (kept verbatim; qemu writes none).</summary>
    public byte[] ExtraData { get; init; } = [];

    /// <summary>Bytes this entry occupies in the directory (padded to 8).</summary>
    public int EntrySize => (FixedSize + ExtraData.Length + Encoding.UTF8.GetByteCount(Name) + 7) & ~7;

    /// <summary>
    /// bitmap_list_load: reads the directory (the whole <paramref name="dir"/>, which must hold exactly
    /// <paramref name="count"/> entries) and checks every entry as qemu does, with qemu's messages.
    /// </summary>
    public static List<BitmapDirectoryEntry> Load(ReadOnlySpan<byte> dir, uint count, int clusterBits, long diskSize)
    {
        const string broken = "Broken bitmap directory";
        var list = new List<BitmapDirectoryEntry>();
        long o = 0;
        uint found = 0;
        while (o < dir.Length)
        {
            if (o + FixedSize > dir.Length)
                throw new ImageException(broken);
            if (++found > count)
                throw new ImageException("More bitmaps found than specified in header extension");
            var e = dir[(int)o..];
            ulong table = BinaryPrimitives.ReadUInt64BigEndian(e);
            uint size = BinaryPrimitives.ReadUInt32BigEndian(e[8..]);
            uint flags = BinaryPrimitives.ReadUInt32BigEndian(e[12..]);
            byte type = e[16];
            byte gran = e[17];
            int nameSize = BinaryPrimitives.ReadUInt16BigEndian(e[18..]);
            uint extra = BinaryPrimitives.ReadUInt32BigEndian(e[20..]);
            long next = o + ((FixedSize + (long)extra + nameSize + 7) & ~7L);
            if (next > dir.Length)
                throw new ImageException(broken);
            if (extra != 0)
                throw new ImageException("Bitmap extra data is not supported");
            string name = Encoding.UTF8.GetString(e.Slice(FixedSize, nameSize));
            var entry = new BitmapDirectoryEntry(table, size, flags, type, gran, name);
            if (!entry.SatisfiesConstraints(clusterBits, diskSize))
                throw new ImageException($"Bitmap '{name}' doesn't satisfy the constraints");
            list.Add(entry);
            o = next;
        }
        if (found != count)
            throw new ImageException("Less bitmaps found than specified in header extension");
        return list;
    }

    /// <summary>check_dir_entry: field ranges, and a consistent bitmap's table big enough for the disk.</summary>
    private bool SatisfiesConstraints(int clusterBits, long diskSize)
    {
        if (TableSize == 0 || TableOffset == 0 || (TableOffset & ((1UL << clusterBits) - 1)) != 0 || TableSize > MaxTableSize ||
            GranularityBits > MaxGranularityBits || GranularityBits < MinGranularityBits || (Flags & QemuReservedFlags) != 0 ||
            Encoding.UTF8.GetByteCount(Name) > MaxNameSize || Type != TypeDirtyTracking)
            return false;
        ulong physBytes = (ulong)TableSize << clusterBits;
        if (physBytes > MaxPhysSize)
            return false;
        return (Flags & FlagInUse) != 0 || (ulong)diskSize <= ((physBytes * 8) << GranularityBits);
    }

    /// <summary>qemu's BME_RESERVED_FLAGS: only in_use and auto are known to qemu 7.2's reader.</summary>
    private const uint QemuReservedFlags = 0xFFFF_FFFCu;

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
