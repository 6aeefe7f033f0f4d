using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>The fixed qcow2 header at offset 0 (all fields big-endian), as in qemu's docs/interop/qcow2.txt.</summary>
internal sealed class Qcow2Header
{
    public const uint Magic = 0x514649FB;
    public const int V2Length = 72;
    public const int V3Length = 112;
    public const int MinClusterBits = 9;
    public const int MaxClusterBits = 21;

    public const ulong IncompatDirty = 1;
    public const ulong IncompatCorrupt = 2;
    public const ulong IncompatDataFile = 4;
    public const ulong IncompatCompression = 8;
    public const ulong IncompatExtendedL2 = 16;
    public const ulong IncompatKnown = 31;
    public const ulong CompatLazyRefcounts = 1;
    public const ulong AutoclearBitmaps = 1;
    public const ulong AutoclearDataFileRaw = 2;
    public const ulong AutoclearKnown = 3;

    public uint Version { get; set; }
    public ulong BackingFileOffset { get; set; }
    public uint BackingFileSize { get; set; }
    public int ClusterBits { get; set; }
    public ulong Size { get; set; }
    public uint CryptMethod { get; set; }
    public uint L1Size { get; set; }
    public ulong L1TableOffset { get; set; }
    public ulong RefcountTableOffset { get; set; }
    public uint RefcountTableClusters { get; set; }
    public uint NbSnapshots { get; set; }
    public ulong SnapshotsOffset { get; set; }
    public ulong IncompatibleFeatures { get; set; }
    public ulong CompatibleFeatures { get; set; }
    public ulong AutoclearFeatures { get; set; }
    public uint RefcountOrder { get; set; } = 4;
    public uint HeaderLength { get; set; }
    public byte CompressionType { get; set; }

    /// <summary>Header bytes past the 112 we know (header_length larger than ours), kept for rewriting.</summary>
    public byte[] UnknownFields { get; set; } = [];

    public int ClusterSize => 1 << ClusterBits;

    /// <summary>Decodes the header; validates only what is needed to read the rest (the caller checks offsets).</summary>
    public static Qcow2Header Parse(ReadOnlySpan<byte> b, string filename)
    {
        if (b.Length < V2Length)
            throw new ImageCorruptException($"'{filename}': qcow2 header truncated ({b.Length} bytes)");
        if (BinaryPrimitives.ReadUInt32BigEndian(b) != Magic)
            throw new ImageException("Image is not in qcow2 format");
        var h = new Qcow2Header
        {
            Version = BinaryPrimitives.ReadUInt32BigEndian(b[4..]),
            BackingFileOffset = BinaryPrimitives.ReadUInt64BigEndian(b[8..]),
            BackingFileSize = BinaryPrimitives.ReadUInt32BigEndian(b[16..]),
            ClusterBits = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(b[20..]), 64),
            Size = BinaryPrimitives.ReadUInt64BigEndian(b[24..]),
            CryptMethod = BinaryPrimitives.ReadUInt32BigEndian(b[32..]),
            L1Size = BinaryPrimitives.ReadUInt32BigEndian(b[36..]),
            L1TableOffset = BinaryPrimitives.ReadUInt64BigEndian(b[40..]),
            RefcountTableOffset = BinaryPrimitives.ReadUInt64BigEndian(b[48..]),
            RefcountTableClusters = BinaryPrimitives.ReadUInt32BigEndian(b[56..]),
            NbSnapshots = BinaryPrimitives.ReadUInt32BigEndian(b[60..]),
            SnapshotsOffset = BinaryPrimitives.ReadUInt64BigEndian(b[64..]),
        };
        if (h.Version < 2 || h.Version > 3)
            throw new ImageException($"Unsupported qcow2 version {h.Version}");
        if (h.ClusterBits < MinClusterBits || h.ClusterBits > MaxClusterBits)
            throw new ImageException($"Unsupported cluster size: 2^{h.ClusterBits}");
        if (h.Version == 2)
        {
            h.HeaderLength = V2Length;
            h.RefcountOrder = 4;
            return h;
        }
        if (b.Length < 104)
            throw new ImageCorruptException($"'{filename}': qcow2 header truncated ({b.Length} bytes)");
        h.IncompatibleFeatures = BinaryPrimitives.ReadUInt64BigEndian(b[72..]);
        h.CompatibleFeatures = BinaryPrimitives.ReadUInt64BigEndian(b[80..]);
        h.AutoclearFeatures = BinaryPrimitives.ReadUInt64BigEndian(b[88..]);
        h.RefcountOrder = BinaryPrimitives.ReadUInt32BigEndian(b[96..]);
        h.HeaderLength = BinaryPrimitives.ReadUInt32BigEndian(b[100..]);
        if (h.HeaderLength < 104)
            throw new ImageException("qcow2 header too short");
        if (h.HeaderLength > h.ClusterSize)
            throw new ImageException("qcow2 header exceeds cluster size");
        if (h.HeaderLength > b.Length)
            throw new ImageCorruptException($"'{filename}': qcow2 header truncated (header_length {h.HeaderLength}, file has {b.Length} bytes)");
        if (h.HeaderLength >= 105)
            h.CompressionType = b[104];
        if (h.HeaderLength > V3Length)
            h.UnknownFields = b[V3Length..(int)h.HeaderLength].ToArray();
        return h;
    }

    /// <summary>Writes the header fields (72 bytes for v2, 112 + unknown fields for v3); returns the length written.</summary>
    public int Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Magic);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], Version);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], BackingFileOffset);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], BackingFileSize);
        BinaryPrimitives.WriteUInt32BigEndian(b[20..], (uint)ClusterBits);
        BinaryPrimitives.WriteUInt64BigEndian(b[24..], Size);
        BinaryPrimitives.WriteUInt32BigEndian(b[32..], CryptMethod);
        BinaryPrimitives.WriteUInt32BigEndian(b[36..], L1Size);
        BinaryPrimitives.WriteUInt64BigEndian(b[40..], L1TableOffset);
        BinaryPrimitives.WriteUInt64BigEndian(b[48..], RefcountTableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(b[56..], RefcountTableClusters);
        BinaryPrimitives.WriteUInt32BigEndian(b[60..], NbSnapshots);
        BinaryPrimitives.WriteUInt64BigEndian(b[64..], SnapshotsOffset);
        if (Version < 3)
            return V2Length;
        int length = V3Length + UnknownFields.Length;
        BinaryPrimitives.WriteUInt64BigEndian(b[72..], IncompatibleFeatures);
        BinaryPrimitives.WriteUInt64BigEndian(b[80..], CompatibleFeatures);
        BinaryPrimitives.WriteUInt64BigEndian(b[88..], AutoclearFeatures);
        BinaryPrimitives.WriteUInt32BigEndian(b[96..], RefcountOrder);
        BinaryPrimitives.WriteUInt32BigEndian(b[100..], (uint)length);
        b[104] = CompressionType;
        b[105..112].Clear();
        UnknownFields.CopyTo(b[112..]);
        return length;
    }
}
