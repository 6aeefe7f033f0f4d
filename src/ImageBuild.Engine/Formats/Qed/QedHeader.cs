using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// The QED header (qemu's QEDHeader): 64 little-endian bytes at offset 0 of the header cluster(s). The backing file
/// name, when there is one, follows elsewhere in the header clusters (qemu writes it right after these 64 bytes).
/// </summary>
internal sealed class QedHeader
{
    /// <summary>sizeof(QEDHeader).</summary>
    public const int Size = 64;

    public const uint Magic = QedProbe.Magic;

    /// <summary>QED_F_BACKING_FILE: the image names a backing file.</summary>
    public const ulong FeatureBackingFile = 0x01;

    /// <summary>QED_F_NEED_CHECK: not closed cleanly, the tables must be checked before use.</summary>
    public const ulong FeatureNeedCheck = 0x02;

    /// <summary>QED_F_BACKING_FORMAT_NO_PROBE: the backing file is raw, do not probe it.</summary>
    public const ulong FeatureBackingNoProbe = 0x04;

    /// <summary>QED_FEATURE_MASK: the feature bits qemu knows; any other one refuses the image.</summary>
    public const ulong KnownFeatures = FeatureBackingFile | FeatureNeedCheck | FeatureBackingNoProbe;

    /// <summary>QED_COMPAT_FEATURE_MASK and QED_AUTOCLEAR_FEATURE_MASK: qemu knows none.</summary>
    public const ulong KnownCompatFeatures = 0, KnownAutoclearFeatures = 0;

    public const uint MinClusterSize = 4 * 1024, MaxClusterSize = 64 * 1024 * 1024, DefaultClusterSize = 65536;
    public const uint MinTableSize = 1, MaxTableSize = 16, DefaultTableSize = 4;

    public uint ClusterSize;
    public uint TableSize;
    public uint HeaderSize;
    public ulong Features;
    public ulong CompatFeatures;
    public ulong AutoclearFeatures;
    public ulong L1TableOffset;
    public ulong ImageSize;
    public uint BackingFilenameOffset;
    public uint BackingFilenameSize;

    public uint MagicField;

    public bool Has(ulong feature) => (Features & feature) != 0;

    public static QedHeader Parse(ReadOnlySpan<byte> b) => new()
    {
        MagicField = BinaryPrimitives.ReadUInt32LittleEndian(b),
        ClusterSize = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]),
        TableSize = BinaryPrimitives.ReadUInt32LittleEndian(b[8..]),
        HeaderSize = BinaryPrimitives.ReadUInt32LittleEndian(b[12..]),
        Features = BinaryPrimitives.ReadUInt64LittleEndian(b[16..]),
        CompatFeatures = BinaryPrimitives.ReadUInt64LittleEndian(b[24..]),
        AutoclearFeatures = BinaryPrimitives.ReadUInt64LittleEndian(b[32..]),
        L1TableOffset = BinaryPrimitives.ReadUInt64LittleEndian(b[40..]),
        ImageSize = BinaryPrimitives.ReadUInt64LittleEndian(b[48..]),
        BackingFilenameOffset = BinaryPrimitives.ReadUInt32LittleEndian(b[56..]),
        BackingFilenameSize = BinaryPrimitives.ReadUInt32LittleEndian(b[60..]),
    };

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, MagicField);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], ClusterSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], TableSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], HeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(b[16..], Features);
        BinaryPrimitives.WriteUInt64LittleEndian(b[24..], CompatFeatures);
        BinaryPrimitives.WriteUInt64LittleEndian(b[32..], AutoclearFeatures);
        BinaryPrimitives.WriteUInt64LittleEndian(b[40..], L1TableOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(b[48..], ImageSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b[56..], BackingFilenameOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(b[60..], BackingFilenameSize);
    }

    public byte[] ToBytes()
    {
        var b = new byte[Size];
        Write(b);
        return b;
    }

    public QedHeader Clone() => (QedHeader)MemberwiseClone();

    /// <summary>qed_is_cluster_size_valid: a power of two in [4 KiB, 64 MiB].</summary>
    public static bool IsClusterSizeValid(uint cs) =>
        cs >= MinClusterSize && cs <= MaxClusterSize && (cs & (cs - 1)) == 0;

    /// <summary>qed_is_table_size_valid: a power of two in [1, 16] clusters.</summary>
    public static bool IsTableSizeValid(uint ts) =>
        ts >= MinTableSize && ts <= MaxTableSize && (ts & (ts - 1)) == 0;

    /// <summary>
    /// qed_max_image_size, computed in 64 bits as qemu does: the product wraps for large cluster and table sizes
    /// (4 MiB clusters with 4-cluster tables give 0, so that only empty images are valid).
    /// </summary>
    public static ulong MaxImageSize(uint clusterSize, uint tableSize)
    {
        ulong entries = (ulong)(uint)(tableSize * clusterSize) / sizeof(ulong);
        return unchecked(entries * clusterSize * entries);
    }

    /// <summary>qed_is_image_size_valid: whole sectors, within what the tables can map.</summary>
    public static bool IsImageSizeValid(ulong size, uint clusterSize, uint tableSize) =>
        size % 512 == 0 && size <= MaxImageSize(clusterSize, tableSize);
}
