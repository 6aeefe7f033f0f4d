using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Bochs;

/// <summary>
/// The 512-byte little-endian header of a Bochs growing redolog: magic, type and subtype strings, version, header
/// size (where the catalog starts), catalog entry count, bitmap and extent sizes, and the disk size, which version 2
/// stores after a reserved word and version 1 right after the extent size.
/// </summary>
public sealed class BochsHeader
{
    /// <summary>Size of the header in bytes (qemu's HEADER_SIZE).</summary>
    public const int Size = 512;

    /// <summary>The current layout (qemu's HEADER_VERSION).</summary>
    public const uint Version2 = 0x00020000;

    /// <summary>The old layout without the reserved word (qemu's HEADER_V1).</summary>
    public const uint Version1 = 0x00010000;

    public uint Version { get; private init; }

    /// <summary>The header size field: the file offset of the catalog.</summary>
    public uint HeaderSize { get; private init; }

    /// <summary>Number of catalog entries (one per extent).</summary>
    public uint CatalogEntries { get; private init; }

    /// <summary>Bytes of allocation bitmap in front of each extent's data.</summary>
    public uint BitmapSize { get; private init; }

    /// <summary>Bytes of guest data per extent.</summary>
    public uint ExtentSize { get; private init; }

    /// <summary>Guest disk size in bytes as stored.</summary>
    public ulong DiskSize { get; private init; }

    /// <summary>Whether the magic, type, subtype and version are those qemu's probe and open accept.</summary>
    public static bool IsBochs(ReadOnlySpan<byte> header) => BochsProbe.Score(header, "") > 0;

    /// <summary>Reads the fields of a 512-byte header already known to be a Bochs one.</summary>
    public static BochsHeader Parse(ReadOnlySpan<byte> b)
    {
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(b[64..]);
        return new BochsHeader
        {
            Version = version,
            HeaderSize = BinaryPrimitives.ReadUInt32LittleEndian(b[68..]),
            CatalogEntries = BinaryPrimitives.ReadUInt32LittleEndian(b[72..]),
            BitmapSize = BinaryPrimitives.ReadUInt32LittleEndian(b[76..]),
            ExtentSize = BinaryPrimitives.ReadUInt32LittleEndian(b[80..]),
            DiskSize = BinaryPrimitives.ReadUInt64LittleEndian(b[(version == Version1 ? 84 : 88)..]),
        };
    }
}
