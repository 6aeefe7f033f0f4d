using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk.Cowd;

/// <summary>
/// The header of a COWD sparse file (VMware 3 / ESX vmfsSparse, qemu's VMDK3Header): the big-endian magic "COWD" at
/// offset 0, then ten little-endian u32 fields. Sector counts and offsets are in 512-byte sectors. The rest of the
/// first sectors (parent file name, generation, names) is not read here; qemu looks for the descriptor keys (CID,
/// parentCID, parentFileNameHint) as text at offset 0x200 of the file.
/// </summary>
internal sealed class CowdHeader
{
    /// <summary>"COWD" read as a big-endian u32 from offset 0 (qemu's VMDK3_MAGIC).</summary>
    public const uint Magic = ('C' << 24) | ('O' << 16) | ('W' << 8) | 'D';

    /// <summary>Where the fields start (after the magic), and their size.</summary>
    public const int FieldsOffset = 4, FieldsSize = 40;

    /// <summary>Grain table entries per grain table: fixed at 4096 in COWD.</summary>
    public const int GrainTableEntries = 4096;

    public uint Version { get; init; }
    public uint Flags { get; init; }

    /// <summary>The extent's size in sectors.</summary>
    public uint DiskSectors { get; init; }

    /// <summary>Sectors per grain (qemu's cluster_sectors).</summary>
    public uint Granularity { get; init; }

    /// <summary>The grain directory (qemu's L1 table) offset, in sectors.</summary>
    public uint L1DirOffset { get; init; }

    /// <summary>Entries in the grain directory.</summary>
    public uint L1DirSize { get; init; }

    public uint FileSectors { get; init; }
    public uint Cylinders { get; init; }
    public uint Heads { get; init; }
    public uint SectorsPerTrack { get; init; }

    /// <summary>Whether <paramref name="start"/> (the file's first bytes) begins with the COWD magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> start) =>
        start.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(start) == Magic;

    /// <summary>The fields at offset 4 (<see cref="FieldsSize"/> bytes; zeros past the end of the file, as qemu reads them).</summary>
    public static CowdHeader Read(HostFile file)
    {
        Span<byte> b = stackalloc byte[FieldsSize];
        file.Read(FieldsOffset, b);
        return Parse(b);
    }

    public static CowdHeader Parse(ReadOnlySpan<byte> fields) => new()
    {
        Version = BinaryPrimitives.ReadUInt32LittleEndian(fields),
        Flags = BinaryPrimitives.ReadUInt32LittleEndian(fields[4..]),
        DiskSectors = BinaryPrimitives.ReadUInt32LittleEndian(fields[8..]),
        Granularity = BinaryPrimitives.ReadUInt32LittleEndian(fields[12..]),
        L1DirOffset = BinaryPrimitives.ReadUInt32LittleEndian(fields[16..]),
        L1DirSize = BinaryPrimitives.ReadUInt32LittleEndian(fields[20..]),
        FileSectors = BinaryPrimitives.ReadUInt32LittleEndian(fields[24..]),
        Cylinders = BinaryPrimitives.ReadUInt32LittleEndian(fields[28..]),
        Heads = BinaryPrimitives.ReadUInt32LittleEndian(fields[32..]),
        SectorsPerTrack = BinaryPrimitives.ReadUInt32LittleEndian(fields[36..]),
    };

    /// <summary>The fields as written at offset 4.</summary>
    public void Write(Span<byte> fields)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(fields, Version);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[4..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[8..], DiskSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[12..], Granularity);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[16..], L1DirOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[20..], L1DirSize);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[24..], FileSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[28..], Cylinders);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[32..], Heads);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[36..], SectorsPerTrack);
    }
}
