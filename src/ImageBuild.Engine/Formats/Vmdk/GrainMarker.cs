using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// The marker in front of each compressed grain of a stream-optimized extent (VMware's GrainMarker, qemu's
/// VmdkGrainMarker): the grain's first sector (lba) and the byte size of the deflate data that follows.
/// </summary>
internal readonly record struct GrainMarker(ulong Lba, uint Size)
{
    /// <summary>Spec: lba (8 bytes) and size (4 bytes), then the compressed data.</summary>
    public const int HeaderSize = 12;

    public static GrainMarker Parse(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]));

    public void WriteTo(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, Lba);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], Size);
    }
}

/// <summary>
/// A metadata marker of a stream-optimized extent (VMware's MetaDataMarker): one sector holding numSectors, size 0
/// (which tells it from a grain marker) and the type of what follows: end of stream, grain table, grain directory,
/// footer.
/// </summary>
internal readonly record struct MetadataMarker(ulong NumSectors, uint Size, uint Type)
{
    /// <summary>Spec: MARKER_EOS, the end-of-stream marker (all zero).</summary>
    public const uint EndOfStream = 0;

    /// <summary>Spec: MARKER_GT.</summary>
    public const uint GrainTable = 1;

    /// <summary>Spec: MARKER_GD.</summary>
    public const uint GrainDirectory = 2;

    /// <summary>Spec: MARKER_FOOTER, followed by a copy of the header holding the real gdOffset.</summary>
    public const uint Footer = 3;

    public static MetadataMarker Parse(ReadOnlySpan<byte> sector) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(sector), BinaryPrimitives.ReadUInt32LittleEndian(sector[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(sector[12..]));

    /// <summary>Writes the marker as a whole sector (spec: numSectors, size 0, type, then zeros to the sector's end).</summary>
    public void WriteTo(Span<byte> sector)
    {
        sector[..512].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(sector, NumSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[8..], Size);
        BinaryPrimitives.WriteUInt32LittleEndian(sector[12..], Type);
    }
}
