using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// The header of a hosted sparse extent ("KDMV", VMware's SparseExtentHeader; qemu's VMDK4Header after the magic):
/// the first sector of the extent file, and again in the footer of a stream-optimized extent whose grain directory is
/// at the end. All fields are little-endian; sizes and offsets are in 512-byte sectors.
/// </summary>
internal sealed class SparseExtentHeader
{
    /// <summary>The bytes the header occupies (magic included); the rest of its sector is padding.</summary>
    public const int Size = 79;

    /// <summary>Spec: flags bit 0, "valid new line detection test" (the check bytes are meaningful).</summary>
    public const uint FlagNewlineDetect = 1 << 0;

    /// <summary>Spec: flags bit 1, "redundant grain table will be used".</summary>
    public const uint FlagRedundantGrainTable = 1 << 1;

    /// <summary>Spec: flags bit 2, "zeroed-grain GTE will be used" (GTE 1 = a grain of zeros).</summary>
    public const uint FlagZeroedGrain = 1 << 2;

    /// <summary>Spec: flags bit 16, "grains are compressed".</summary>
    public const uint FlagCompressed = 1 << 16;

    /// <summary>Spec: flags bit 17, "there are markers in the virtual disk" (stream-optimized).</summary>
    public const uint FlagMarkers = 1 << 17;

    /// <summary>Spec: compressAlgorithm 1 = COMPRESSION_DEFLATE (RFC 1950 zlib streams).</summary>
    public const ushort CompressionDeflate = 1;

    /// <summary>Spec: gdOffset GD_AT_END, the real grain directory offset is in the footer.</summary>
    public const ulong GdAtEnd = ulong.MaxValue;

    /// <summary>Spec: magicNumber "KDMV" stored as the little-endian value 0x564d444b (bytes 'K','D','M','V').</summary>
    public uint Magic { get; set; } = VmdkProbe.Vmdk4Magic;

    /// <summary>Spec: version 1 (2 with zeroed-grain GTEs, 3 with compressed grains / CBT).</summary>
    public uint Version { get; set; }

    /// <summary>Spec: flags (the Flag* bits).</summary>
    public uint Flags { get; set; }

    /// <summary>Spec: capacity, the sectors of disk this extent stores.</summary>
    public ulong Capacity { get; set; }

    /// <summary>Spec: grainSize in sectors (a power of two above 8 for VMware; qemu takes any non-zero value up to 1 GiB).</summary>
    public ulong GrainSize { get; set; }

    /// <summary>Spec: descriptorOffset, the sector of the embedded descriptor (0 = none).</summary>
    public ulong DescriptorOffset { get; set; }

    /// <summary>Spec: descriptorSize in sectors.</summary>
    public ulong DescriptorSize { get; set; }

    /// <summary>Spec: numGTEsPerGT, 512 in every VMware extent (qemu refuses more).</summary>
    public uint NumGtesPerGt { get; set; }

    /// <summary>Spec: rgdOffset, the redundant grain directory's sector (used when flag bit 1 is set).</summary>
    public ulong RgdOffset { get; set; }

    /// <summary>Spec: gdOffset, the grain directory's sector, or <see cref="GdAtEnd"/>.</summary>
    public ulong GdOffset { get; set; }

    /// <summary>Spec: overHead, the sectors of metadata before the first grain (qemu's grain_offset).</summary>
    public ulong OverHead { get; set; }

    /// <summary>Spec: uncleanShutdown (a byte; qemu ignores it and writes 0).</summary>
    public byte UncleanShutdown { get; set; }

    /// <summary>Spec: singleEndLineChar '\n', nonEndLineChar ' ', doubleEndLineChar1 '\r', doubleEndLineChar2 '\n'.</summary>
    public uint CheckBytes { get; set; } = 0x0A0D200A;

    /// <summary>Spec: compressAlgorithm (0 none, 1 deflate).</summary>
    public ushort CompressAlgorithm { get; set; }

    public bool HasFlag(uint flag) => (Flags & flag) == flag;

    /// <summary>qemu: an extent is compressed when compressAlgorithm is deflate (the flag bit is not looked at).</summary>
    public bool IsCompressed => CompressAlgorithm == CompressionDeflate;

    /// <summary>Reads the header from the start of <paramref name="sector"/> (at least <see cref="Size"/> bytes).</summary>
    public static SparseExtentHeader Parse(ReadOnlySpan<byte> sector) => new()
    {
        Magic = BinaryPrimitives.ReadUInt32BigEndian(sector),
        Version = BinaryPrimitives.ReadUInt32LittleEndian(sector[4..]),
        Flags = BinaryPrimitives.ReadUInt32LittleEndian(sector[8..]),
        Capacity = BinaryPrimitives.ReadUInt64LittleEndian(sector[12..]),
        GrainSize = BinaryPrimitives.ReadUInt64LittleEndian(sector[20..]),
        DescriptorOffset = BinaryPrimitives.ReadUInt64LittleEndian(sector[28..]),
        DescriptorSize = BinaryPrimitives.ReadUInt64LittleEndian(sector[36..]),
        NumGtesPerGt = BinaryPrimitives.ReadUInt32LittleEndian(sector[44..]),
        RgdOffset = BinaryPrimitives.ReadUInt64LittleEndian(sector[48..]),
        GdOffset = BinaryPrimitives.ReadUInt64LittleEndian(sector[56..]),
        OverHead = BinaryPrimitives.ReadUInt64LittleEndian(sector[64..]),
        UncleanShutdown = sector[72],
        CheckBytes = BinaryPrimitives.ReadUInt32LittleEndian(sector[73..]),
        CompressAlgorithm = BinaryPrimitives.ReadUInt16LittleEndian(sector[77..]),
    };

    /// <summary>Writes the header into the start of <paramref name="sector"/>; the bytes after it are left as they are.</summary>
    public void WriteTo(Span<byte> sector)
    {
        BinaryPrimitives.WriteUInt32BigEndian(sector, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[4..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[8..], Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[12..], Capacity);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[20..], GrainSize);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[28..], DescriptorOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[36..], DescriptorSize);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[44..], NumGtesPerGt);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[48..], RgdOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[56..], GdOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(sector[64..], OverHead);
        sector[72] = UncleanShutdown;
        BinaryPrimitives.WriteUInt32LittleEndian(sector[73..], CheckBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(sector[77..], CompressAlgorithm);
    }

    public byte[] ToSector()
    {
        var sector = new byte[512];
        WriteTo(sector);
        return sector;
    }
}
