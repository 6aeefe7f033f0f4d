using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vmdk.SeSparse;

/// <summary>
/// The const header of an ESXi seSparse extent (sector 0; qemu's VMDKSESparseConstHeader): 26 little-endian u64
/// fields then 304 bytes of padding. Offsets and sizes are in 512-byte sectors. The format is not documented;
/// qemu accepts only the one layout it knows (<see cref="Check"/>).
/// </summary>
internal sealed class SeSparseConstHeader
{
    public const int Size = 512;
    public const ulong MagicValue = 0x00000000cafebabe;
    public const ulong SupportedVersion = 0x0000000200000001;
    public const ulong SupportedGrainSize = 8;
    public const ulong SupportedGrainTableSize = 64;
    private const int FieldCount = 26;

    public ulong Magic { get; init; }
    public ulong Version { get; init; }
    public ulong Capacity { get; init; }
    public ulong GrainSize { get; init; }
    public ulong GrainTableSize { get; init; }
    public ulong Flags { get; init; }
    public ulong Reserved1 { get; init; }
    public ulong Reserved2 { get; init; }
    public ulong Reserved3 { get; init; }
    public ulong Reserved4 { get; init; }
    public ulong VolatileHeaderOffset { get; init; }
    public ulong VolatileHeaderSize { get; init; }
    public ulong JournalHeaderOffset { get; init; }
    public ulong JournalHeaderSize { get; init; }
    public ulong JournalOffset { get; init; }
    public ulong JournalSize { get; init; }
    public ulong GrainDirOffset { get; init; }
    public ulong GrainDirSize { get; init; }
    public ulong GrainTablesOffset { get; init; }
    public ulong GrainTablesSize { get; init; }
    public ulong FreeBitmapOffset { get; init; }
    public ulong FreeBitmapSize { get; init; }
    public ulong BackmapOffset { get; init; }
    public ulong BackmapSize { get; init; }
    public ulong GrainsOffset { get; init; }
    public ulong GrainsSize { get; init; }

    /// <summary>Whether the padding after the fields is all zeros.</summary>
    public bool PaddingIsZero { get; init; } = true;

    public static SeSparseConstHeader Parse(ReadOnlySpan<byte> b)
    {
        Span<ulong> f = stackalloc ulong[FieldCount];
        for (int i = 0; i < FieldCount; i++) f[i] = BinaryPrimitives.ReadUInt64LittleEndian(b[(i * 8)..]);
        return new SeSparseConstHeader
        {
            Magic = f[0], Version = f[1], Capacity = f[2], GrainSize = f[3], GrainTableSize = f[4], Flags = f[5],
            Reserved1 = f[6], Reserved2 = f[7], Reserved3 = f[8], Reserved4 = f[9],
            VolatileHeaderOffset = f[10], VolatileHeaderSize = f[11],
            JournalHeaderOffset = f[12], JournalHeaderSize = f[13], JournalOffset = f[14], JournalSize = f[15],
            GrainDirOffset = f[16], GrainDirSize = f[17], GrainTablesOffset = f[18], GrainTablesSize = f[19],
            FreeBitmapOffset = f[20], FreeBitmapSize = f[21], BackmapOffset = f[22], BackmapSize = f[23],
            GrainsOffset = f[24], GrainsSize = f[25],
            PaddingIsZero = !b[(FieldCount * 8)..Size].ContainsAnyExcept((byte)0),
        };
    }

    public void Write(Span<byte> b)
    {
        ulong[] fields =
        [
            Magic, Version, Capacity, GrainSize, GrainTableSize, Flags, Reserved1, Reserved2, Reserved3, Reserved4,
            VolatileHeaderOffset, VolatileHeaderSize, JournalHeaderOffset, JournalHeaderSize, JournalOffset, JournalSize,
            GrainDirOffset, GrainDirSize, GrainTablesOffset, GrainTablesSize, FreeBitmapOffset, FreeBitmapSize,
            BackmapOffset, BackmapSize, GrainsOffset, GrainsSize,
        ];
        for (int i = 0; i < FieldCount; i++) BinaryPrimitives.WriteUInt64LittleEndian(b[(i * 8)..], fields[i]);
        b[(FieldCount * 8)..Size].Clear();
    }

    /// <summary>qemu's check_se_sparse_const_header, in its order and with its messages.</summary>
    public void Check()
    {
        if (Magic != MagicValue)
            throw Refused($"Bad const header magic: 0x{Magic:x16}", Info.SnapshotException.EINVAL);
        if (Version != SupportedVersion)
            throw Refused($"Unsupported version: 0x{Version:x16}");
        if (GrainSize != SupportedGrainSize)
            throw Refused($"Unsupported grain size: {GrainSize}");
        if (GrainTableSize != SupportedGrainTableSize)
            throw Refused($"Unsupported grain table size: {GrainTableSize}");
        if (Flags != 0)
            throw Refused($"Unsupported flags: 0x{Flags:x16}");
        if (Reserved1 != 0 || Reserved2 != 0 || Reserved3 != 0 || Reserved4 != 0)
            throw Refused($"Unsupported reserved bits: 0x{Reserved1:x16} 0x{Reserved2:x16} 0x{Reserved3:x16} 0x{Reserved4:x16}");
        if (!PaddingIsZero)
            throw Refused("Unsupported non-zero const header padding");
    }

    internal static ImageException Refused(string message, int errno = Info.SnapshotException.ENOTSUP) =>
        new(message) { Errno = errno };
}
