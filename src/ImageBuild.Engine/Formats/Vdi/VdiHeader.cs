using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vdi;

/// <summary>
/// The 512-byte little-endian VDI header (qemu's VdiHeader, VirtualBox's VDIHEADER1 plus padding). Every byte is kept:
/// <see cref="WriteTo"/> gives back what <see cref="Parse"/> read with only the changed fields replaced, as qemu's
/// round trip of the whole struct does (VirtualBox's extra geometry fields in the padding survive).
/// </summary>
internal sealed class VdiHeader
{
    public const int Size = 512;
    public const uint Signature = VdiProbe.Signature;
    public const uint Version11 = 0x0001_0001;
    public const uint TypeDynamic = 1;
    public const uint TypeStatic = 2;
    public const uint SectorSize = 512;
    /// <summary>The only block size qemu accepts (DEFAULT_CLUSTER_SIZE).</summary>
    public const uint DefaultBlockSize = 1 << 20;
    /// <summary>The header_size qemu writes.</summary>
    public const uint QemuHeaderSize = 0x180;
    /// <summary>qemu's VDI_TEXT.</summary>
    public const string QemuText = "<<< QEMU VM Virtual Disk Image >>>\n";

    private const int SignatureOffset = 0x40;
    private const int VersionOffset = 0x44;
    private const int HeaderSizeOffset = 0x48;
    private const int ImageTypeOffset = 0x4C;
    private const int OffsetBmapOffset = 0x154;
    private const int OffsetDataOffset = 0x158;
    private const int SectorSizeOffset = 0x168;
    private const int DiskSizeOffset = 0x170;
    private const int BlockSizeOffset = 0x178;
    private const int BlockExtraOffset = 0x17C;
    private const int BlocksInImageOffset = 0x180;
    private const int BlocksAllocatedOffset = 0x184;
    private const int UuidImageOffset = 0x188;
    private const int UuidLastSnapOffset = 0x198;
    private const int UuidLinkOffset = 0x1A8;
    private const int UuidParentOffset = 0x1B8;

    private readonly byte[] _raw;

    private VdiHeader(byte[] raw)
    {
        _raw = raw;
        Sig = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(SignatureOffset));
        Version = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(VersionOffset));
        HeaderSize = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(HeaderSizeOffset));
        ImageType = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(ImageTypeOffset));
        OffsetBmap = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(OffsetBmapOffset));
        OffsetData = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(OffsetDataOffset));
        SectorSizeField = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(SectorSizeOffset));
        DiskSize = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(DiskSizeOffset));
        BlockSize = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(BlockSizeOffset));
        BlockExtra = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(BlockExtraOffset));
        BlocksInImage = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(BlocksInImageOffset));
        BlocksAllocated = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(BlocksAllocatedOffset));
        UuidImage = ReadUuid(UuidImageOffset);
        UuidLastSnap = ReadUuid(UuidLastSnapOffset);
        UuidLink = ReadUuid(UuidLinkOffset);
        UuidParent = ReadUuid(UuidParentOffset);
    }

    /// <summary>A header for a new image: qemu's text, version 1.1, header_size 0x180, everything else zero.</summary>
    public static VdiHeader CreateNew()
    {
        var raw = new byte[Size];
        System.Text.Encoding.ASCII.GetBytes(QemuText, raw);
        var h = new VdiHeader(raw)
        {
            Sig = Signature,
            Version = Version11,
            HeaderSize = QemuHeaderSize,
            SectorSizeField = SectorSize,
            BlockSize = DefaultBlockSize,
        };
        return h;
    }

    /// <summary>Reads the fields of <paramref name="buffer"/> (512 bytes, zero-padded past the end of a short file).</summary>
    public static VdiHeader Parse(ReadOnlySpan<byte> buffer) => new(buffer[..Size].ToArray());

    public uint Sig { get; set; }
    public uint Version { get; set; }
    /// <summary>Not checked by qemu (VirtualBox writes 0x180 or 0x190).</summary>
    public uint HeaderSize { get; set; }
    /// <summary>1 dynamic, 2 static (qemu reads any value as dynamic, except for block status).</summary>
    public uint ImageType { get; set; }
    public uint OffsetBmap { get; set; }
    public uint OffsetData { get; set; }
    public uint SectorSizeField { get; set; }
    /// <summary>Virtual size in bytes; qemu rounds an odd value up to whole sectors on open (and writes it back so).</summary>
    public ulong DiskSize { get; set; }
    public uint BlockSize { get; set; }
    /// <summary>Bytes of per-block metadata in VirtualBox's layout; qemu ignores it, and so do we.</summary>
    public uint BlockExtra { get; set; }
    public uint BlocksInImage { get; set; }
    public uint BlocksAllocated { get; set; }
    public Guid UuidImage { get; set; }
    public Guid UuidLastSnap { get; set; }
    public Guid UuidLink { get; set; }
    public Guid UuidParent { get; set; }

    /// <summary>Serializes the header (all 512 bytes).</summary>
    public void WriteTo(Span<byte> dest)
    {
        _raw.CopyTo(dest);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[SignatureOffset..], Sig);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[HeaderSizeOffset..], HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[ImageTypeOffset..], ImageType);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[OffsetBmapOffset..], OffsetBmap);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[OffsetDataOffset..], OffsetData);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[SectorSizeOffset..], SectorSizeField);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[DiskSizeOffset..], DiskSize);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[BlockSizeOffset..], BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[BlockExtraOffset..], BlockExtra);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[BlocksInImageOffset..], BlocksInImage);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[BlocksAllocatedOffset..], BlocksAllocated);
        WriteUuid(dest[UuidImageOffset..], UuidImage);
        WriteUuid(dest[UuidLastSnapOffset..], UuidLastSnap);
        WriteUuid(dest[UuidLinkOffset..], UuidLink);
        WriteUuid(dest[UuidParentOffset..], UuidParent);
    }

    public byte[] ToBytes()
    {
        var b = new byte[Size];
        WriteTo(b);
        return b;
    }

    /// <summary>
    /// VDI stores UUIDs as VirtualBox's RTUUID: the first three fields little-endian (qemu byte-swaps them to and
    /// from RFC 4122 order), which is .NET's own <see cref="Guid"/> byte layout.
    /// </summary>
    private Guid ReadUuid(int offset) => new(_raw.AsSpan(offset, 16));

    private static void WriteUuid(Span<byte> dest, Guid uuid) => uuid.TryWriteBytes(dest[..16]);
}
